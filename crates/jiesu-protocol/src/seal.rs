//! Seals: every device signs the events it writes and chains them, per stream.
//!
//! - **Hash.** An event's hash is the SHA-256 of its canonical JSON (`serde_json` of the
//!   [`Event`], fields in declaration order, absent options left out), signature included. It
//!   is the digest the server has always kept of each event, so a stored event's hash never
//!   changes and the server checks chains against what it already holds.
//! - **Chain.** `prev` is the hash of the previous event the same device wrote on the same
//!   stream. A chain per (device, stream) rather than per device: a replica holds a device's
//!   events only for the streams its scope covers (a community never sees a district PC's other
//!   cases), so only a per-stream chain can be checked wherever the stream is, and a case's
//!   whole trace is checked from the case alone.
//! - **Signature.** Ed25519 by the device's key over the canonical JSON of the event without
//!   `sig` (with `prev`): editing any byte of a stored event, or moving it to another chain,
//!   breaks it. The server registers each device's public key and answers pulls with the keys
//!   of the devices whose events they carry.
//!
//! Events written before seals carry neither field; they are reported as unsigned, never
//! re-signed (their canonical form, and every replica's copy, stays as it was).

use ed25519_dalek::{Signature, Signer};
pub use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::Event;

/// Length of a hash in hex.
pub const HASH_HEX: usize = 64;
/// Length of a signature in hex.
pub const SIG_HEX: usize = 128;
/// Length of a public key in hex.
pub const KEY_HEX: usize = 64;

/// The canonical JSON of an event, as the server stores it and pulls return it. `None` only
/// for a body JSON cannot hold (a weight that is not a finite number), which no replica stores.
pub fn canonical(ev: &Event) -> Option<String> {
    serde_json::to_string(ev).ok()
}

/// The event's hash: SHA-256 of its canonical JSON, in lowercase hex.
pub fn hash(ev: &Event) -> Option<String> {
    canonical(ev).map(|c| hex_sha256(c.as_bytes()))
}

/// SHA-256 of `bytes` in lowercase hex.
pub fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What the signature covers: the canonical JSON without `sig`.
fn signed_bytes(ev: &Event) -> Option<String> {
    let mut unsigned = ev.clone();
    unsigned.sig = None;
    canonical(&unsigned)
}

/// A device's signing key, from the 32 secret bytes kept in its store.
pub fn signing_key(secret: &[u8; 32]) -> SigningKey {
    SigningKey::from_bytes(secret)
}

/// The public half of `key`, in hex, as enrolment registers it.
pub fn public_key_hex(key: &SigningKey) -> String {
    hex::encode(key.verifying_key().to_bytes())
}

/// Seal `ev`: set its chain link and sign it. An error only for a body JSON cannot hold.
pub fn sign(ev: &mut Event, prev: Option<String>, key: &SigningKey) -> Result<(), SealError> {
    ev.prev = prev;
    ev.sig = None;
    let bytes = signed_bytes(ev).ok_or(SealError::Unserialisable)?;
    ev.sig = Some(hex::encode(key.sign(bytes.as_bytes()).to_bytes()));
    Ok(())
}

/// Why a seal does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The event carries no signature.
    #[error("the event is not signed")]
    Unsigned,
    /// The public key is not 32 bytes of hex, or not a curve point.
    #[error("the device's public key is malformed")]
    BadKey,
    /// The signature is not 64 bytes of hex.
    #[error("the signature is malformed")]
    Malformed,
    /// The signature does not verify: the event was changed after it was signed, or signed by
    /// another key.
    #[error("the signature does not match the event")]
    Mismatch,
    /// The event cannot be serialised (no stored event is like this).
    #[error("the event cannot be serialised")]
    Unserialisable,
}

/// Parse a public key in hex.
pub fn public_key(hex_key: &str) -> Result<VerifyingKey, SealError> {
    let mut bytes = [0u8; 32];
    if hex_key.len() != KEY_HEX || hex::decode_to_slice(hex_key, &mut bytes).is_err() {
        return Err(SealError::BadKey);
    }
    VerifyingKey::from_bytes(&bytes).map_err(|_| SealError::BadKey)
}

/// Check `ev`'s signature against its device's public key.
pub fn verify(ev: &Event, key: &VerifyingKey) -> Result<(), SealError> {
    let sig = ev.sig.as_deref().ok_or(SealError::Unsigned)?;
    let mut bytes = [0u8; 64];
    if sig.len() != SIG_HEX || hex::decode_to_slice(sig, &mut bytes).is_err() {
        return Err(SealError::Malformed);
    }
    let signed = signed_bytes(ev).ok_or(SealError::Unserialisable)?;
    // Strict: no malleable signature, no weak key; a forger gains nothing from either.
    key.verify_strict(signed.as_bytes(), &Signature::from_bytes(&bytes))
        .map_err(|_| SealError::Mismatch)
}

/// Lowercase hex of exactly `len` characters (a hash, a signature, a key).
pub fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventBody, Hlc};

    fn event() -> Event {
        Event {
            id: uuid::Uuid::now_v7(),
            stream: uuid::Uuid::now_v7().to_string(),
            hlc: Hlc {
                wall_ms: 1_780_000_000_000,
                counter: 0,
            },
            author: "李".into(),
            account: None,
            device: "pc-1".into(),
            office: "a".into(),
            body: EventBody::CaseArchived { note: "好".into() },
            prev: None,
            sig: None,
        }
    }

    #[test]
    fn a_signed_event_verifies_and_any_change_breaks_it() {
        let key = signing_key(&[7; 32]);
        let public = public_key(&public_key_hex(&key)).unwrap();
        let mut ev = event();
        sign(&mut ev, Some("ab".repeat(32)), &key).unwrap();
        assert_eq!(verify(&ev, &public), Ok(()));
        assert!(is_hex(ev.sig.as_deref().unwrap(), SIG_HEX));

        let mut edited = ev.clone();
        edited.body = EventBody::CaseArchived { note: "坏".into() };
        assert_eq!(verify(&edited, &public), Err(SealError::Mismatch));
        let mut relinked = ev.clone();
        relinked.prev = None;
        assert_eq!(verify(&relinked, &public), Err(SealError::Mismatch));
        let other = public_key(&public_key_hex(&signing_key(&[8; 32]))).unwrap();
        assert_eq!(verify(&ev, &other), Err(SealError::Mismatch));
        let mut cut = ev.clone();
        cut.sig = Some("00".into());
        assert_eq!(verify(&cut, &public), Err(SealError::Malformed));
        assert_eq!(verify(&event(), &public), Err(SealError::Unsigned));
        assert_eq!(public_key("zz").unwrap_err(), SealError::BadKey);
    }

    /// The hash is the server's digest of the canonical JSON, and an unsealed event's JSON
    /// has neither field: events written before seals keep their form.
    #[test]
    fn an_unsealed_event_keeps_its_canonical_form() {
        let ev = event();
        let json = canonical(&ev).unwrap();
        assert!(
            !json.contains("\"prev\"") && !json.contains("\"sig\""),
            "{json}"
        );
        assert_eq!(hash(&ev).unwrap(), hex_sha256(json.as_bytes()));
        let back: Event = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ev);
    }
}
