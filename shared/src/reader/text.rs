//! Body text from bytes and a MIME charset label.

use encoding_rs::Encoding;

/// Decodes `bytes` labelled `charset` (e.g. `iso-8859-1`, `utf-8`, `windows-1252`);
/// an unknown or missing label is read as UTF-8. Undecodable bytes become U+FFFD:
/// a reader shows what it can rather than nothing.
pub fn decode(bytes: &[u8], charset: Option<&str>) -> String {
    let encoding = charset
        .and_then(|label| Encoding::for_label(label.trim().as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    let (text, _, _) = encoding.decode(bytes);
    text.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charsets() {
        assert_eq!(decode(b"Jos\xe9", Some("iso-8859-1")), "José");
        assert_eq!(decode(b"\x80 5", Some("windows-1252")), "€ 5");
        assert_eq!(decode("Grüße".as_bytes(), Some("UTF-8")), "Grüße");
        assert_eq!(decode("Grüße".as_bytes(), None), "Grüße");
        assert_eq!(decode(b"caf\xe9", Some("x-unknown")), "caf\u{fffd}");
        assert_eq!(
            decode(b"\x1b$B$3$s$K$A$O\x1b(B", Some("iso-2022-jp")),
            "こんにちは"
        );
    }
}
