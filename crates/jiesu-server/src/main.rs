//! `jiesu-server`: serve, or administer offices, enrolment codes and devices.
//!
//! Settings come from the command line, then the environment (`JIESU_SERVER_*`), then a TOML
//! file (`--config`), then defaults. With no arguments it serves plain HTTP on loopback with
//! an SQLite database in its data dir.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use jiesu_protocol::wire::{Office, OfficeKind};
use jiesu_server::{AppState, Storage, admin, open_storage, router};
use serde::Deserialize;

/// The app's allocator (`src-tauri/src/main.rs`), so every binary and benchmark allocates
/// alike; what it changes for the server alone has not been measured.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "jiesu-server", version, about = "Jiesu's central sync server")]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// TOML file with any of the settings below (keys as the long option names, with `_`).
    #[arg(long, env = "JIESU_SERVER_CONFIG", global = true)]
    #[serde(skip)]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8645; use 0.0.0.0:8645 only behind TLS or a proxy].
    #[arg(long, env = "JIESU_SERVER_LISTEN", global = true)]
    listen: Option<SocketAddr>,
    /// Where the SQLite database lives [default: $XDG_DATA_HOME/jiesu-server or ~/.local/share/jiesu-server].
    #[arg(long, env = "JIESU_SERVER_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Use PostgreSQL instead of SQLite, e.g. postgres://jiesu@localhost/jiesu.
    #[arg(long, env = "JIESU_SERVER_DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// PEM certificate chain: serve HTTPS (rustls) instead of plain HTTP. Needs --tls-key.
    #[arg(
        long,
        env = "JIESU_SERVER_TLS_CERT",
        global = true,
        requires = "tls_key"
    )]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(
        long,
        env = "JIESU_SERVER_TLS_KEY",
        global = true,
        requires = "tls_cert"
    )]
    tls_key: Option<PathBuf>,
    /// Behind a reverse proxy: take the public pages' client address (for their rate limits)
    /// from the last X-Forwarded-For entry. Only when every request comes through the proxy.
    #[arg(long, env = "JIESU_SERVER_TRUST_FORWARDED_FOR", global = true)]
    #[serde(default)]
    trust_forwarded_for: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the sync API (the default).
    Serve,
    /// Manage offices, enrolment codes and devices.
    Admin {
        #[command(subcommand)]
        what: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Add an office: a district, a street under a district, a community under a street.
    AddOffice {
        /// Stable id (letters, digits, - and _), e.g. hm-community.
        #[arg(long)]
        id: String,
        /// Display name, e.g. 和美社区.
        #[arg(long)]
        name: String,
        /// district, street or community.
        #[arg(long, value_parser = parse_kind)]
        kind: OfficeKind,
        /// The office above (required except for a district).
        #[arg(long)]
        parent: Option<String>,
    },
    /// List offices as a tree.
    Offices,
    /// Issue a one-time enrolment code for an office; give it to the office's secretary.
    Code {
        /// The office the enrolled device will belong to.
        #[arg(long)]
        office: String,
        /// Days the code stays valid.
        #[arg(long, default_value_t = admin::CODE_DAYS)]
        days: i64,
    },
    /// List enrolled devices.
    Devices,
    /// Revoke a device: its credential is refused from now on. Revoking a community's
    /// Open311 intake device switches Open311 filing off for that community.
    Revoke {
        /// Device id, as `devices` lists it.
        device: String,
    },
    /// Register a civic app for Open311 filing; prints its api key once.
    Open311AddClient {
        /// The app's name, e.g. 随手拍; it is the author of what the app files.
        #[arg(long)]
        name: String,
    },
    /// List Open311 client apps.
    Open311Clients,
    /// Revoke an Open311 client app: its api key is refused from now on.
    Open311Revoke {
        /// The app's id, as `open311-clients` lists it.
        id: String,
    },
}

/// A name as a listing prints it: control characters spelled out, so a device named with a
/// line break cannot forge a line of `admin devices`.
fn shown(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let one: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            one
        })
        .collect()
}

fn parse_kind(s: &str) -> Result<OfficeKind, String> {
    serde_json::from_value(serde_json::Value::String(s.into()))
        .map_err(|_| "expected district, street or community".into())
}

