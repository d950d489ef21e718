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

/// A header value with its RFC 2047 encoded words (`=?utf-8?q?...?=`) decoded. Words
/// longer than the 75 characters RFC 2047 allows are decoded all the same, as other
/// mail clients do; a value that cannot be decoded is kept as sent (8-bit bytes read
/// as UTF-8, RFC 6532, lossily where they are not).
pub fn encoded_words(bytes: &[u8]) -> String {
    use rfc2047_decoder::{Decoder, RecoverStrategy};
    Decoder::new()
        .too_long_encoded_word_strategy(RecoverStrategy::Decode)
        .decode(bytes)
        .unwrap_or_else(|_| String::from_utf8_lossy(bytes).into_owned())
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
///
/// Linear in the length of `text` whatever it holds: each byte is looked at a
/// bounded number of times (a message of links, or one link followed by 100,000
/// `)`, cannot make it slower per byte).
pub fn links(text: &str) -> Vec<Segment<'_>> {
    let mut segments = Vec::new();
    let mut plain_from = 0;
    let mut at = 0;
    while let Some(start) = find_scheme(text, at) {
        let end = text[start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
            .map_or(text.len(), |e| start + e);
        let link = trim_link(&text[start..end]);
        if link.ends_with("://") {
            // A bare scheme is text; look for the next address after it.
            at = start + link.len();
            continue;
        }
        if start > plain_from {
            segments.push(Segment::Text(&text[plain_from..start]));
        }
        segments.push(Segment::Link(link));
        plain_from = start + link.len();
        at = plain_from;
    }
    if plain_from < text.len() {
        segments.push(Segment::Text(&text[plain_from..]));
    }
    segments
}

/// `link` without the punctuation that ends the sentence around it: `.`, `,`, `;`,
/// `:`, `!`, `?`, `'`, `]`, and `)` that no `(` in the link opened. One pass from
/// the end.
fn trim_link(link: &str) -> &str {
    let opened = link.bytes().filter(|&b| b == b'(').count();
    let mut closed = link.bytes().filter(|&b| b == b')').count();
    let mut end = link.len();
    while let Some(&last) = link.as_bytes()[..end].last() {
        match last {
            b'.' | b',' | b';' | b':' | b'!' | b'?' | b'\'' | b']' => end -= 1,
            b')' if opened < closed => {
                closed -= 1;
                end -= 1;
            }
            _ => break,
        }
    }
    &link[..end]
}

/// Where the next `http://` or `https://` (any case) starts at or after `from`.
fn find_scheme(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let starts_with = |at: usize, scheme: &[u8]| {
        bytes
            .get(at..at + scheme.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(scheme))
    };
    (from..bytes.len()).find(|&at| {
        matches!(bytes[at], b'h' | b'H')
            && (starts_with(at, b"http://") || starts_with(at, b"https://"))
    })
}

/// Text cut into pieces of at most about `size` bytes, at line ends where a line
/// allows it (else at a character boundary), to show a long body a piece at a time.
pub fn pieces(text: &str, size: usize) -> Vec<&str> {
    let size = size.max(4);
    let mut pieces = Vec::new();
    let mut rest = text;
    while rest.len() > size {
        let mut cut = size;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if let Some(line_end) = rest[..cut].rfind('\n') {
            cut = line_end + 1;
        }
        pieces.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    if !rest.is_empty() {
        pieces.push(rest);
    }
    pieces
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
        assert_eq!(links("just http:// here"), vec![Text("just http:// here")]);
        assert_eq!(links(""), vec![]);
        assert_eq!(
            links("HTTPS://A.example/x.) http://b.example"),
            vec![
                Link("HTTPS://A.example/x"),
                Text(".) "),
                Link("http://b.example")
            ]
        );
    }

    #[test]
    fn hostile_text_costs_the_same_per_byte() {
        use Segment::{Link, Text};
        // One link followed by 100,000 `)`: the trimming is one pass.
        let parens = format!("http://a.example/{}", ")".repeat(100_000));
        assert_eq!(
            links(&parens),
            vec![Link("http://a.example/"), Text(&parens[17..])]
        );
        // 2 MB of links, and 2 MB of "h" that almost start one.
        let many = "http://x.example/ ".repeat(120_000);
        assert_eq!(links(&many).len(), 240_000);
        let almost = "htt".repeat(700_000);
        assert_eq!(links(&almost), vec![Text(&almost)]);
    }

    #[test]
    fn long_text_is_cut_at_line_ends() {
        assert_eq!(pieces("ab\ncd\nef", 5), vec!["ab\n", "cd\nef"]);
        assert_eq!(pieces("abcdefgh", 5), vec!["abcde", "fgh"]);
        assert_eq!(pieces("ééé", 5), vec!["éé", "é"]);
        assert_eq!(pieces("", 5), Vec::<&str>::new());
        let long = "line of text\n".repeat(100_000);
        let cut = pieces(&long, 256 * 1024);
        assert_eq!(cut.concat(), long);
        assert!(
            cut.iter()
                .all(|p| p.ends_with('\n') && p.len() <= 256 * 1024)
        );
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
    fn long_encoded_words_are_decoded() {
        let long = format!("=?utf-8?q?{}?=", "caf=C3=A9_".repeat(20));
        assert!(long.len() > 75);
        assert_eq!(
            encoded_words(long.as_bytes()),
            "café ".repeat(20).trim_end()
        );
        assert_eq!(encoded_words(b"=?utf-8?b?SGk=?= there"), "Hi there");
        assert_eq!(encoded_words("Grüße".as_bytes()), "Grüße");
        assert_eq!(encoded_words(b"=?bogus"), "=?bogus");
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
