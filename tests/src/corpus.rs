//! Realistic test mail, built as raw RFC 5322 bytes with CRLF line ends (so what a
//! server returns can be compared byte for byte with what was seeded).
//!
//! [`standard_mailbox`] is the set every account starts with: plain text, RFC 2047
//! names and subjects, quoted-printable, a Latin-1 body, HTML only, alternative, nested
//! multipart with an inline image, a 5 MB attachment, and a reply thread.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// One message to seed: its bytes and its IMAP state.
#[derive(Debug, Clone)]
pub struct Message {
    pub raw: Vec<u8>,
    pub seen: bool,
    /// Maildir flag letters besides Seen: `F` flagged, `R` answered, `T` deleted, `D` draft.
    pub flags: String,
}

impl Message {
    pub fn new(raw: impl Into<Vec<u8>>) -> Message {
        Message {
            raw: raw.into(),
            seen: false,
            flags: String::new(),
        }
    }

    pub fn seen(mut self) -> Message {
        self.seen = true;
        self
    }

    pub fn flagged(mut self) -> Message {
        self.flags.push('F');
        self
    }
}

/// Joins header and body lines with CRLF.
fn crlf(lines: &[&str]) -> String {
    let mut text = lines.join("\r\n");
    text.push_str("\r\n");
    text
}

fn encoded_word(text: &str) -> String {
    format!("=?UTF-8?B?{}?=", STANDARD.encode(text))
}

/// Base64 in 76-column lines, as MIME wants it.
fn base64_lines(data: &[u8]) -> String {
    let encoded = STANDARD.encode(data);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 38);
    for chunk in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push_str("\r\n");
    }
    out
}

/// Deterministic bytes that do not compress (xorshift), for attachments.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

pub const PLAIN_MESSAGE_ID: &str = "<plan-2026@example.org>";

pub fn plain_text() -> Message {
    Message::new(crlf(&[
        "Return-Path: <carol@example.org>",
        "From: Carol Baker <carol@example.org>",
        "To: Alice Smith <alice@example.org>",
        "Subject: Planning the spring release",
        "Date: Mon, 02 Mar 2026 09:15:00 +0100",
        &format!("Message-ID: {PLAIN_MESSAGE_ID}"),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "Hi Alice,",
        "",
        "Shall we meet on Thursday to plan the spring release? The notes are at",
        "https://wiki.example.org/spring-release and I'd like your view on the",
        "migration order before then.",
        "",
        "Carol",
    ]))
    .seen()
}

pub fn reply_to_plain() -> Message {
    Message::new(crlf(&[
        "From: Dave Chen <dave@example.org>",
        "To: Carol Baker <carol@example.org>",
        "Cc: Alice Smith <alice@example.org>",
        "Subject: Re: Planning the spring release",
        "Date: Mon, 02 Mar 2026 11:40:00 +0100",
        "Message-ID: <re-plan-2026@example.org>",
        &format!("In-Reply-To: {PLAIN_MESSAGE_ID}"),
        &format!("References: {PLAIN_MESSAGE_ID}"),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        "Thursday works for me.",
        "",
        "> Shall we meet on Thursday to plan the spring release?",
        "",
        "Dave",
    ]))
}

pub fn reply_to_reply() -> Message {
    Message::new(crlf(&[
        "From: Carol Baker <carol@example.org>",
        "To: Dave Chen <dave@example.org>",
        "Cc: Alice Smith <alice@example.org>",
        "Subject: Re: Planning the spring release",
        "Date: Mon, 02 Mar 2026 12:05:00 +0100",
        "Message-ID: <re-re-plan-2026@example.org>",
        "In-Reply-To: <re-plan-2026@example.org>",
        &format!("References: {PLAIN_MESSAGE_ID} <re-plan-2026@example.org>"),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "Booked room 4 at 10:00.",
    ]))
    .flagged()
}

pub fn utf8_headers() -> Message {
    Message::new(crlf(&[
        &format!("From: {} <renee@example.de>", encoded_word("Renée Müller")),
        "To: alice@example.org",
        &format!(
            "Subject: {}",
            encoded_word("Grüße aus Köln — Planung 2026 ✓")
        ),
        "Date: Tue, 03 Mar 2026 08:00:00 +0100",
        "Message-ID: <gruesse@example.de>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        "Liebe Alice,",
        "",
        "viele Grüße aus Köln! Über die Straße läuft gerade ein Umzug. 🎉",
        "",
        "Renée",
    ]))
}

