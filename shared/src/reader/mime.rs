//! Whole messages, as POP3 delivers them, parsed with mail-parser: the summary a list
//! row shows (from the headers alone, as `TOP n 0` returns them) and the parts the
//! reader shows (from the full message, as `RETR` returns it).
//!
//! IMAP needs none of this: the server parses the MIME tree there and the reader
//! fetches single parts. Here the whole message is in hand.

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

use crate::summary::{Address, MessageSummary};

/// What the reader shows of a whole message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageParts {
    /// The HTML body, unsanitized (the reader sanitizes it before showing it).
    pub html: Option<String>,
    /// The plain-text body, when the message has one.
    pub text: Option<String>,
    /// Images the HTML shows inline, by Content-ID.
    pub inline_images: Vec<InlineImage>,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineImage {
    /// The Content-ID without angle brackets, as `cid:` URLs name it.
    pub content_id: String,
    pub mime_type: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub mime_type: String,
    /// Decoded content (transfer encoding undone).
    pub bytes: Vec<u8>,
}

/// The list row of a message from its header block (or the whole message). `uid`
/// is the caller's identifier for the row; `size` the message size the server gave.
/// Headers mail-parser cannot make sense of are left empty, never an error: a
/// damaged message still gets a row.
pub fn summarize(raw: &[u8], uid: u32, size: u32) -> MessageSummary {
    let parsed = MessageParser::default().parse_headers(raw);
    let Some(message) = parsed else {
        return MessageSummary {
            uid,
            flags: Vec::new(),
            subject: String::new(),
            from: Vec::new(),
            to: Vec::new(),
            cc: Vec::new(),
            date: None,
            received: None,
            size,
            message_id: None,
            in_reply_to: None,
            references: Vec::new(),
            has_attachments: false,
        };
    };
    let addresses = |list: Option<&mail_parser::Address<'_>>| -> Vec<Address> {
        list.map(|list| {
            list.iter()
                .map(|a| Address {
                    name: a.name().unwrap_or_default().to_owned(),
                    email: a.address().unwrap_or_default().to_owned(),
                })
                .collect()
        })
        .unwrap_or_default()
    };
    let content_type = message.root_part().content_type();
    let has_attachments = content_type.is_some_and(|t| {
        t.ctype().eq_ignore_ascii_case("multipart")
            && t.subtype().is_some_and(|s| s.eq_ignore_ascii_case("mixed"))
    });
    MessageSummary {
        uid,
        flags: Vec::new(),
        subject: message.subject().unwrap_or_default().to_owned(),
        from: addresses(message.from()),
        to: addresses(message.to()),
        cc: addresses(message.cc()),
        date: message
            .header_raw("Date")
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty()),
        // POP3 tells nothing of arrival: the Date header's time stands in for it.
        received: message.date().map(|d| d.to_rfc3339()),
        size,
        message_id: message.message_id().map(|id| format!("<{id}>")),
        in_reply_to: message
            .in_reply_to()
            .as_text_list()
            .and_then(|ids| ids.first())
            .map(|id| format!("<{id}>")),
        references: message
            .references()
            .as_text_list()
            .map(|ids| ids.iter().map(|id| format!("<{id}>")).collect())
            .unwrap_or_default(),
        has_attachments,
    }
}

/// The parts of a whole message the reader shows: the HTML body (else the text
/// body), the images the HTML refers to by `cid:`, and the attachments. `None` when
/// the bytes are not a message at all.
pub fn parts(raw: &[u8]) -> Option<MessageParts> {
    let message = MessageParser::default().parse(raw)?;
    let mut parts = MessageParts {
        // mail-parser converts between text and HTML when a message lacks one; only
        // a real text/html part is shown as HTML.
        html: first_body(&message, &message.html_body, true),
        text: first_body(&message, &message.text_body, false),
        ..MessageParts::default()
    };
    for &index in &message.attachments {
        let Some(part) = message.parts.get(index as usize) else {
            continue;
        };
        let mime_type = part
            .content_type()
            .map(|t| match t.subtype() {
                Some(sub) => format!("{}/{}", t.ctype(), sub),
                None => t.ctype().to_owned(),
            })
            .unwrap_or_else(|| "application/octet-stream".to_owned())
            .to_ascii_lowercase();
        let bytes = part.contents().to_vec();
        match part.content_id() {
            Some(id)
                if mime_type.starts_with("image/")
                    && !part
                        .content_disposition()
                        .is_some_and(|d| d.is_attachment()) =>
            {
                parts.inline_images.push(InlineImage {
                    content_id: id.trim_matches(['<', '>']).to_owned(),
                    mime_type,
                    bytes,
                });
            }
            _ => parts.attachments.push(Attachment {
                filename: part.attachment_name().unwrap_or("attachment").to_owned(),
                mime_type,
                bytes,
            }),
        }
    }
    Some(parts)
}

