//! The `jiesu-server` binary as an administrator meets it: `--help`, the admin commands, a
//! config file, plain HTTP on loopback by default, and HTTPS when given a certificate.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_jiesu-server");

fn run(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_health(client: &reqwest::Client, url: &str) -> serde_json::Value {
    for _ in 0..200 {
        if let Ok(r) = client.get(format!("{url}/v1/health")).send().await
            && r.status().is_success()
        {
            return r.json().await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} never answered");
}

#[test]
fn help_explains_every_option_and_admin_commands_manage_the_organisation() {
    let help = Command::new(BIN).arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    for opt in [
        "--listen",
        "--data-dir",
        "--database-url",
        "--tls-cert",
        "--tls-key",
        "--config",
        "admin",
    ] {
        assert!(text.contains(opt), "--help mentions {opt}: {text}");
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(
        run(
            d,
            &[
                "admin",
                "add-office",
                "--id",
                "d",
                "--name",
                "江岸区",
                "--kind",
                "district"
            ]
        )
        .status
        .success()
    );
    assert!(
        run(
            d,
            &[
                "admin",
                "add-office",
                "--id",
                "s",
                "--name",
                "花园街道",
                "--kind",
                "street",
                "--parent",
                "d"
            ]
        )
        .status
        .success()
    );
    // A community under a district is refused with a clear message, and nothing is added.
    let bad = run(
        d,
        &[
            "admin",
            "add-office",
            "--id",
            "x",
            "--name",
            "错",
            "--kind",
            "community",
            "--parent",
            "d",
        ],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("cannot be under"));
    let tree = String::from_utf8_lossy(&run(d, &["admin", "offices"]).stdout).to_string();
    assert!(
        tree.contains("d  江岸区") && tree.contains("  s  花园街道"),
        "{tree}"
    );
    assert!(!tree.contains("错"));
    let code = String::from_utf8_lossy(&run(d, &["admin", "code", "--office", "s"]).stdout)
        .trim()
        .to_string();
    assert_eq!(code.len(), 11, "XXXXX-XXXXX: {code}");
    assert!(
        !run(d, &["admin", "code", "--office", "nowhere"])
            .status
            .success()
    );
    assert!(
        !run(d, &["admin", "revoke", "no-such-device"])
            .status
            .success()
    );
}

#[test]
fn admin_commands_register_list_and_revoke_open311_apps_keeping_only_the_keys_hash() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let added = run(d, &["admin", "open311-add-client", "--name", "随手拍"]);
    assert!(added.status.success(), "{added:?}");
    let key = String::from_utf8_lossy(&added.stdout).trim().to_string();
    assert_eq!(key.len(), 64, "{key}");
    let listed = String::from_utf8_lossy(&run(d, &["admin", "open311-clients"]).stdout).to_string();
    assert!(
        listed.contains("随手拍") && listed.contains("active"),
        "{listed}"
    );
    assert!(
        !listed.contains(&key),
        "the key is shown once, never listed"
    );
    for file in ["jiesu-server.db", "jiesu-server.db-wal"] {
        let bytes = std::fs::read(d.join(file)).unwrap_or_default();
        assert!(
            !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
            "the key is stored hashed ({file})"
        );
    }
    let id = listed.split_whitespace().next().unwrap().to_string();
    assert!(run(d, &["admin", "open311-revoke", &id]).status.success());
    let listed = String::from_utf8_lossy(&run(d, &["admin", "open311-clients"]).stdout).to_string();
    assert!(listed.contains("revoked"), "{listed}");
    assert!(!run(d, &["admin", "open311-revoke", &id]).status.success());
    assert!(
        !run(d, &["admin", "open311-add-client", "--name", "bad\nname"])
            .status
            .success()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_plain_http_with_settings_from_a_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("jiesu-server.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{port}\"\ndata_dir = \"{}\"\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    let _server = Killed(
        Command::new(BIN)
            .arg("--config")
            .arg(&config)
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let health = wait_health(&reqwest::Client::new(), &format!("http://127.0.0.1:{port}")).await;
    assert_eq!(health["ok"], true);
    assert!(
        dir.path().join("data/jiesu-server.db").exists(),
        "the database is in the configured data dir"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_https_when_given_a_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let port = free_port();
    let _server = Killed(
        Command::new(BIN)
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--tls-cert")
            .arg(&cert_path)
            .arg("--tls-key")
            .arg(&key_path)
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap())
        .resolve("localhost", format!("127.0.0.1:{port}").parse().unwrap())
        .build()
        .unwrap();
    let health = wait_health(&client, &format!("https://localhost:{port}")).await;
    assert_eq!(health["ok"], true);
    // Plain HTTP to the TLS port gets no answer from the API.
    let plain = reqwest::get(format!("http://127.0.0.1:{port}/v1/health")).await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
}

/// An office's name cannot carry control characters, and a device record that holds some
/// (written by an older server, or straight into the database) cannot forge lines of
/// `admin devices`: they are spelled out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_listings_spell_out_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let office = |name: &str| {
        run(
            d,
            &[
                "admin",
                "add-office",
                "--id",
                "d",
                "--name",
                name,
                "--kind",
                "district",
            ],
        )
    };
    assert!(
        !office("江岸区\u{1b}[2J").status.success(),
        "an escape sequence is refused"
    );
    assert!(office("江岸区").status.success());
    let code = String::from_utf8(run(d, &["admin", "code", "--office", "d"]).stdout).unwrap();
    let storage = jiesu_server::open_storage(None, d).await.unwrap();
    let forged = "pc\nb0b0b0b0-0000-4000-8000-000000000000  d  管理员的电脑  tag AA  active";
    storage
        .enrol(
            &jiesu_server::app::hash(&jiesu_server::app::normalise_code(code.trim())),
            &uuid::Uuid::new_v4().to_string(),
            forged,
            &jiesu_server::app::hash("credential"),
            0,
        )
        .await
        .unwrap()
        .unwrap();
    drop(storage);
    let out = String::from_utf8(run(d, &["admin", "devices"]).stdout).unwrap();
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("pc\\nb0b0"), "{out}");
}