pub fn quoted_printable() -> Message {
    Message::new(crlf(&[
        "From: Facturation <billing@example.fr>",
        "To: alice@example.org",
        "Subject: =?UTF-8?Q?Votre_facture_de_f=C3=A9vrier?=",
        "Date: Wed, 04 Mar 2026 10:00:00 +0100",
        "Message-ID: <facture-02@example.fr>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        "Bonjour,",
        "",
        "Votre facture de f=C3=A9vrier est disponible. Le montant d=C3=BB est de 42,=",
        "00 =E2=82=AC, =C3=A0 r=C3=A9gler avant le 31 mars.",
        "",
        "Cordialement,",
        "Le service facturation",
    ]))
}

pub fn latin1() -> Message {
    let mut raw = crlf(&[
        "From: =?ISO-8859-1?Q?Jos=E9_Garc=EDa?= <jose@example.es>",
        "To: alice@example.org",
        "Subject: =?ISO-8859-1?Q?Reuni=F3n_ma=F1ana?=",
        "Date: Thu, 05 Mar 2026 16:30:00 +0100",
        "Message-ID: <reunion@example.es>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=iso-8859-1",
        "Content-Transfer-Encoding: 8bit",
        "",
    ])
    .into_bytes();
    // "¿Nos vemos mañana a las diez?" in Latin-1: raw 8-bit bytes, not UTF-8.
    raw.extend_from_slice(b"\xbfNos vemos ma\xf1ana a las diez?\r\n\r\nJos\xe9\r\n");
    Message::new(raw)
}

pub fn html_only() -> Message {
    Message::new(crlf(&[
        "From: Example News <news@example.com>",
        "To: alice@example.org",
        "Subject: This week at Example",
        "Date: Fri, 06 Mar 2026 07:00:00 +0000",
        "Message-ID: <news-10@example.com>",
        "List-Unsubscribe: <https://example.com/unsubscribe>",
        "MIME-Version: 1.0",
        "Content-Type: text/html; charset=utf-8",
        "",
        "<!DOCTYPE html><html><head><style>h1{color:#246}</style></head><body>",
        "<h1>This week at Example</h1>",
        "<p>Three things we shipped, and one we <em>didn't</em>.</p>",
        "<ul><li>Faster search</li><li>Dark mode</li><li>Calendar sync</li></ul>",
        "<p><img src=\"https://tracker.example.com/open.gif?u=alice\" width=\"1\" height=\"1\"></p>",
        "<p><a href=\"https://example.com/blog\">Read the blog</a></p>",
        "</body></html>",
    ]))
}

pub fn alternative() -> Message {
    Message::new(crlf(&[
        "From: Erin Ford <erin@example.net>",
        "To: Alice Smith <alice@example.org>",
        "Subject: Lunch on Friday?",
        "Date: Fri, 06 Mar 2026 12:00:00 +0000",
        "Message-ID: <lunch@example.net>",
        "MIME-Version: 1.0",
        "Content-Type: multipart/alternative; boundary=\"alt-boundary-1\"",
        "",
        "--alt-boundary-1",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Lunch on Friday at the new café? *My treat.*",
        "--alt-boundary-1",
        "Content-Type: text/html; charset=utf-8",
        "",
        "<p>Lunch on Friday at the new café? <b>My treat.</b></p>",
        "--alt-boundary-1--",
    ]))
    .seen()
}

/// A one-pixel PNG.
const PIXEL_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x56, 0xc7, 0x2f, 0x0d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

pub fn nested_with_inline_image() -> Message {
    let png = base64_lines(PIXEL_PNG);
    let pdf = base64_lines(b"%PDF-1.4\n% a tiny stand-in document for the agenda\n%%EOF\n");
    let mut text = crlf(&[
        "From: Frank Green <frank@example.org>",
        "To: Alice Smith <alice@example.org>",
        "Subject: Site photos and agenda",
        "Date: Sat, 07 Mar 2026 09:30:00 +0100",
        "Message-ID: <photos@example.org>",
        "MIME-Version: 1.0",
        "Content-Type: multipart/mixed; boundary=\"mixed-1\"",
        "",
        "This is a multi-part message in MIME format.",
        "--mixed-1",
        "Content-Type: multipart/related; boundary=\"related-1\"; type=\"multipart/alternative\"",
        "",
        "--related-1",
        "Content-Type: multipart/alternative; boundary=\"alt-2\"",
        "",
        "--alt-2",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "The site today (photo inline). Agenda attached.",
        "--alt-2",
        "Content-Type: text/html; charset=us-ascii",
        "",
        "<p>The site today:</p><p><img src=\"cid:site-photo@example.org\" alt=\"site\"></p><p>Agenda attached.</p>",
        "--alt-2--",
        "",
        "--related-1",
        "Content-Type: image/png; name=\"site.png\"",
        "Content-Transfer-Encoding: base64",
        "Content-ID: <site-photo@example.org>",
        "Content-Disposition: inline; filename=\"site.png\"",
        "",
    ]);
    text.push_str(&png);
    text.push_str(&crlf(&[
        "--related-1--",
        "",
        "--mixed-1",
        "Content-Type: application/pdf; name=\"agenda.pdf\"",
        "Content-Transfer-Encoding: base64",
        "Content-Disposition: attachment; filename=\"agenda.pdf\"",
        "",
    ]));
    text.push_str(&pdf);
    text.push_str(&crlf(&["--mixed-1--"]));
    Message::new(text)
}

