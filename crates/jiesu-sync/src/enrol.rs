//! Joining a server, as the app and `jiesu-replica` both do it: the store is asked first
//! whether it may enrol (before a one-time code is spent on it), credentials given up while
//! offline are delivered (a server enrols a device again only once its old credential is
//! revoked), the code is exchanged for a credential, and the office directory is fetched with
//! it before the enrolment is recorded.

use std::sync::{Arc, Mutex};

use jiesu_core::wire::EnrolRequest;
use jiesu_core::{Store, SyncStatus, WireError};

use crate::{Client, core, deliver_revokes, lock};

/// Enrol the store with the server at `server_url` using a one-time `code`; `device_name` is
/// what the server's administrator sees this PC as. Nothing is recorded unless the server
/// accepted the code and answered with the directory.
pub async fn enrol(
    store: &Arc<Mutex<Store>>,
    server_url: &str,
    code: String,
    device_name: String,
) -> Result<SyncStatus, WireError> {
    let (device, public_key) = {
        let mut s = lock(store);
        s.check_can_enrol(server_url).map_err(core)?;
        (
            s.identity().device.clone(),
            s.device_public_key().map_err(core)?,
        )
    };
    let _ = deliver_revokes(store).await;
    let client = Client::new(server_url.trim());
    let answer = client
        .enrol(&EnrolRequest {
            code,
            device,
            device_name,
            public_key: Some(public_key),
        })
        .await?;
    let me = client
        .clone()
        .with_credential(&answer.credential)
        .me()
        .await?;
    let mut s = lock(store);
    s.enrol(server_url, &answer).map_err(core)?;
    s.set_directory(&me.directory).map_err(core)?;
    s.sync_status().map_err(core)
}

/// The PC's host name, as the server's list of devices shows it ("Jiesu" when there is none).
pub fn device_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "Jiesu".into())
}
