//! Generates per-command permissions so the capability file grants the window exactly the
//! commands it uses and nothing else.

#[path = "src/command_names.rs"]
mod command_names;

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(command_names::COMMANDS)),
    )
    .expect("tauri build configuration");
}
