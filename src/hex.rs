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
}
