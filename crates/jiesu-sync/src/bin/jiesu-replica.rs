//! `jiesu-replica`: a headless app core, for tests and for checking a server by hand.
//!
//! `jiesu-replica --dir DIR --server URL [--code CODE] [--file TEXT [--photo PATH]] [--sample N]
//! [--rectify RESULT] [--site TEXT]`
//! opens (or creates) an app store in DIR, enrols it with the code when it is not enrolled yet,
//! files a parking complaint described by TEXT (with the photo at PATH) if asked, generates N
//! sample cases if asked (a large office for a first sync to fetch), runs one sync round,
//! and prints the cases it holds as JSON lines (`{"number", "office", "state", "description",
//! "received_at", "resolve_due", "steps", "photo", "this_month", "campaign"}`, `steps` the
//! kinds of its timeline's events, `photo` the size of the photo's bytes held here, or null,
//! `this_month` whether its figures for the month holding now (本月) count it as received,
//! `campaign` the rectification campaign it is a site of). With `--rectify`, after that round
//! every open site of every campaign it was given is resolved on the spot with RESULT; with
//! `--site`, a site described by TEXT is added to each of those campaigns; then it syncs again.

use std::sync::{Arc, Mutex};

/// The allocator the app uses (`src-tauri/src/main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (Some(dir), Some(server)) = (arg("--dir"), arg("--server")) else {
        eprintln!("usage: jiesu-replica --dir DIR --server URL [--code CODE]");
        std::process::exit(2);
    };
    // JIESU_CLOCK_AT / JIESU_CLOCK_OFFSET_MS start the clock elsewhere, as in the app.
    let clock = jiesu_core::CorrectedClock::from_env()?;
    let mut store = jiesu_core::Store::open(std::path::Path::new(&dir), Box::new(clock.clone()))?;
    if store.identity().author.is_empty() {
        let office = store.identity().office.clone();
        store.set_identity(&office, "", "jiesu-replica")?;
    }
    let store = Arc::new(Mutex::new(store));
    let enrolment = store
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .enrolment()?;
    let credential = match enrolment {
        Some(e) => e.credential,
        None => {
            let code = arg("--code").ok_or("not enrolled: give --code")?;
            jiesu_sync::enrol(&store, &server, code, "jiesu-replica".into()).await?;
            let s = store.lock().unwrap_or_else(|p| p.into_inner());
            s.enrolment()?.ok_or("not enrolled")?.credential
        }
    };
    {
        let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(text) = arg("--file") {
            let mut intake = jiesu_core::sample::parking_complaint(&text);
            if let Some(path) = arg("--photo") {
                let bytes = std::fs::read(&path)?;
                let name = std::path::Path::new(&path)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                intake.attachment = Some(store.save_attachment(&name, &bytes)?);
            }
            store.receive(intake)?;
        }
        if let Some(n) = arg("--sample") {
            let spec = jiesu_core::sample::SampleSpec {
                cases: n.parse()?,
                ..jiesu_core::sample::SampleSpec::community(jiesu_core::Clock::now_ms(&clock))
            };
            jiesu_core::sample::generate(&mut store, &spec)?;
        }
    }
    let client = jiesu_sync::Client::new(&server).with_credential(&credential);
    jiesu_sync::sync_round(&store, &client, &|_| {}).await?;
    let (rectify, site) = (arg("--rectify"), arg("--site"));
    if rectify.is_some() || site.is_some() {
        {
            let mut st = store.lock().unwrap_or_else(|p| p.into_inner());
            let office = st.identity().office.clone();
            for campaign in st.campaigns()? {
                if let Some(result) = &rectify {
                    let open: Vec<_> = st
                        .all_cases()?
                        .into_iter()
                        .filter(|c| c.campaign == Some(campaign.id) && c.office == office)
                        .filter(|c| {
                            jiesu_core::workflow::check(c, jiesu_core::Action::ResolveOnSpot, 0)
                                .is_ok()
                        })
                        .collect();
                    for c in open {
                        st.act(
                            c.id,
                            jiesu_core::CaseCommand::ResolveOnSpot {
                                result: result.clone(),
                            },
                        )?;
                    }
                }
                if let Some(text) = &site {
                    st.add_campaign_site(jiesu_core::campaign::NewSite {
                        campaign: campaign.id,
                        location: text.chars().take(8).collect(),
                        description: text.clone(),
                    })?;
                }
            }
        }
        jiesu_sync::sync_round(&store, &client, &|_| {}).await?;
    }
    let store = store.lock().unwrap_or_else(|p| p.into_inner());
    let this_month: std::collections::HashSet<_> = {
        use chrono::Datelike;
        let today = jiesu_core::calendar::local_date(jiesu_core::Clock::now_ms(&clock));
        let first = today.with_day(1).unwrap_or(today);
        let next = first + chrono::Months::new(1);
        let month = jiesu_core::figures::FigureQuery {
            from: jiesu_core::calendar::start_of_day(first),
            to: jiesu_core::calendar::start_of_day(next),
            ..Default::default()
        };
        store
            .figure_cases(&month, jiesu_core::figures::Figure::Received, None, 0, 0)?
            .rows
            .into_iter()
            .map(|r| r.id)
            .collect()
    };
    for c in store.all_cases()? {
        println!(
            "{}",
            serde_json::json!({
                "number": c.number,
                "office": c.office,
                "state": c.state,
                "description": c.description,
                "received_at": c.received_at,
                "resolve_due": c.resolve_due,
                "steps": store
                    .case_detail(c.id)
                    .map(|d| d.timeline.iter().map(|t| t.event.body.kind()).collect::<Vec<_>>())
                    .unwrap_or_default(),
                "photo": c
                    .attachment
                    .as_ref()
                    .and_then(|a| store.read_attachment(&a.sha256).ok())
                    .map(|b| b.len()),
                "this_month": this_month.contains(&c.id),
                "campaign": c.campaign,
            })
        );
    }
    Ok(())
}
