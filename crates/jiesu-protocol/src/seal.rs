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

mod strict_r;

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

/// Check many events' signatures at once: `true` only if every one would pass [`verify`].
///
/// Ed25519 batch verification (one multiscalar multiplication for the whole batch, about a
/// third of the cost of verifying one by one here) checks the signature equation of all of
/// them together, with random weights, so a single wrong signature fails the batch. It does
/// not make the checks `verify_strict` adds, so they are made here first, each cheap: the
/// signature's `R` is a canonical encoding of a point that is not of small order (on its
/// bytes, [`strict_r`]; the batch refuses an `R` that is no point), and the device's key is
/// not of small order (a weak key). With them, the batch accepts what the
/// one-by-one check accepts (but for a 2^-128 chance). Which event fails is not said: a page
/// is refused whole, and [`verify`] names the event where that matters (核验留痕).
pub fn verify_all(events: &[(&Event, &VerifyingKey)]) -> bool {
    let mut messages: Vec<String> = Vec::with_capacity(events.len());
    let mut signatures: Vec<Signature> = Vec::with_capacity(events.len());
    let mut keys: Vec<VerifyingKey> = Vec::with_capacity(events.len());
    let mut strong: std::collections::HashSet<&VerifyingKey> = Default::default();
    for (ev, key) in events {
        let Some(sig) = ev.sig.as_deref() else {
            return false;
        };
        let mut bytes = [0u8; 64];
        if sig.len() != SIG_HEX || hex::decode_to_slice(sig, &mut bytes).is_err() {
            return false;
        }
        let signature = Signature::from_bytes(&bytes);
        if !strict_r::acceptable(signature.r_bytes()) {
            return false;
        }
        if !strong.contains(key) {
            if key.is_weak() {
                return false;
            }
            strong.insert(key);
        }
        let Some(message) = signed_bytes(ev) else {
            return false;
        };
        messages.push(message);
        signatures.push(signature);
        keys.push(**key);
    }
    let messages: Vec<&[u8]> = messages.iter().map(String::as_bytes).collect();
    ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok()
}

/// Lowercase hex of exactly `len` characters (a hash, a signature, a key).
pub fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventBody, Hlc};
    use sha2::Sha512;

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

    /// `n` events signed by three devices, with their keys.
    fn signed(n: usize) -> (Vec<Event>, Vec<VerifyingKey>) {
        let keys: Vec<SigningKey> = (1..=3).map(|i| signing_key(&[i; 32])).collect();
        let events = (0..n)
            .map(|i| {
                let mut ev = event();
                ev.body = EventBody::CaseArchived {
                    note: format!("第{i}件"),
                };
                sign(&mut ev, None, &keys[i % 3]).unwrap();
                ev
            })
            .collect();
        (
            events,
            (0..n).map(|i| keys[i % 3].verifying_key()).collect(),
        )
    }

    fn pairs<'a>(
        events: &'a [Event],
        keys: &'a [VerifyingKey],
    ) -> Vec<(&'a Event, &'a VerifyingKey)> {
        events.iter().zip(keys).collect()
    }

    #[test]
    fn a_batch_verifies_exactly_when_every_event_does() {
        let (events, keys) = signed(50);
        assert!(verify_all(&pairs(&events, &keys)));
        assert!(verify_all(&[]));
        for at in [0, 17, 49] {
            let mut edited = events.clone();
            edited[at].body = EventBody::CaseArchived { note: "改".into() };
            assert!(!verify_all(&pairs(&edited, &keys)), "edited at {at}");
            let mut rekeyed = keys.clone();
            rekeyed[at] = keys[at + 1 - 2 * usize::from(at == 49)];
            assert!(
                !verify_all(&pairs(&events, &rekeyed)),
                "another key at {at}"
            );
            let mut unsigned = events.clone();
            unsigned[at].sig = None;
            assert!(!verify_all(&pairs(&unsigned, &keys)), "unsigned at {at}");
            let mut cut = events.clone();
            cut[at].sig = Some("00".into());
            assert!(!verify_all(&pairs(&cut, &keys)), "malformed at {at}");
        }
    }

    /// A signature whose `R` is the identity satisfies the batch's (cofactorless) equation when
    /// `s` is the key's own scalar times the challenge: only the key's holder can make it, and
    /// `verify_strict` refuses it. The batch must refuse it too.
    #[test]
    fn a_batch_refuses_the_small_order_signature_strict_verification_refuses() {
        use curve25519_dalek::Scalar;
        use ed25519_dalek::hazmat::ExpandedSecretKey;
        let secret = [9u8; 32];
        let key = signing_key(&secret);
        let public = key.verifying_key();
        let mut ev = event();
        let message = signed_bytes(&ev).unwrap();
        let mut r = [0u8; 32];
        r[0] = 1; // the identity point, of order 1
        let challenge = Scalar::from_bytes_mod_order_wide(
            &Sha512::new()
                .chain_update(r)
                .chain_update(public.as_bytes())
                .chain_update(message.as_bytes())
                .finalize()
                .into(),
        );
        let s = challenge * ExpandedSecretKey::from(&secret).scalar;
        let mut bytes = [0u8; 64];
        bytes[..32].copy_from_slice(&r);
        bytes[32..].copy_from_slice(s.as_bytes());
        ev.sig = Some(hex::encode(bytes));
        assert_eq!(verify(&ev, &public), Err(SealError::Mismatch));
        let m: &[u8] = message.as_bytes();
        assert!(
            ed25519_dalek::verify_batch(&[m], &[Signature::from_bytes(&bytes)], &[public]).is_ok(),
            "the batch equation alone accepts it"
        );
        assert!(!verify_all(&[(&ev, &public)]));
        let (mut events, mut keys) = signed(10);
        events.push(ev);
        keys.push(public);
        assert!(!verify_all(&pairs(&events, &keys)));
    }
}
