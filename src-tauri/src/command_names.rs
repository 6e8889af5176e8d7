//! The window's commands, named once. `build.rs` makes a permission for each from this list;
//! the tests below hold the handler registration (`lib.rs`), the capability file and the
//! page's calls (`ui/src/api.ts`) to it, so a command cannot be registered but not allowed,
//! allowed but not registered, or called under a name that does not exist.

/// Every command the window may call.
pub const COMMANDS: &[&str] = &[
    "app_info",
    "case_count",
    "setup",
    "catalog",
    "receive_case",
    "receive_follow_up",
    "act",
    "case_detail",
    "case_receipt",
    "issue_lookup_code",
    "list_cases",
    "find_resident",
    "save_attachment",
    "attachment",
    "calendar_year",
    "set_calendar_day",
    "add_unit",
    "sign_in",
    "sign_out",
    "accounts",
    "add_account",
    "set_role",
    "remove_account",
    "set_password",
    "set_idle_minutes",
    "reveal",
    "access_log",
    "verify_trace",
    "backup_settings",
    "set_backup_settings",
    "backup_now",
    "backups",
    "restore_backup",
    "recover_with_key",
    "unsaved_recovery_key",
    "recovery_key_saved",
    "inspect_new_pc_backup",
    "restore_on_new_pc",
    "export_access_log",
    "sync_status",
    "enrol",
    "unenrol",
    "sync_now",
    "restamp_future_work",
    "config_log",
    "list_meetings",
    "schedule_meeting",
    "meeting_detail",
    "meeting_act",
    "open_item_case",
    "capture_visitor",
    "export_minutes",
    "export_ics",
    "dashboard",
    "earlier_figures",
    "figure_cases",
    "figure_settings",
    "set_figure_settings",
    "export_report",
    "export_figure_csv",
    "export_list_csv",
    "desk",
    "overdue_watch",
    "notify",
    "similar_cases",
    "open_import",
    "preview_import",
    "run_import",
    "cancel_import",
    "close_import",
    "export_import_report",
    "import_mappings",
    "save_import_mapping",
    "forget_import_mapping",
    "clusters",
    "campaigns",
    "campaign_board",
    "open_campaign",
    "amend_campaign",
    "add_campaign_site",
    "join_campaign",
    "export_campaign",
];

#[cfg(test)]
mod tests {
    use super::COMMANDS;
    use std::collections::BTreeSet;

    fn listed() -> BTreeSet<String> {
        COMMANDS.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn every_command_is_registered_and_nothing_else() {
        let main = include_str!("lib.rs");
        let start = main.find("generate_handler![").expect("the handler list") + 18;
        let end = start + main[start..].find(']').unwrap();
        let registered: BTreeSet<String> = main[start..end]
            .split(',')
            .filter_map(|c| {
                let c = c.trim();
                c.strip_prefix("commands::")
                    .or_else(|| c.strip_prefix("imports::"))
                    .or_else(|| c.strip_prefix("campaigns::"))
            })
            .map(str::to_owned)
            .collect();
        assert_eq!(registered, listed());
    }

    #[test]
    fn the_capability_file_allows_exactly_the_commands() {
        let file: serde_json::Value =
            serde_json::from_str(include_str!("../capabilities/main.json")).unwrap();
        let allowed: BTreeSet<String> = file["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
            .map(|p| p.replace('-', "_"))
            .collect();
        assert_eq!(allowed, listed());
    }

    #[test]
    fn the_page_calls_only_commands_that_exist_and_every_one_of_them() {
        let api = include_str!("../../ui/src/api.ts");
        // `call<T>('name'` and `callRaw<T>('name'`: the page's one door to the shell.
        let called: BTreeSet<String> = api
            .split("call")
            .skip(1)
            .filter_map(|rest| {
                let rest = rest.strip_prefix("Raw").unwrap_or(rest);
                let rest = rest.strip_prefix('<')?;
                let args = &rest[rest.find(">('")? + 3..];
                Some(args[..args.find('\'')?].to_owned())
            })
            .collect();
        assert_eq!(called, listed());
    }
}
