//! Writing a message: the draft a user edits, the MIME message built from it with
//! mail-builder (encoded words, multipart/alternative for rich text, attachments,
//! Message-ID and Date), and the rules of replying and forwarding (subject prefixes,
//! In-Reply-To and References, quoting, reply-all recipients).
//!
//! Sans-IO: the time and the Message-ID are passed in.

use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address as BuilderAddress;

use crate::smtp::{CommandError, Mailbox};
use crate::summary::{Address, MessageSummary};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedFile {
    pub filename: String,
    pub mime_type: String,
    pub bytes: Vec<u8>,
}

/// What the compose form holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    pub from: Option<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    /// In the envelope only, never in the headers.
    pub bcc: Vec<Address>,
    pub subject: String,
    pub text: String,
    /// The rich-text body, already through the allow-list (what the editor holds may
    /// be pasted markup: `reader::html::sanitize`, or the browser's sanitizer module).
    pub html: Option<String>,
    pub attachments: Vec<AttachedFile>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
}

impl Draft {
    /// Every envelope recipient (To, Cc and Bcc), checked, without repeats.
    pub fn recipients(&self) -> Result<Vec<Mailbox>, CommandError> {
        let mut all: Vec<Mailbox> = Vec::new();
        for address in self.to.iter().chain(&self.cc).chain(&self.bcc) {
            let mailbox = Mailbox::parse(&address.email)?;
            if !all
                .iter()
                .any(|m| m.as_str().eq_ignore_ascii_case(mailbox.as_str()))
            {
                all.push(mailbox);
            }
        }
        if all.is_empty() {
            return Err(CommandError::NoRecipients);
        }
        Ok(all)
    }

    /// The message as it goes on the wire (CRLF line ends). `message_id` without
    /// angle brackets; `date` in seconds since the Unix epoch.
    pub fn build(&self, message_id: &str, date: i64) -> Vec<u8> {
        let addresses = |list: &[Address]| -> BuilderAddress<'static> {
            BuilderAddress::new_list(list.iter().map(builder_address).collect())
        };
        let mut builder = MessageBuilder::new()
            .message_id(message_id.to_owned())
            .date(date)
            .subject(self.subject.clone());
        if let Some(from) = &self.from {
            builder = builder.from(builder_address(from));
        }
        if !self.to.is_empty() {
            builder = builder.to(addresses(&self.to));
        }
        if !self.cc.is_empty() {
            builder = builder.cc(addresses(&self.cc));
        }
        if let Some(parent) = &self.in_reply_to {
            builder = builder.in_reply_to(bare_id(parent));
        }
        if !self.references.is_empty() {
            let ids: Vec<String> = self.references.iter().map(|r| bare_id(r)).collect();
            builder = builder.references(ids);
        }
        builder = builder.text_body(self.text.clone());
        if let Some(rich) = &self.html {
            builder = builder.html_body(rich.clone());
        }
        for file in &self.attachments {
            builder = builder.attachment(
                file.mime_type.clone(),
                file.filename.clone(),
                file.bytes.clone(),
            );
        }
        builder
            .write_to_vec()
            .expect("writing into a Vec cannot fail")
    }
}

fn builder_address(address: &Address) -> BuilderAddress<'static> {
    if address.name.is_empty() {
        BuilderAddress::new_address(None::<String>, address.email.clone())
    } else {
        BuilderAddress::new_address(Some(address.name.clone()), address.email.clone())
    }
}

fn bare_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

/// Reads an address field as typed: `Bob <bob@example.org>, carol@example.org`.
/// Every address is checked; the first bad one is the error. A display name may be
/// quoted (`"Smith, Bob" <bob@example.org>`, with `\"` and `\\` inside): what
/// [`format_addresses`] writes reads back as the same list, however hostile the names.
pub fn parse_addresses(field: &str) -> Result<Vec<Address>, CommandError> {
    split_addresses(field)
        .into_iter()
        .map(|entry| {
            let (name, email) = match (entry.rfind('<'), entry.ends_with('>')) {
                (Some(open), true) => (display_name(entry[..open].trim()), &entry[open..]),
                _ => (String::new(), entry.as_str()),
            };
            let mailbox = Mailbox::parse(email)?;
            Ok(Address {
                name,
                email: mailbox.as_str().to_owned(),
            })
        })
        .collect()
}

