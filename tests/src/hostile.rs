//! Hostile mail, written for Postern's tests: one message per way a message has
//! been seen to break a webmail's availability or integrity (issue 11). Each comes
//! with what the reader must show of it, so a test can tell "opened" from "broke".
//!
//! The payloads are big on purpose (2 MB of links, a 20 MB line, 100,000 nested
//! elements, 2,000 inline images) but built from a few lines here.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::corpus::Message;

/// One hostile message and how to tell that it opened.
pub struct Hostile {
    /// Its subject, which the list must show (the folder did not fail).
    pub subject: &'static str,
    pub message: Message,
    /// Text the reader shows once the message is open, in the page or in the
    /// message's frame.
    pub shows: &'static str,
}

fn message(subject: &str, headers: &[&str], body: &str) -> Message {
    let mut text = format!(
        "From: Hostile <hostile@example.net>\r\nTo: alice@example.org\r\nSubject: {subject}\r\n\
         Date: Sun, 08 Mar 2026 12:00:00 +0000\r\nMIME-Version: 1.0\r\n"
    );
    for header in headers {
        text.push_str(header);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    text.push_str(body);
    Message::new(text)
}

/// A 1×1 transparent PNG.
const PIXEL: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/// An HTML body with inline images, as multipart/related: `(content id header,
/// content type header)` per image, all the same pixel.
fn related(subject: &str, html: &str, images: &[(String, String)]) -> Message {
    let mut body = format!("--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n");
    for (id, content_type) in images {
        body.push_str(&format!(
            "--rel\r\nContent-Type: {content_type}\r\nContent-ID: {id}\r\n\
             Content-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\n{PIXEL}\r\n"
        ));
    }
    body.push_str("--rel--\r\n");
    message(
        subject,
        &["Content-Type: multipart/related; boundary=\"rel\"; type=\"text/html\""],
        &body,
    )
}

/// Seven and more multiparts deep: past imap-codec's BODYSTRUCTURE limit.
pub fn deep_mime() -> Hostile {
    Hostile {
        subject: "Fwd: Fwd: Fwd: deep",
        message: crate::corpus::deeply_nested(12),
        shows: "At the bottom.",
    }
}

/// 2 MB of plain text full of web addresses.
pub fn many_links() -> Hostile {
    let mut body = String::with_capacity(2 << 20);
    let mut n = 0;
    while body.len() < 2 << 20 {
        body.push_str(&format!("see https://example.com/page/{n} and more\r\n"));
        n += 1;
    }
    Hostile {
        subject: "Hostile: 2 MB of links",
        message: message(
            "Hostile: 2 MB of links",
            &["Content-Type: text/plain"],
            &body,
        ),
        shows: "https://example.com/page/0",
    }
}

/// One link followed by 100,000 closing parentheses.
pub fn link_and_parentheses() -> Hostile {
    let body = format!("Look: https://example.com/x{}\r\n", ")".repeat(100_000));
    Hostile {
        subject: "Hostile: a link and 100,000 parentheses",
        message: message(
            "Hostile: a link and 100,000 parentheses",
            &["Content-Type: text/plain"],
            &body,
        ),
        shows: "Look: https://example.com/x",
    }
}

/// 100,000 nested `<div>`: quadratic for an HTML tree builder.
pub fn nested_elements() -> Hostile {
    let html = format!(
        "<html><body>{}Deep inside the divs{}</body></html>",
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    );
    Hostile {
        subject: "Hostile: 100,000 nested elements",
        message: message(
            "Hostile: 100,000 nested elements",
            &["Content-Type: text/html; charset=utf-8"],
            &html,
        ),
        shows: "Deep inside the divs",
    }
}

/// A 20 MB body of one line.
pub fn one_long_line() -> Hostile {
    let mut body = String::from("Start of the line ");
    body.push_str(&"word ".repeat(4 << 20));
    body.push_str("\r\n");
    Hostile {
        subject: "Hostile: a 20 MB line",
        message: message(
            "Hostile: a 20 MB line",
            &["Content-Type: text/plain"],
            &body,
        ),
        shows: "Start of the line",
    }
}

/// Content-IDs and Content-Types that try to break out of an attribute, a `cid:a1`
/// that must not rewrite `cid:a10`, and an empty Content-ID.
pub fn cid_injection() -> Hostile {
    let html = "<p>Images follow.</p>\
        <img src=\"cid:a1\" alt=\"one\"><img src=\"cid:a10\" alt=\"ten\">\
        <img src='cid:L\" href=\"https://example.com/\" lang=' alt=\"quote\">\
        <img src=\"cid:typed\" alt=\"typed\"><a href=\"cid:\">empty</a>";
    let images = vec![
        ("<a1>".to_owned(), "image/png".to_owned()),
        ("<L\" href=\"https://example.com/\" lang=>".to_owned(), "image/png".to_owned()),
        (
            "<typed>".to_owned(),
            "image/x\"><meta http-equiv=refresh content=\"0;url=https://evil.example/\"><form action=\"https://evil.example/\">".to_owned(),
        ),
        ("<>".to_owned(), "image/png".to_owned()),
    ];
    Hostile {
        subject: "Hostile: cid and Content-Type injection",
        message: related("Hostile: cid and Content-Type injection", html, &images),
        shows: "Images follow.",
    }
}

/// A display name with a comma and an address in it (reply-all must not split it).
pub fn address_injection() -> Hostile {
    Hostile {
        subject: "Hostile: who is this from",
        message: Message::new(
            "From: \"boss@corp.example, Mallory\" <mallory@evil.example>\r\n\
             To: alice@example.org\r\nCc: bob@example.org\r\nSubject: Hostile: who is this from\r\n\
             Date: Sun, 08 Mar 2026 12:00:00 +0000\r\n\r\nPay the invoice today.\r\n",
        ),
        shows: "Pay the invoice today.",
    }
}

/// Quoted-printable with broken escapes, and a transfer encoding nobody knows.
pub fn broken_encodings() -> [Hostile; 2] {
    [
        Hostile {
            subject: "Hostile: broken quoted-printable",
            message: message(
                "Hostile: broken quoted-printable",
                &[
                    "Content-Type: text/plain; charset=utf-8",
                    "Content-Transfer-Encoding: quoted-printable",
                ],
                "Caf=C3=A9 =ZZ and =\r\n=4 broken tail=\r\n",
            ),
            shows: "and",
        },
        Hostile {
            subject: "Hostile: unknown transfer encoding",
            message: message(
                "Hostile: unknown transfer encoding",
                &[
                    "Content-Type: text/plain",
                    "Content-Transfer-Encoding: x-uuencode-9",
                ],
                "Words you can still read\r\n",
            ),
            shows: "Words you can still read",
        },
    ]
}

/// A References header of 8,000 message ids.
pub fn long_references() -> Hostile {
    let ids: Vec<String> = (0..8000)
        .map(|n| format!("<ref-{n}@example.net>"))
        .collect();
    let references = format!("References: {}", ids.join("\r\n "));
    Hostile {
        subject: "Hostile: 8,000 references",
        message: message(
            "Hostile: 8,000 references",
            &["Content-Type: text/plain", &references],
            "A reply deep in a thread.\r\n",
        ),
        shows: "A reply deep in a thread.",
    }
}

/// A subject written as one encoded word far longer than RFC 2047's 75 characters.
pub fn long_encoded_word() -> Hostile {
    let subject = "Hostile: a long encoded word ".repeat(6);
    let word = format!("=?UTF-8?B?{}?=", STANDARD.encode(subject.trim_end()));
    Hostile {
        subject: "Hostile: a long encoded word Hostile",
        message: Message::new(format!(
            "From: Hostile <hostile@example.net>\r\nTo: alice@example.org\r\nSubject: {word}\r\n\
             Date: Sun, 08 Mar 2026 12:00:00 +0000\r\n\r\nDecoded, not raw.\r\n"
        )),
        shows: "Decoded, not raw.",
    }
}

/// An attachment whose name hides `.exe` behind a right-to-left override.
pub fn disguised_attachment() -> Hostile {
    Hostile {
        subject: "Hostile: invoice attached",
        message: message(
            "Hostile: invoice attached",
            &["Content-Type: multipart/mixed; boundary=\"mix\""],
            "--mix\r\nContent-Type: text/plain\r\n\r\nSee the invoice.\r\n\
             --mix\r\nContent-Type: application/octet-stream\r\n\
             Content-Disposition: attachment; filename*=utf-8''invoice%E2%80%AEgnp.exe\r\n\
             Content-Transfer-Encoding: base64\r\n\r\nTVo=\r\n--mix--\r\n",
        ),
        shows: "invoice[U+202E]gnp.exe",
    }
}

/// How many inline images [`many_inline_images`] has.
pub const INLINE_IMAGES: usize = 2000;

/// An HTML body showing [`INLINE_IMAGES`] inline images.
pub fn many_inline_images() -> Hostile {
    let html: String = std::iter::once("<p>Two thousand pixels.</p>".to_owned())
        .chain((0..INLINE_IMAGES).map(|n| format!("<img src=\"cid:px{n}\" alt=\"\">")))
        .collect();
    let images: Vec<(String, String)> = (0..INLINE_IMAGES)
        .map(|n| (format!("<px{n}>"), "image/png".to_owned()))
        .collect();
    Hostile {
        subject: "Hostile: 2,000 inline images",
        message: related("Hostile: 2,000 inline images", &html, &images),
        shows: "Two thousand pixels.",
    }
}

/// One remote image among sources that would fetch nothing (`src=x`, `cid:` of no
/// part): the "blocked" note must count one.
pub fn one_remote_image() -> Hostile {
    Hostile {
        subject: "Hostile: one tracker",
        message: message(
            "Hostile: one tracker",
            &["Content-Type: text/html; charset=utf-8"],
            "<p>Newsletter</p><img src=x><img src=\"cid:nothing\"><img src=\"https://tracker.example/p.gif\">",
        ),
        shows: "Newsletter",
    }
}

/// A 3 MB HTML newsletter: its first megabyte shows at once, the rest on request.
pub fn long_newsletter() -> Hostile {
    let mut html = String::from("<html><body><h1>Weekly digest</h1>");
    while html.len() < 3 << 20 {
        html.push_str("<p>Another <b>item</b> of the digest, with a few words to read.</p>\r\n");
    }
    html.push_str("<p>The very end.</p></body></html>");
    Hostile {
        subject: "Hostile: a 3 MB newsletter",
        message: message(
            "Hostile: a 3 MB newsletter",
            &["Content-Type: text/html; charset=utf-8"],
            &html,
        ),
        shows: "Weekly digest",
    }
}

/// Every message above, in the order they are seeded.
pub fn all() -> Vec<Hostile> {
    let mut all = vec![
        deep_mime(),
        many_links(),
        link_and_parentheses(),
        nested_elements(),
        one_long_line(),
        cid_injection(),
        address_injection(),
    ];
    all.extend(broken_encodings());
    all.extend([
        long_references(),
        long_encoded_word(),
        disguised_attachment(),
        many_inline_images(),
        one_remote_image(),
        long_newsletter(),
    ]);
    all
}