/// The bytes of [`large_attachment`]'s attachment, to compare a download against.
pub fn large_attachment_bytes() -> Vec<u8> {
    noise(5 * 1024 * 1024, 0x5eed)
}

pub fn large_attachment() -> Message {
    let mut text = crlf(&[
        "From: Grace Hill <grace@example.org>",
        "To: Alice Smith <alice@example.org>",
        "Subject: Survey data (5 MB)",
        "Date: Sun, 08 Mar 2026 18:00:00 +0100",
        "Message-ID: <survey@example.org>",
        "MIME-Version: 1.0",
        "Content-Type: multipart/mixed; boundary=\"mixed-big\"",
        "",
        "--mixed-big",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "The raw survey data is attached.",
        "--mixed-big",
        "Content-Type: application/octet-stream; name=\"survey.bin\"",
        "Content-Transfer-Encoding: base64",
        "Content-Disposition: attachment; filename=\"survey.bin\"",
        "",
    ]);
    text.push_str(&base64_lines(&large_attachment_bytes()));
    text.push_str(&crlf(&["--mixed-big--"]));
    Message::new(text)
}

/// The mailbox every test account starts with, oldest first.
pub fn standard_mailbox() -> Vec<Message> {
    vec![
        plain_text(),
        reply_to_plain(),
        reply_to_reply(),
        utf8_headers(),
        quoted_printable(),
        latin1(),
        html_only(),
        alternative(),
        nested_with_inline_image(),
        large_attachment(),
    ]
}

/// A forward of a forward of ...: `depth` multiparts, one inside the other, with
/// "At the bottom." as the only text; deeper than IMAP parsers read BODYSTRUCTURE.
pub fn deeply_nested(depth: usize) -> Message {
    let mut lines = vec![
        "From: Forwarder <fwd@example.org>".to_owned(),
        "To: alice@example.org".to_owned(),
        "Subject: Fwd: Fwd: Fwd: deep".to_owned(),
        "MIME-Version: 1.0".to_owned(),
        "Content-Type: multipart/mixed; boundary=\"b0\"".to_owned(),
        String::new(),
    ];
    for level in 1..depth {
        lines.push(format!("--b{}", level - 1));
        lines.push(format!(
            "Content-Type: multipart/mixed; boundary=\"b{level}\""
        ));
        lines.push(String::new());
    }
    lines.push(format!("--b{}", depth - 1));
    lines.push("Content-Type: text/plain".to_owned());
    lines.push(String::new());
    lines.push("At the bottom.".to_owned());
    for level in (0..depth).rev() {
        lines.push(format!("--b{level}--"));
    }
    lines.push(String::new());
    Message::new(lines.join("\r\n"))
}

/// A plain message of about `size` bytes, numbered, for bulk tests and benchmarks.
pub fn bulk(n: usize, size: usize) -> Message {
    let mut text = crlf(&[
        &format!("From: Sender {n} <sender{n}@example.org>"),
        "To: alice@example.org",
        &format!("Subject: Bulk message {n}"),
        "Date: Mon, 09 Mar 2026 10:00:00 +0000",
        &format!("Message-ID: <bulk-{n}@example.org>"),
        "MIME-Version: 1.0",
        "Content-Type: application/octet-stream",
        "Content-Transfer-Encoding: base64",
        "",
    ]);
    let payload = (size.saturating_sub(text.len()) / 4) * 3;
    text.push_str(&base64_lines(&noise(payload, n as u64 + 1)));
    Message::new(text)
}
