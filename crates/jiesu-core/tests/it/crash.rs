//! Durability: a writer killed with SIGKILL at random moments loses nothing it acknowledged.
//!
//! The test binary re-runs itself as the writer (`writer_child`, ignored in normal runs), reads
//! the ids it prints after each commit, kills it mid-stream, and checks the database.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jiesu_core::*;
use rand::Rng;

use super::common::*;

const DIR_VAR: &str = "JIESU_CRASH_DIR";

#[test]
#[ignore = "run by killed_writers_lose_no_acknowledged_event as its child process"]
fn writer_child() {
    let Ok(dir) = std::env::var(DIR_VAR) else {
        return;
    };
    let mut s = Store::open(std::path::Path::new(&dir), Box::new(SystemClock)).unwrap();
    s.set_identity("office-a", "和美社区", "crash").unwrap();
    let mut i = 0u64;
    loop {
        i += 1;
        let case = s.receive(parking_case(&format!("停车难 {i}"))).unwrap();
        println!("committed {}", case.id);
        let c = s
            .act(
                case.id,
                CaseCommand::Dispatch {
                    unit: "property".into(),
                    note: "x".repeat((i % 500) as usize),
                },
            )
            .unwrap();
        println!("committed-state {} {}", c.id, c.state.as_str());
    }
}

#[test]
fn killed_writers_lose_no_acknowledged_event() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut r = rng(0xC0FFEE);
    let mut acknowledged = Vec::new();
    let mut dispatched = Vec::new();
    let runs = 25;
    for _ in 0..runs {
        let mut child = Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                "it::crash::writer_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(DIR_VAR, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let kill_after = Duration::from_millis(r.random_range(30..400));
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                got.push(line);
            }
            got
        });
        let start = Instant::now();
        while start.elapsed() < kill_after {
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        for line in reader.join().unwrap() {
            if let Some(rest) = line.strip_prefix("committed-state ") {
                dispatched.push(
                    rest.split(' ')
                        .next()
                        .unwrap()
                        .parse::<uuid::Uuid>()
                        .unwrap(),
                );
            } else if let Some(id) = line.strip_prefix("committed ") {
                acknowledged.push(id.parse::<uuid::Uuid>().unwrap());
            }
        }
    }
    assert!(
        acknowledged.len() > runs,
        "the writer got going: {}",
        acknowledged.len()
    );
    let mut s = Store::open(dir.path(), Box::new(SystemClock)).unwrap();
    let ok: String = s
        .connection()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    for id in &acknowledged {
        s.case(*id)
            .unwrap_or_else(|e| panic!("acknowledged case {id} lost: {e}"));
    }
    for id in &dispatched {
        assert_eq!(
            s.case(*id).unwrap().state,
            CaseState::Dispatched,
            "acknowledged dispatch of {id} lost"
        );
    }
    // The projection still agrees with the log after all those kills.
    let live = s.all_cases().unwrap();
    s.rebuild_projections().unwrap();
    assert_eq!(live, s.all_cases().unwrap());
}