impl Settings {
    fn merge(self, file: Settings) -> Settings {
        Settings {
            config: self.config,
            listen: self.listen.or(file.listen),
            data_dir: self.data_dir.or(file.data_dir),
            database_url: self.database_url.or(file.database_url),
            tls_cert: self.tls_cert.or(file.tls_cert),
            tls_key: self.tls_key.or(file.tls_key),
            trust_forwarded_for: self.trust_forwarded_for || file.trust_forwarded_for,
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(|| {
            std::env::var_os("XDG_DATA_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
                .unwrap_or_else(|| PathBuf::from("."))
                .join("jiesu-server")
        })
    }
}

/// The server's clock: the system's, unless `JIESU_CLOCK_AT` or `JIESU_CLOCK_OFFSET_MS` start
/// it elsewhere (tests pin the server and the apps to one date). Read once, at start.
static CLOCK_OFFSET: std::sync::OnceLock<i64> = std::sync::OnceLock::new();

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis() + CLOCK_OFFSET.get().copied().unwrap_or(0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "jiesu_server=info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let offset = jiesu_protocol::hlc::env_clock_offset(chrono::Utc::now().timestamp_millis())?;
    CLOCK_OFFSET.get_or_init(|| offset.unwrap_or(0));
    let file = match &cli.settings.config {
        Some(path) => toml::from_str(&std::fs::read_to_string(path)?)
            .map_err(|e| format!("{}: {e}", path.display()))?,
        None => Settings::default(),
    };
    let settings = cli.settings.merge(file);
    let storage = open_storage(settings.database_url.as_deref(), &settings.data_dir()).await?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings, storage).await,
        Command::Admin { what } => run_admin(what, &*storage).await,
    }
}

async fn serve(
    settings: Settings,
    storage: Arc<dyn Storage>,
) -> Result<(), Box<dyn std::error::Error>> {
    let listen = settings
        .listen
        .unwrap_or_else(|| "127.0.0.1:8645".parse().expect("valid"));
    let state = AppState::with_clock(storage, Box::new(now))
        .await
        .map_err(|e| e.body.message)?;
    state.trust_forwarded_for(settings.trust_forwarded_for);
    let app = router(state);
    match (&settings.tls_cert, &settings.tls_key) {
        (Some(cert), Some(key)) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key).await?;
            tracing::info!(%listen, "serving HTTPS");
            let handle = axum_server::Handle::new();
            let h = handle.clone();
            tokio::spawn(async move {
                shutdown_signal().await;
                h.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
            });
            axum_server::bind_rustls(listen, tls)
                .handle(handle)
                .serve(app.into_make_service_with_connect_info::<SocketAddr>())
                .await?;
        }
        _ => {
            let listener = tokio::net::TcpListener::bind(listen).await?;
            tracing::info!(listen = %listener.local_addr()?, "serving HTTP");
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("signal handler");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

async fn run_admin(what: AdminCommand, s: &dyn Storage) -> Result<(), Box<dyn std::error::Error>> {
    match what {
        AdminCommand::AddOffice {
            id,
            name,
            kind,
            parent,
        } => {
            let office = Office {
                id,
                name,
                kind,
                parent,
            };
            admin::add_office(s, &office, now()).await?;
            println!(
                "added {} {} ({})",
                office.kind.as_str(),
                office.id,
                office.name
            );
        }
        AdminCommand::Offices => {
            let offices = s.offices().await?;
            fn print(all: &[Office], parent: Option<&str>, depth: usize) {
                for o in all.iter().filter(|o| o.parent.as_deref() == parent) {
                    println!(
                        "{}{}  {}  ({})",
                        "  ".repeat(depth),
                        shown(&o.id),
                        shown(&o.name),
                        o.kind.as_str()
                    );
                    print(all, Some(&o.id), depth + 1);
                }
            }
            print(&offices, None, 0);
        }
        AdminCommand::Code { office, days } => {
            let code = admin::issue_code(s, &office, days, now()).await?;
            println!("{code}");
            eprintln!("one-time enrolment code for office {office}, valid {days} days");
        }
        AdminCommand::Devices => {
            for d in admin::devices(s).await? {
                let state = match d.revoked_ms {
                    Some(_) => "revoked",
                    None => "active",
                };
                println!(
                    "{}  {}  {}  tag {}  {}",
                    shown(&d.id),
                    shown(&d.office),
                    shown(&d.name),
                    shown(&d.tag),
                    state
                );
            }
        }
        AdminCommand::Revoke { device } => {
            // Devices are kept by their id's canonical spelling.
            let device = uuid::Uuid::parse_str(device.trim())
                .map(|u| u.to_string())
                .unwrap_or(device);
            if admin::revoke(s, &device, now()).await? {
                println!("revoked {device}");
            } else {
                return Err(format!("no active device {device}").into());
            }
        }
        AdminCommand::Open311AddClient { name } => {
            let (app, key) = admin::add_open311_client(s, &name, now()).await?;
            println!("{key}");
            eprintln!(
                "api key for Open311 client app {} ({}); shown only now, keep it with the app",
                app.id,
                shown(&app.name)
            );
        }
        AdminCommand::Open311Clients => {
            for c in s.clients().await? {
                let state = match c.revoked_ms {
                    Some(_) => "revoked",
                    None => "active",
                };
                println!("{}  {}  {}", shown(&c.id), shown(&c.name), state);
            }
        }
        AdminCommand::Open311Revoke { id } => {
            if s.revoke_client(id.trim(), now()).await? {
                println!("revoked {}", id.trim());
            } else {
                return Err(format!("no active Open311 client app {id}").into());
            }
        }
    }
    Ok(())
}
