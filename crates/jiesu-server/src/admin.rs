//! Administration: offices, enrolment codes, devices, Open311 client apps. The `jiesu-server admin` commands call
//! these on the same storage the server uses (they may run while it serves).

use jiesu_protocol::wire::Office;
use rand::Rng;

use crate::app::{hash, normalise_code};
use crate::storage::open311::ClientApp;
use crate::storage::{DeviceRecord, Result, Storage};

/// How long an enrolment code is valid by default.
pub const CODE_DAYS: i64 = 7;

/// A fresh one-time code: 10 characters from an alphabet without look-alikes, shown as
/// `XXXXX-XXXXX` (50 bits: guessing one is hopeless, typing one is easy).
pub fn new_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let raw: String = (0..10)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}-{}", &raw[..5], &raw[5..])
}

/// Add an office.
pub async fn add_office(s: &dyn Storage, office: &Office, now_ms: i64) -> Result<()> {
    s.add_office(office, now_ms).await
}

/// Issue a one-time enrolment code for `office`, valid `days`. Only its hash is stored.
pub async fn issue_code(s: &dyn Storage, office: &str, days: i64, now_ms: i64) -> Result<String> {
    let code = new_code();
    s.add_enrolment_code(
        &hash(&normalise_code(&code)),
        office,
        now_ms + days * 86_400_000,
    )
    .await?;
    Ok(code)
}

/// Every device.
pub async fn devices(s: &dyn Storage) -> Result<Vec<DeviceRecord>> {
    s.devices().await
}

/// Revoke a device: its credential stops working at once (401).
pub async fn revoke(s: &dyn Storage, device: &str, now_ms: i64) -> Result<bool> {
    s.revoke(device, now_ms).await
}

/// Register a civic app for Open311 (`crate::open311`): returns its record and its api key,
/// shown this once (only the key's hash is stored).
pub async fn add_open311_client(
    s: &dyn Storage,
    name: &str,
    now_ms: i64,
) -> Result<(ClientApp, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(crate::StorageError::Conflict(
            "the app's name must be 1 to 100 characters, none of them control characters".into(),
        ));
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    let key = hex::encode(bytes);
    let client = ClientApp {
        id: format!("app-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
        name: name.to_owned(),
        created_ms: now_ms,
        revoked_ms: None,
    };
    s.add_client(&client, &hash(&key)).await?;
    Ok((client, key))
}
