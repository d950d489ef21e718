//! Modified UTF-7 (RFC 3501 §5.1.3), the encoding of IMAP mailbox names before
//! UTF8=ACCEPT: printable ASCII stands for itself, `&` is written `&-`, and anything
//! else is UTF-16 in a modified base64 (`,` for `/`) between `&` and `-`.

use base64::Engine;
use base64::alphabet::IMAP_MUTF7;
use base64::engine::general_purpose::{GeneralPurpose, NO_PAD};

const MUTF7: GeneralPurpose = GeneralPurpose::new(&IMAP_MUTF7, NO_PAD);

/// Why a mailbox name is not valid modified UTF-7.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("mailbox name is not valid modified UTF-7 at byte {at}")]
pub struct Utf7Error {
    pub at: usize,
}

/// Decodes a mailbox name as the server sent it.
pub fn decode(name: &str) -> Result<String, Utf7Error> {
    let mut out = String::with_capacity(name.len());
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'&' {
            if !(0x20..=0x7e).contains(&b) {
                return Err(Utf7Error { at: i });
            }
            out.push(b as char);
            i += 1;
            continue;
        }
        let end = name[i + 1..]
            .find('-')
            .map(|e| i + 1 + e)
            .ok_or(Utf7Error { at: i })?;
        if end == i + 1 {
            out.push('&');
        } else {
            let raw = MUTF7
                .decode(&name[i + 1..end])
                .map_err(|_| Utf7Error { at: i })?;
            if raw.len() % 2 != 0 {
                return Err(Utf7Error { at: i });
            }
            let units: Vec<u16> = raw
                .chunks(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                .collect();
            let text = String::from_utf16(&units).map_err(|_| Utf7Error { at: i })?;
            out.push_str(&text);
        }
        i = end + 1;
    }
    Ok(out)
}

/// Encodes a mailbox name for the server.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if !pending.is_empty() {
            let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
            out.push('&');
            out.push_str(&MUTF7.encode(bytes));
            out.push('-');
            pending.clear();
        }
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut units = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush(&mut pending, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_examples_and_round_trips() {
        // RFC 3501 §5.1.3's example.
        assert_eq!(
            decode("~peter/mail/&U,BTFw-/&ZeVnLIqe-").unwrap(),
            "~peter/mail/台北/日本語"
        );
        assert_eq!(
            encode("~peter/mail/台北/日本語"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        for name in [
            "INBOX",
            "Entwürfe",
            "Tom & Jerry",
            "📬 Post",
            "Ab&Cd/Éé",
            "",
        ] {
            assert_eq!(decode(&encode(name)).unwrap(), name, "{name}");
        }
        assert_eq!(decode("Tom &- Jerry").unwrap(), "Tom & Jerry");
    }

    #[test]
    fn malformed_names_say_where() {
        assert_eq!(decode("abc&ZeVn").unwrap_err().at, 3);
        assert_eq!(decode("a&-b&*-").unwrap_err().at, 4);
        assert!(decode("caf\u{e9}").is_err());
    }
}
