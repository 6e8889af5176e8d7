//! Generates per-command permissions so the capability file grants the window exactly the
//! commands it uses and nothing else.

fn main() {
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(&[
            "app_info",
            "setup",
            "catalog",
            "receive_case",
            "act",
            "case_detail",
            "list_cases",
            "find_resident",
            "save_attachment",
            "attachment",
            "calendar_year",
            "set_calendar_day",
            "add_unit",
            "set_user",
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
            "figure_cases",
            "figure_settings",
            "set_figure_settings",
            "export_report",
            "export_figure_csv",
            "export_list_csv",
            "desk",
            "overdue_watch",
            "notify",
        ]),
    ))
    .expect("tauri build configuration");
}
