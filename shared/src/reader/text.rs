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

/// A piece of body text: plain, or a web address to show as a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment<'t> {
    Text(&'t str),
    Link(&'t str),
}

/// Splits text into plain runs and `http(s)://` addresses. Trailing punctuation that
/// usually ends a sentence (`.`, `,`, `)`...) stays text; only these two schemes
/// become links, so no `javascript:` can hide in a message.
pub fn links(text: &str) -> Vec<Segment<'_>> {
    let mut segments = Vec::new();
    let mut rest = text;
    while let Some(start) = find_scheme(rest) {
        let end = rest[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
            .map_or(rest.len(), |e| start + e);
        let mut link = &rest[start..end];
        while let Some(last) = link.chars().last() {
            let unbalanced_paren =
                last == ')' && link.matches('(').count() < link.matches(')').count();
            if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '\'' | ']') || unbalanced_paren {
                link = &link[..link.len() - last.len_utf8()];
            } else {
                break;
            }
        }
        let is_bare_scheme = link.ends_with("://");
        if start > 0 {
            segments.push(Segment::Text(&rest[..start]));
        }
        segments.push(if is_bare_scheme {
            Segment::Text(link)
        } else {
            Segment::Link(link)
        });
        rest = &rest[start + link.len()..];
    }
    if !rest.is_empty() {
        segments.push(Segment::Text(rest));
    }
    segments
}

fn find_scheme(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    [lower.find("https://"), lower.find("http://")]
        .into_iter()
        .flatten()
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_become_links_and_nothing_else() {
        use Segment::{Link, Text};
        assert_eq!(
            links("See https://wiki.example.org/spring-release and (http://a.example/x_(y)), ok."),
            vec![
                Text("See "),
                Link("https://wiki.example.org/spring-release"),
                Text(" and ("),
                Link("http://a.example/x_(y)"),
                Text("), ok."),
            ]
        );
        assert_eq!(
            links("javascript:alert(1) ftp://x"),
            vec![Text("javascript:alert(1) ftp://x")]
        );
        assert_eq!(
            links("just http:// here"),
            vec![Text("just "), Text("http://"), Text(" here")]
        );
        assert_eq!(links(""), vec![]);
    }

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
