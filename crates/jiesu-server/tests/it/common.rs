//! Harness: real servers on 127.0.0.1:0 over either backend, a real PostgreSQL cluster that
//! the tests start themselves, and app stores enrolled as offices.

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use jiesu_core::wire::{Office, OfficeKind};
use jiesu_core::{ManualClock, Store};
use jiesu_server::{AppState, Storage, admin, open_storage, router};
use jiesu_sync::Client;

/// 2026-11-23 09:00 China time, a Monday.
pub const MONDAY_9AM: i64 = 1_795_395_600_000;

/// The instant `JIESU_CLOCK_AT` pins the run to (`make test` rotates awkward dates through
/// it), if it is set.
fn pin() -> Option<i64> {
    static PIN: OnceLock<Option<i64>> = OnceLock::new();
    *PIN.get_or_init(|| {
        let v = std::env::var(jiesu_core::CLOCK_AT_VAR).ok()?;
        let v = v.trim();
        (!v.is_empty()).then(|| {
            jiesu_core::hlc::parse_instant(v).unwrap_or_else(|| panic!("JIESU_CLOCK_AT={v}"))
        })
    })
}

/// Where the app stores' manual clocks start: the pinned instant, else [`MONDAY_9AM`].
pub fn test_now() -> i64 {
    pin().unwrap_or(MONDAY_9AM)
}

