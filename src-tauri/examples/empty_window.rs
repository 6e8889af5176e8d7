//! An empty Tauri window: the app's own Tauri build and configuration, one window of the app's
//! size showing a blank page, nothing of Jiesu. `benches/coldstart.mjs` measures its memory as
//! the floor the app's idle memory is compared with (issue 22: ≤ 1.25× of it), so the two
//! differ only by what Jiesu adds — its page, its store, its threads.
//!
//! `cargo build --release -p jiesu-app --example empty_window`

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut context = tauri::generate_context!();
    // The configuration's window would load Jiesu's page: this one is made by hand instead.
    let window = context.config_mut().app.windows.remove(0);
    tauri::Builder::default()
        .setup(move |app| {
            let blank = tauri::WebviewUrl::External("about:blank".parse()?);
            tauri::WebviewWindowBuilder::new(app, window.label, blank)
                .title("empty")
                .inner_size(window.width, window.height)
                .build()?;
            Ok(())
        })
        .run(context)
        .expect("the empty window failed to start");
}
