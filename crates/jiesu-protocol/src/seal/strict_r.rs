//! The check `verify_strict` makes of a signature's `R` that batch verification does not —
//! a canonical encoding of a point not of small order — made on the 32 bytes, without
//! decoding the point.
//!
//! Decoding `R` costs a field exponentiation, and the batch decodes every `R` again itself:
//! checking by decoding (and encoding back, to compare) was a third of verifying a first
//! sync's pages. On the bytes:
//!
//! - **canonical `y`**: the 255 bits below the sign bit are less than p = 2^255 − 19. Only the
//!   19 values p … 2^255 − 1 are not (RFC 8032 §5.1.3 refuses them);
//! - **not of small order**: not one of the encodings of the eight points of small order
//!   (`EIGHT_TORSION`), nor one of them with its sign bit flipped. For a point with x ≠ 0 the
//!   flip encodes its negation, of small order too; for the two with x = 0, (0, 1) and
//!   (0, −1), it is the non-canonical "−0" encoding that decoding accepts and encoding never
//!   gives back.
//!
//! For every `R` that decodes, this answers as decoding, checking the order and comparing the
//! encoding does (`tests` compare the two). An `R` that decodes to no point passes here, and
//! fails the batch, which decodes it.

use std::sync::OnceLock;

use curve25519_dalek::constants::EIGHT_TORSION;

/// Whether `r` may be a strict signature's `R` (see the module's overview).
pub(super) fn acceptable(r: &[u8; 32]) -> bool {
    canonical_y(r) && !small_order().contains(r)
}

/// The 255 bits of `y` (the sign bit aside) are less than 2^255 − 19.
fn canonical_y(r: &[u8; 32]) -> bool {
    // Little-endian: y ≥ p exactly when bytes 1–30 are all 0xff, byte 31 is 0x7f without the
    // sign bit, and byte 0 is at least 0xed (p's lowest byte).
    !(r[0] >= 0xed && r[1..31].iter().all(|&b| b == 0xff) && r[31] & 0x7f == 0x7f)
}

/// The encodings of the points of small order, each with both sign bits.
fn small_order() -> &'static [[u8; 32]] {
    static ENCODINGS: OnceLock<Vec<[u8; 32]>> = OnceLock::new();
    ENCODINGS.get_or_init(|| {
        EIGHT_TORSION
            .iter()
            .map(|p| p.compress().to_bytes())
            .flat_map(|e| {
                let mut flipped = e;
                flipped[31] ^= 0x80;
                [e, flipped]
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
    use curve25519_dalek::edwards::CompressedEdwardsY;
    use curve25519_dalek::scalar::Scalar;

    /// The check as `verify_strict` makes it: decode, refuse small order, encode back and
    /// compare. `None`: no point at all (the batch refuses it).
    fn by_decoding(r: &[u8; 32]) -> Option<bool> {
        let p = CompressedEdwardsY(*r).decompress()?;
        Some(!p.is_small_order() && p.compress().to_bytes() == *r)
    }

    fn agree(r: &[u8; 32]) {
        if let Some(strict) = by_decoding(r) {
            assert_eq!(acceptable(r), strict, "{}", hex::encode(r));
        }
    }

    /// p − 1 + k in little-endian (k = 1 gives p), with the sign bit as given.
    fn at_or_above_p(k: u8, sign: bool) -> [u8; 32] {
        let mut r = [0xff; 32];
        r[0] = 0xec + k;
        r[31] = if sign { 0xff } else { 0x7f };
        r
    }

    #[test]
    fn every_point_of_small_order_is_refused_with_either_sign_bit() {
        for t in EIGHT_TORSION {
            let e = t.compress().to_bytes();
            let mut flipped = e;
            flipped[31] ^= 0x80;
            for r in [e, flipped] {
                assert!(!acceptable(&r), "{}", hex::encode(r));
                agree(&r);
            }
        }
    }

    #[test]
    fn every_y_of_p_or_above_is_refused_and_decoding_agrees() {
        for k in 1..=19u8 {
            for sign in [false, true] {
                let r = at_or_above_p(k, sign);
                assert!(!acceptable(&r), "{}", hex::encode(r));
                agree(&r);
            }
        }
        // p − 1 itself is canonical: y = −1, (0, −1), refused for its order only.
        let r = at_or_above_p(0, false);
        assert!(canonical_y(&r));
        agree(&r);
    }

    #[test]
    fn points_of_large_order_pass_and_their_torsion_shifted_twins_agree() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2_000 {
            // A cheap generator is enough: the points only need to be many and unalike.
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let p = ED25519_BASEPOINT_POINT * Scalar::from(seed);
            let r = p.compress().to_bytes();
            assert!(acceptable(&r));
            agree(&r);
            // Of mixed order (large plus a torsion part): not small, so it passes both ways.
            let mixed = (p + EIGHT_TORSION[(seed % 8) as usize])
                .compress()
                .to_bytes();
            agree(&mixed);
        }
    }

    #[test]
    fn on_arbitrary_bytes_that_decode_both_checks_agree() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut decoded = 0;
        for _ in 0..20_000 {
            let mut r = [0u8; 32];
            for chunk in r.chunks_mut(8) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                chunk.copy_from_slice(&seed.to_le_bytes());
            }
            if by_decoding(&r).is_some() {
                decoded += 1;
            }
            agree(&r);
        }
        assert!(decoded > 5_000, "too few decoded to compare: {decoded}");
    }
}