/// The servers' running clock: the machine's, moved to the pinned instant when there is one
/// (so the servers and the apps of a pinned run share a date).
pub fn now() -> i64 {
    static START: OnceLock<(i64, std::time::Instant)> = OnceLock::new();
    let real = chrono::Utc::now().timestamp_millis();
    match pin() {
        None => real,
        Some(at) => {
            let (at, since) = START.get_or_init(|| (at, std::time::Instant::now()));
            at + since.elapsed().as_millis() as i64
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// Where a backend keeps its data, so a server can be restarted on it.
pub struct Place {
    pub dir: tempfile::TempDir,
    pub url: Option<String>,
}

impl Place {
    pub fn new(backend: Backend) -> Place {
        Place {
            dir: tempfile::tempdir().unwrap(),
            url: match backend {
                Backend::Sqlite => None,
                Backend::Postgres => Some(pg().fresh_database()),
            },
        }
    }

    pub async fn storage(&self) -> Arc<dyn Storage> {
        open_storage(self.url.as_deref(), self.dir.path())
            .await
            .unwrap()
    }
}

pub struct TestServer {
    pub url: String,
    pub storage: Arc<dyn Storage>,
    pub addr: std::net::SocketAddr,
    /// The running server's state, for settings its command line would give.
    pub state: Arc<AppState>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start(place: &Place) -> TestServer {
        Self::start_on(place, "127.0.0.1:0".parse().unwrap()).await
    }

    pub async fn start_on(place: &Place, addr: std::net::SocketAddr) -> TestServer {
        let storage = place.storage().await;
        let state = AppState::with_clock(storage.clone(), Box::new(now))
            .await
            .unwrap();
        let listener = bind_retrying(addr).await;
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = state.clone();
        let task = tokio::spawn(async move {
            axum::serve(
                listener,
                router(serving).into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        TestServer {
            url: format!("http://{addr}"),
            storage,
            addr,
            state,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stop serving (in-flight requests are cut when the task is aborted).
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.abort();
            let _ = t.await;
        }
    }
}

async fn bind_retrying(addr: std::net::SocketAddr) -> tokio::net::TcpListener {
    for _ in 0..100 {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => return l,
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
    panic!("cannot bind {addr}");
}

/// district d → streets s1 (communities a, b), s2 (community c).
pub async fn seed_org(s: &dyn Storage) {
    let o = |id: &str, kind, parent: Option<&str>, name: &str| Office {
        id: id.into(),
        name: name.into(),
        kind,
        parent: parent.map(Into::into),
    };
    for office in [
        o("d", OfficeKind::District, None, "江岸区"),
        o("s1", OfficeKind::Street, Some("d"), "花园街道"),
        o("s2", OfficeKind::Street, Some("d"), "百步亭街道"),
        o("a", OfficeKind::Community, Some("s1"), "和美社区"),
        o("b", OfficeKind::Community, Some("s1"), "幸福社区"),
        o("c", OfficeKind::Community, Some("s2"), "安居社区"),
    ] {
        admin::add_office(s, &office, test_now()).await.unwrap();
    }
}

/// A new store not yet enrolled, its user named after `office`; in `dir` if given (in memory
/// otherwise).
pub fn unenrolled_store(office: &str, clock: &ManualClock, dir: Option<&std::path::Path>) -> Store {
    let mut store = match dir {
        Some(dir) => Store::open(dir, Box::new(clock.clone())).unwrap(),
        None => Store::open_in_memory(Box::new(clock.clone())).unwrap(),
    };
    store
        .set_identity(
            jiesu_core::wire::UNENROLLED_OFFICE,
            "",
            &format!("{office}书记"),
        )
        .unwrap();
    store
}

/// An app replica: its store (shared like the shell shares it), its clock, its client.
pub struct App {
    pub store: Arc<Mutex<Store>>,
    pub clock: ManualClock,
    pub client: Client,
}

impl App {
    /// A fresh store enrolled at `office`, with clock `skew_ms` off the true time.
    pub async fn enrol(server: &TestServer, office: &str, skew_ms: i64) -> App {
        App::enrol_in(server, office, skew_ms, None).await
    }

    /// The same, with the store in `dir` if given (in memory otherwise).
    pub async fn enrol_in(
        server: &TestServer,
        office: &str,
        skew_ms: i64,
        dir: Option<&std::path::Path>,
    ) -> App {
        let clock = ManualClock::new(test_now() + skew_ms);
        let store = unenrolled_store(office, &clock, dir);
        App::enrol_store(server, office, store, clock).await
    }

    /// Enrol a store that may hold work done before (its clock given with it).
    pub async fn enrol_store(
        server: &TestServer,
        office: &str,
        store: Store,
        clock: ManualClock,
    ) -> App {
        App::enrol_at(&server.url, &*server.storage, office, store, clock).await
    }

    /// Enrol a store with the server at `url`, whose codes are issued in `storage`.
    pub async fn enrol_at(
        url: &str,
        storage: &dyn Storage,
        office: &str,
        store: Store,
        clock: ManualClock,
    ) -> App {
        let code = admin::issue_code(storage, office, 7, now()).await.unwrap();
        // The app's own enrolment (jiesu-sync), so every story here goes through it.
        let store = Arc::new(Mutex::new(store));
        jiesu_sync::enrol(&store, url, code, format!("{office}-pc"))
            .await
            .unwrap();
        let credential = store
            .lock()
            .unwrap()
            .enrolment()
            .unwrap()
            .unwrap()
            .credential;
        App {
            store,
            clock,
            client: Client::new(url).with_credential(&credential),
        }
    }

    pub fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap()
    }

    pub async fn sync(&self) -> jiesu_sync::RoundReport {
        jiesu_sync::sync_round(&self.store, &self.client, &|_| {})
            .await
            .unwrap()
    }

    pub fn credential(&self) -> String {
        self.store().enrolment().unwrap().unwrap().credential
    }
}

pub fn parking(desc: &str) -> jiesu_core::NewCase {
    jiesu_core::sample::parking_complaint(desc)
}

/// File a parking complaint with a photo of these bytes (the store must be on disk).
pub fn file_with_photo(store: &mut Store, desc: &str, photo: &[u8]) -> jiesu_core::Case {
    let mut intake = parking(desc);
    intake.attachment = Some(store.save_attachment("现场.jpg", photo).unwrap());
    store.receive(intake).unwrap()
}

// ------------------------------------------------------------------------ PostgreSQL

pub struct Pg {
    port: u16,
    counter: std::sync::atomic::AtomicU32,
    _dir: PathBuf,
}

/// The cluster for this test binary, started on first use.
pub fn pg() -> &'static Pg {
    static PG: OnceLock<Pg> = OnceLock::new();
    PG.get_or_init(Pg::start)
}

fn pg_bin(name: &str) -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed: run scripts/setup.sh --test (apt install postgresql)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin").join(name)))
        .filter(|p| p.exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .unwrap_or_else(|| panic!("{name} not found under /usr/lib/postgresql"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// PostgreSQL refuses to run as root: run its tools as the `postgres` user then.
fn as_pg_user(bin: PathBuf) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

impl Pg {
    fn start() -> Pg {
        let dir = std::env::temp_dir().join(format!("jiesu-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            assert!(
                Command::new("chown")
                    .arg("postgres:postgres")
                    .arg(&dir)
                    .status()
                    .unwrap()
                    .success()
            );
        }
        let data = dir.join("data");
        let out = as_pg_user(pg_bin("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "jiesu",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            dir.display()
        );
        let out = as_pg_user(pg_bin("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .args(["-o", &opts, "-l"])
            .arg(dir.join("log"))
            .args(["-w", "start"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Stop the cluster when this test process ends, however it ends. (`kill -0` would not
        // do: the postgres user may not signal a root test process.)
        let stop = format!(
            "while [ -d /proc/{pid} ]; do sleep 0.5; done; {ctl} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            ctl = pg_bin("pg_ctl").display(),
            data = data.display(),
            dir = dir.display()
        );
        let mut watchdog = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", "sh", "-c", &stop]);
            c
        } else {
            let mut c = Command::new("sh");
            c.args(["-c", &stop]);
            c
        };
        // Deliberately not waited for: it outlives this process to stop the cluster.
        #[allow(clippy::zombie_processes)]
        watchdog
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        Pg {
            port,
            counter: std::sync::atomic::AtomicU32::new(0),
            _dir: dir,
        }
    }

    /// A new empty database's URL.
    pub fn fresh_database(&self) -> String {
        let n = self
            .counter
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let name = format!("t{n}");
        let out = as_pg_user(pg_bin("createdb"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "jiesu",
                &name,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "createdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        format!("postgres://jiesu@127.0.0.1:{}/{name}", self.port)
    }
}

/// Each named `async fn(Backend)` of the calling module as two tests, `sqlite::NAME` and
/// `postgres::NAME`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name(super::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name(super::Backend::Postgres).await } )*
        }
    };
}
pub(crate) use on_both_backends;