fn first_body(message: &Message<'_>, bodies: &[u32], html: bool) -> Option<String> {
    bodies.iter().find_map(
        |&index| match (&message.parts.get(index as usize)?.body, html) {
            (PartType::Html(content), true) | (PartType::Text(content), false) => {
                Some(content.to_string())
            }
            _ => None,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADERS: &[u8] = b"From: =?utf-8?q?J=C3=BCrgen?= <jurgen@example.org>\r\n\
        To: alice@example.org, Bob <bob@example.org>\r\n\
        Subject: =?iso-8859-1?q?Gr=FC=DFe?=\r\n\
        Date: Mon, 2 Mar 2026 09:15:00 +0100\r\n\
        Message-ID: <one@example.org>\r\n\
        In-Reply-To: <zero@example.org>\r\n\
        References: <root@example.org> <zero@example.org>\r\n\
        Content-Type: multipart/mixed; boundary=b\r\n\r\n";

    #[test]
    fn summarizes_decoded_headers() {
        let row = summarize(HEADERS, 7, 1234);
        assert_eq!(row.uid, 7);
        assert_eq!(row.size, 1234);
        assert_eq!(row.subject, "Grüße");
        assert_eq!(row.from[0].name, "Jürgen");
        assert_eq!(row.from[0].email, "jurgen@example.org");
        assert_eq!(row.to.len(), 2);
        assert_eq!(row.date.as_deref(), Some("Mon, 2 Mar 2026 09:15:00 +0100"));
        assert_eq!(row.received.as_deref(), Some("2026-03-02T09:15:00+01:00"));
        assert_eq!(row.message_id.as_deref(), Some("<one@example.org>"));
        assert_eq!(row.in_reply_to.as_deref(), Some("<zero@example.org>"));
        assert_eq!(row.references, ["<root@example.org>", "<zero@example.org>"]);
        assert!(row.has_attachments);
    }

    #[test]
    fn damaged_headers_still_give_a_row() {
        let row = summarize(b"\xff\xfe garbage without colon\r\n\r\n", 1, 10);
        assert_eq!(row.uid, 1);
        assert!(row.subject.is_empty());
    }

    #[test]
    fn splits_a_message_into_what_the_reader_shows() {
        let raw = b"Subject: parts\r\n\
            Content-Type: multipart/mixed; boundary=outer\r\n\r\n\
            --outer\r\n\
            Content-Type: multipart/related; boundary=inner\r\n\r\n\
            --inner\r\n\
            Content-Type: text/html; charset=iso-8859-1\r\n\
            Content-Transfer-Encoding: quoted-printable\r\n\r\n\
            <p>Caf=E9 <img src=3D\"cid:logo@x\"></p>\r\n\
            --inner\r\n\
            Content-Type: image/png\r\n\
            Content-ID: <logo@x>\r\n\
            Content-Transfer-Encoding: base64\r\n\r\n\
            iVBORw0K\r\n\
            --inner--\r\n\
            --outer\r\n\
            Content-Type: application/pdf; name=report.pdf\r\n\
            Content-Disposition: attachment; filename=report.pdf\r\n\
            Content-Transfer-Encoding: base64\r\n\r\n\
            JVBERi0=\r\n\
            --outer--\r\n";
        let parts = parts(raw).unwrap();
        assert_eq!(
            parts.html.as_deref(),
            Some("<p>Café <img src=\"cid:logo@x\"></p>")
        );
        assert_eq!(parts.inline_images.len(), 1);
        assert_eq!(parts.inline_images[0].content_id, "logo@x");
        assert_eq!(parts.inline_images[0].bytes, b"\x89PNG\r\n");
        assert_eq!(parts.attachments.len(), 1);
        assert_eq!(parts.attachments[0].filename, "report.pdf");
        assert_eq!(parts.attachments[0].mime_type, "application/pdf");
        assert_eq!(parts.attachments[0].bytes, b"%PDF-");
    }

    #[test]
    fn plain_text_is_not_dressed_up_as_html() {
        let parts = parts(b"Subject: t\r\n\r\nHello <b>there</b>\r\n").unwrap();
        assert_eq!(parts.html, None);
        assert_eq!(parts.text.as_deref(), Some("Hello <b>there</b>\r\n"));
    }
}
