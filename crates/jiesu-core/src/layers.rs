//! The log's format stands on its own: the modules that say what is stored and sent (events
//! and their payloads, the clock stamp, the wire messages, the value types they carry) use
//! nothing of the forms, the folds, the store or the figures. A form field, a fold rule or a
//! figure can then change without touching a stored byte, and these modules can become a
//! crate of their own that the server and the sync client build without the rest.

/// Each format module, and the modules of this crate it may use.
const FORMAT: &[(&str, &str, &[&str])] = &[
    ("model.rs", include_str!("model.rs"), &[]),
    ("hlc.rs", include_str!("hlc.rs"), &["calendar"]),
    (
        "event/payload.rs",
        include_str!("event/payload.rs"),
        &["model"],
    ),
    (
        "event/mod.rs",
        include_str!("event/mod.rs"),
        &["event", "hlc", "model"],
    ),
    (
        "wire.rs",
        include_str!("wire.rs"),
        &["event", "hlc", "model"],
    ),
];

/// The modules a source names as `crate::<module>`, outside comments and its tests.
fn uses(src: &str) -> Vec<String> {
    let code = src.split("#[cfg(test)]").next().unwrap_or(src);
    let mut out = Vec::new();
    for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
        for (i, _) in line.match_indices("crate::") {
            let module: String = line[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.push(module);
        }
    }
    out
}

#[test]
fn the_log_format_uses_nothing_of_the_forms_folds_or_figures() {
    for (file, src, allowed) in FORMAT {
        for module in uses(src) {
            assert!(
                allowed.contains(&module.as_str()),
                "{file} uses crate::{module}; the format may use only {allowed:?}"
            );
        }
    }
}

#[test]
fn the_check_sees_a_use_in_code_and_not_in_comments_or_tests() {
    let src = "use crate::api::NewCase;\n/// [`crate::store`]\nfn f() { crate::figures::x() }\n#[cfg(test)]\nuse crate::sample;";
    assert_eq!(uses(src), ["api", "figures"]);
}
