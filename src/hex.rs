//! Lowercase hex, written where it is needed on every request: the digests Udesk's and
//! NXCloud's signatures are compared as (`vendors::hex_lower`), and the seeded ids the faces hand
//! out (reqIds, tokens: `emulator`'s draws). One table for both, on the bottom floor, so that
//! the emulator's draws need not reach up into the vendors for it.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `bytes` as lowercase hex, two digits a byte.
pub fn lower(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    push_lower(&mut out, bytes);
    String::from_utf8(out).unwrap_or_default()
}

/// Appends `bytes` as lowercase hex: written as bytes, as a `char` push checks its width.
pub fn push_lower(out: &mut Vec<u8>, bytes: &[u8]) {
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 15)]);
    }
}

/// Whether `text` is `bytes` written in hex, two digits a byte: lowercase only, or either case
/// with `any_case`. Compared in place, without writing the digits out: the signature checks run
/// on every request.
pub fn spells(text: &[u8], bytes: &[u8], any_case: bool) -> bool {
    let fold = |d: u8| if any_case { d.to_ascii_lowercase() } else { d };
    text.len() == bytes.len() * 2
        && bytes.iter().zip(text.chunks_exact(2)).all(|(b, pair)| {
            fold(pair[0]) == DIGITS[usize::from(b >> 4)]
                && fold(pair[1]) == DIGITS[usize::from(b & 15)]
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_lowercase_digits_a_byte() {
        assert_eq!(super::lower(&[]), "");
        assert_eq!(super::lower(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        let all: Vec<u8> = (0..=255).collect();
        let expected: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(super::lower(&all), expected);
    }

    #[test]
    fn spells_agrees_with_writing_the_digits_out() {
        let all: Vec<u8> = (0..=255).collect();
        let lower = super::lower(&all);
        let upper = lower.to_ascii_uppercase();
        assert!(super::spells(lower.as_bytes(), &all, false));
        assert!(super::spells(lower.as_bytes(), &all, true));
        assert!(super::spells(upper.as_bytes(), &all, true));
        assert!(!super::spells(upper.as_bytes(), &all, false));
        assert!(super::spells(b"", &[], false));
        for bad in ["0f", "00f", "000", "0", "0g", "g0", "00 ", " 00"] {
            assert!(!super::spells(bad.as_bytes(), &[0x00], true), "{bad}");
        }
        assert!(!super::spells(b"0F", &[0x0f], false));
        assert!(super::spells(b"0F", &[0x0f], true));
    }
}