/// A display name as typed: a quoted string loses its quotes and escapes.
fn display_name(typed: &str) -> String {
    let Some(inner) = typed
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    else {
        return typed.to_owned();
    };
    let mut name = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => name.extend(chars.next()),
            c => name.push(c),
        }
    }
    name
}

/// Splits at commas and semicolons outside quotes and angle brackets (a `\` in a
/// quoted name escapes the next character).
fn split_addresses(field: &str) -> Vec<String> {
    let mut entries = Vec::new();
    let mut current = String::new();
    let (mut quoted, mut angled, mut escaped) = (false, false, false);
    for c in field.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => angled = true,
            '>' if !quoted => angled = false,
            ',' | ';' if !quoted && !angled => {
                entries.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    entries.push(current);
    entries
        .into_iter()
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty())
        .collect()
}

/// An address list as a field shows it. A display name with anything that could
/// read as address syntax (`,` `;` `<` `>` `@` `"` ...) is quoted, so
/// `"boss@corp.example, Mallory" <mallory@evil.example>` stays one address, and shows
/// as one; control characters (a line break in a decoded name) become spaces.
pub fn format_addresses(list: &[Address]) -> String {
    list.iter()
        .map(|a| {
            let name: String = a
                .name
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            if name.trim().is_empty() {
                a.email.clone()
            } else if name.chars().any(|c| "()<>[]:;@\\,\"".contains(c)) || name != name.trim() {
                let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
                format!("\"{escaped}\" <{}>", a.email)
            } else {
                format!("{name} <{}>", a.email)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `Re: subject`, without stacking prefixes.
pub fn reply_subject(subject: &str) -> String {
    prefixed("Re", subject)
}

/// `Fwd: subject`, without stacking prefixes.
pub fn forward_subject(subject: &str) -> String {
    prefixed("Fwd", subject)
}

fn prefixed(prefix: &str, subject: &str) -> String {
    let trimmed = subject.trim();
    let already = trimmed
        .get(..prefix.len() + 1)
        .is_some_and(|p| p.eq_ignore_ascii_case(&format!("{prefix}:")));
    if already {
        trimmed.to_owned()
    } else {
        format!("{prefix}: {trimmed}")
    }
}

/// Which message a new one answers, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyKind {
    Reply,
    ReplyAll,
    Forward,
}

/// A draft answering `original` (whose plain text is `text`) as `me`.
pub fn answer(original: &MessageSummary, text: &str, me: &Address, kind: ReplyKind) -> Draft {
    let sender = original.from.first().cloned();
    let when = original.date.clone().unwrap_or_default();
    let who = sender
        .as_ref()
        .map(|s| {
            if s.name.is_empty() {
                s.email.clone()
            } else {
                s.name.clone()
            }
        })
        .unwrap_or_else(|| "someone".into());
    let is_me = |a: &Address| a.email.eq_ignore_ascii_case(&me.email);
    let mut draft = Draft {
        from: Some(me.clone()),
        ..Draft::default()
    };
    match kind {
        ReplyKind::Reply | ReplyKind::ReplyAll => {
            draft.subject = reply_subject(&original.subject);
            draft.to = sender.into_iter().collect();
            if kind == ReplyKind::ReplyAll {
                draft.cc = original
                    .to
                    .iter()
                    .chain(&original.cc)
                    .filter(|a| !is_me(a) && !draft.to.iter().any(|t| t.email == a.email))
                    .cloned()
                    .collect();
            }
            draft.in_reply_to = original.message_id.clone();
            draft.references = original.references.clone();
            if let Some(id) = &original.message_id
                && !draft.references.contains(id)
            {
                draft.references.push(id.clone());
            }
            let quoted: Vec<String> = text.lines().map(|l| format!("> {l}")).collect();
            draft.text = format!("\n\nOn {when}, {who} wrote:\n{}\n", quoted.join("\n"));
        }
        ReplyKind::Forward => {
            draft.subject = forward_subject(&original.subject);
            draft.text = format!(
                "\n\n---------- Forwarded message ----------\nFrom: {}\nDate: {when}\n\
                 Subject: {}\nTo: {}\n\n{text}\n",
                format_addresses(&original.from),
                original.subject,
                format_addresses(&original.to),
            );
        }
    }
    draft
}

#[cfg(all(test, feature = "sanitizer"))]
mod tests {
    use super::*;
    use crate::reader::mime;

    fn address(name: &str, email: &str) -> Address {
        Address {
            name: name.into(),
            email: email.into(),
        }
    }

    #[test]
    fn builds_a_message_that_reads_back() {
        let draft = Draft {
            from: Some(address("Alice Smith", "alice@postern.test")),
            to: vec![address("Bob", "bob@postern.test")],
            cc: vec![address("", "carol@postern.test")],
            bcc: vec![address("", "dave@postern.test")],
            subject: "Grüße aus Köln ✓".into(),
            text: "Hallo Bob,\n.a dot line\n".into(),
            html: Some(
                crate::reader::html::sanitize(
                    "<p>Hallo <b>Bob</b></p><script>alert(1)</script>",
                    true,
                    &[],
                )
                .html,
            ),
            attachments: vec![AttachedFile {
                filename: "daten.bin".into(),
                mime_type: "application/octet-stream".into(),
                bytes: (0..=255).collect(),
            }],
            in_reply_to: Some("<parent@x>".into()),
            references: vec!["<root@x>".into(), "<parent@x>".into()],
        };
        let raw = draft.build("new@postern.test", 1_780_000_000);
        assert!(
            raw.is_ascii(),
            "headers are encoded words, parts are encoded"
        );
        let text = String::from_utf8_lossy(&raw);
        assert!(!text.contains("dave@"), "Bcc stays out of the headers");

        let row = mime::summarize(&raw, 1, 0);
        assert_eq!(row.subject, "Grüße aus Köln ✓");
        assert_eq!(row.from[0].name, "Alice Smith");
        assert_eq!(row.to[0].email, "bob@postern.test");
        assert_eq!(row.cc[0].email, "carol@postern.test");
        assert_eq!(row.message_id.as_deref(), Some("<new@postern.test>"));
        assert_eq!(row.in_reply_to.as_deref(), Some("<parent@x>"));
        assert_eq!(row.references, ["<root@x>", "<parent@x>"]);
        let parts = mime::parts(&raw).unwrap();
        assert!(parts.html.unwrap().contains("<b>Bob</b>"));
        assert!(parts.text.unwrap().contains(".a dot line"));
        assert_eq!(parts.attachments[0].filename, "daten.bin");
        assert_eq!(parts.attachments[0].bytes, (0..=255).collect::<Vec<u8>>());

        let recipients: Vec<String> = draft
            .recipients()
            .unwrap()
            .iter()
            .map(|m| m.to_string())
            .collect();
        assert_eq!(
            recipients,
            [
                "bob@postern.test",
                "carol@postern.test",
                "dave@postern.test"
            ]
        );
    }

    #[test]
    fn address_fields_are_parsed_and_checked() {
        let list =
            parse_addresses(r#""Smith, Bob" <bob@example.org>; carol@example.org,"#).unwrap();
        assert_eq!(
            list,
            [
                address("Smith, Bob", "bob@example.org"),
                address("", "carol@example.org")
            ]
        );
        assert_eq!(
            parse_addresses("bob@example.org, not an address"),
            Err(CommandError::NotAnAddress("not an address".into()))
        );
        assert_eq!(
            format_addresses(&list),
            "\"Smith, Bob\" <bob@example.org>, carol@example.org"
        );
        assert_eq!(
            Draft::default().recipients(),
            Err(CommandError::NoRecipients)
        );
    }

    #[test]
    fn hostile_display_names_stay_one_address_each() {
        let hostile = [
            address("boss@corp.example, Mallory", "mallory@evil.example"),
            address("a \"quoted\" name; and <more@x.example>", "b@example.org"),
            address("back\\slash\\", "c@example.org"),
            address("line\r\nBcc: victim@example.org", "d@example.org"),
            address("Plain Name", "e@example.org"),
            address("", "f@example.org"),
        ];
        let field = format_addresses(&hostile);
        let back = parse_addresses(&field).unwrap();
        assert_eq!(back.len(), hostile.len(), "{field}");
        for (read, wrote) in back.iter().zip(&hostile) {
            assert_eq!(read.email, wrote.email, "{field}");
        }
        assert_eq!(back[0].name, "boss@corp.example, Mallory");
        assert_eq!(back[1].name, "a \"quoted\" name; and <more@x.example>");
        assert_eq!(back[2].name, "back\\slash\\");
        assert_eq!(back[3].name, "line  Bcc: victim@example.org");
        assert_eq!(back[4].name, "Plain Name");
        assert!(field.starts_with("\"boss@corp.example, Mallory\" <mallory@evil.example>"));

        // Reply all to such a sender: exactly the sender, and the others once each.
        let original = MessageSummary {
            uid: 1,
            flags: Vec::new(),
            subject: "Urgent".into(),
            from: vec![hostile[0].clone()],
            to: vec![address("Alice", "alice@postern.test"), hostile[1].clone()],
            cc: Vec::new(),
            date: None,
            received: None,
            size: 0,
            message_id: None,
            in_reply_to: None,
            references: Vec::new(),
            has_attachments: false,
        };
        let me = address("Alice", "alice@postern.test");
        let draft = answer(&original, "", &me, ReplyKind::ReplyAll);
        let to = parse_addresses(&format_addresses(&draft.to)).unwrap();
        let cc = parse_addresses(&format_addresses(&draft.cc)).unwrap();
        let emails = |list: &[Address]| list.iter().map(|a| a.email.clone()).collect::<Vec<_>>();
        assert_eq!(emails(&to), ["mallory@evil.example"]);
        assert_eq!(emails(&cc), ["b@example.org"]);
    }

    #[test]
    fn replies_and_forwards_follow_the_conventions() {
        let original = MessageSummary {
            uid: 7,
            flags: vec![],
            subject: "Re: Plans".into(),
            from: vec![address("Bob", "bob@postern.test")],
            to: vec![
                address("Alice", "alice@postern.test"),
                address("", "carol@postern.test"),
            ],
            cc: vec![address("", "dave@postern.test")],
            date: Some("Mon, 2 Mar 2026 09:15:00 +0100".into()),
            received: None,
            size: 10,
            message_id: Some("<m2@postern.test>".into()),
            in_reply_to: Some("<m1@postern.test>".into()),
            references: vec!["<m1@postern.test>".into()],
            has_attachments: false,
        };
        let me = address("Alice", "alice@postern.test");
        let reply = answer(&original, "line one\nline two", &me, ReplyKind::Reply);
        assert_eq!(reply.subject, "Re: Plans");
        assert_eq!(reply.to, [address("Bob", "bob@postern.test")]);
        assert!(reply.cc.is_empty());
        assert_eq!(reply.in_reply_to.as_deref(), Some("<m2@postern.test>"));
        assert_eq!(reply.references, ["<m1@postern.test>", "<m2@postern.test>"]);
        assert!(reply.text.contains("Bob wrote:\n> line one\n> line two"));

        let all = answer(&original, "x", &me, ReplyKind::ReplyAll);
        assert_eq!(
            all.cc,
            [
                address("", "carol@postern.test"),
                address("", "dave@postern.test")
            ]
        );

        let forward = answer(&original, "body", &me, ReplyKind::Forward);
        assert_eq!(forward.subject, "Fwd: Re: Plans");
        assert!(forward.to.is_empty() && forward.in_reply_to.is_none());
        assert!(forward.text.contains("Forwarded message") && forward.text.contains("body"));
        assert_eq!(forward_subject("FWD: x"), "FWD: x");
    }
}
