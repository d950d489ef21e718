//! Body text from bytes and a MIME charset label.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use encoding_rs::Encoding;

/// Undoes a Content-Transfer-Encoding (`base64`, `quoted-printable`; others pass
/// through). For servers without BINARY, which would do this themselves. Damaged
/// input decodes as far as it can rather than failing the whole part.
pub fn decode_transfer(bytes: &[u8], encoding: &str) -> Vec<u8> {
    match encoding.to_ascii_lowercase().as_str() {
        "base64" => {
            let clean: Vec<u8> = bytes
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            STANDARD
                .decode(&clean)
                .or_else(|_| {
                    base64::engine::general_purpose::STANDARD_NO_PAD.decode(clean.trim_ascii_end())
                })
                .unwrap_or_else(|_| bytes.to_vec())
        }
        "quoted-printable" => quoted_printable::decode(bytes, quoted_printable::ParseMode::Robust)
            .unwrap_or_else(|_| bytes.to_vec()),
        _ => bytes.to_vec(),
    }
}

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
    fn transfer_encodings() {
        assert_eq!(decode_transfer(b"SGVs\r\nbG8=\r\n", "base64"), b"Hello");
        assert_eq!(
            decode_transfer(b"f=C3=A9vrier est =\r\nl=C3=A0", "Quoted-Printable"),
            "février est là".as_bytes()
        );
        assert_eq!(decode_transfer(b"plain", "7bit"), b"plain");
        assert_eq!(
            decode_transfer(b"not base64 !!", "base64"),
            b"not base64 !!"
        );
    }

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
