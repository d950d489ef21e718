//! The base protocol (RFC 5321): typed commands that cannot carry a line break,
//! mailbox addresses checked before they go on the wire, and dot-stuffing of the
//! message text (§4.5.2).

/// A mailbox address for MAIL FROM or RCPT TO (`local@domain`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("“{0}” is not an email address")]
    NotAnAddress(String),
    #[error("the message is {size} bytes; the server accepts at most {limit}")]
    TooBig { size: u64, limit: u64 },
    #[error("“{0}” has non-ASCII characters, and the server does not accept them (no SMTPUTF8)")]
    NeedsSmtpUtf8(String),
    #[error("a message needs at least one recipient")]
    NoRecipients,
    #[error("“{0}” cannot go into an SMTP command")]
    Unsafe(String),
}

impl Mailbox {
    /// Checks an address as a user typed it (surrounding spaces and angle brackets
    /// are dropped). Quoted local parts are not supported: they are rare, and the
    /// check stays simple enough to trust.
    pub fn parse(address: &str) -> Result<Mailbox, CommandError> {
        let trimmed = address.trim().trim_start_matches('<').trim_end_matches('>');
        let bad = || CommandError::NotAnAddress(address.trim().to_owned());
        let (local, domain) = trimmed.rsplit_once('@').ok_or_else(bad)?;
        let forbidden =
            |c: char| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"@".contains(c);
        if local.is_empty()
            || local.len() > 64
            || domain.is_empty()
            || trimmed.len() > 254
            || local.chars().any(forbidden)
            || domain.chars().any(forbidden)
            || local.starts_with('.')
            || local.ends_with('.')
            || local.contains("..")
            || domain
                .split('.')
                .any(|label| label.is_empty() || label.starts_with('-'))
        {
            return Err(bad());
        }
        Ok(Mailbox(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_ascii(&self) -> bool {
        self.0.is_ascii()
    }
}

impl std::fmt::Display for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// MAIL FROM parameters (RFC 1870 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailParameters {
    pub size: Option<u64>,
    pub eight_bit: bool,
    pub smtputf8: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Ehlo(String),
    Helo(String),
    /// AUTH with a mechanism and an optional initial response (base64).
    Auth {
        mechanism: &'static str,
        initial: Option<String>,
    },
    /// One line of a SASL exchange (base64).
    AuthResponse(String),
    MailFrom {
        from: Mailbox,
        parameters: MailParameters,
    },
    RcptTo(Mailbox),
    Data,
    Rset,
    Noop,
    Quit,
}

impl Command {
    /// An EHLO naming `domain`, which must be a plain host name or address literal.
    pub fn ehlo(domain: &str) -> Result<Command, CommandError> {
        if domain.is_empty()
            || !domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.[]:".contains(c))
        {
            return Err(CommandError::Unsafe(domain.to_owned()));
        }
        Ok(Command::Ehlo(domain.to_owned()))
    }

    pub fn encode(&self) -> Vec<u8> {
        let line = match self {
            Command::Ehlo(domain) => format!("EHLO {domain}"),
            Command::Helo(domain) => format!("HELO {domain}"),
            Command::Auth {
                mechanism,
                initial: Some(initial),
            } => format!("AUTH {mechanism} {initial}"),
            Command::Auth {
                mechanism,
                initial: None,
            } => format!("AUTH {mechanism}"),
            Command::AuthResponse(response) => response.clone(),
            Command::MailFrom { from, parameters } => {
                let mut line = format!("MAIL FROM:<{from}>");
                if let Some(size) = parameters.size {
                    line.push_str(&format!(" SIZE={size}"));
                }
                if parameters.eight_bit {
                    line.push_str(" BODY=8BITMIME");
                }
                if parameters.smtputf8 {
                    line.push_str(" SMTPUTF8");
                }
                line
            }
            Command::RcptTo(to) => format!("RCPT TO:<{to}>"),
            Command::Data => "DATA".into(),
            Command::Rset => "RSET".into(),
            Command::Noop => "NOOP".into(),
            Command::Quit => "QUIT".into(),
        };
        let mut bytes = line.into_bytes();
        bytes.extend_from_slice(b"\r\n");
        bytes
    }
}

/// Dot-stuffs message text for DATA, piece by piece: a line that starts with a dot
/// gets another, bare LF becomes CRLF, and [`DotStuffer::finish`] ends the text with
/// CRLF `.` CRLF.
#[derive(Debug, Clone)]
pub struct DotStuffer {
    at_line_start: bool,
    after_cr: bool,
}

impl Default for DotStuffer {
    fn default() -> Self {
        DotStuffer {
            at_line_start: true,
            after_cr: false,
        }
    }
}

impl DotStuffer {
    pub fn stuff(&mut self, text: &[u8], out: &mut Vec<u8>) {
        out.reserve(text.len() + text.len() / 64);
        for &byte in text {
            if self.at_line_start && byte == b'.' {
                out.push(b'.');
            }
            if byte == b'\n' && !self.after_cr {
                out.push(b'\r');
            }
            out.push(byte);
            self.at_line_start = byte == b'\n';
            self.after_cr = byte == b'\r';
        }
    }

    /// The end of the text: a line break if the text lacked a final one, then the dot.
    pub fn finish(self, out: &mut Vec<u8>) {
        if !self.at_line_start {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked() {
        assert_eq!(
            Mailbox::parse(" <bob@example.org> ").unwrap().as_str(),
            "bob@example.org"
        );
        assert!(!Mailbox::parse("jürgen@exämple.de").unwrap().is_ascii());
        for bad in [
            "bob",
            "@example.org",
            "bob@",
            "bob smith@example.org",
            "bob@example.org\r\nRCPT TO:<evil@x>",
            "a..b@example.org",
            "bob@example..org",
            "bob@-example.org",
            "<bob>@example.org",
        ] {
            assert!(Mailbox::parse(bad).is_err(), "{bad:?} passed");
        }
        assert!(Command::ehlo("postern\r\nQUIT").is_err());
    }

    #[test]
    fn mail_from_carries_its_parameters() {
        let command = Command::MailFrom {
            from: Mailbox::parse("alice@example.org").unwrap(),
            parameters: MailParameters {
                size: Some(1234),
                eight_bit: true,
                smtputf8: true,
            },
        };
        assert_eq!(
            command.encode(),
            b"MAIL FROM:<alice@example.org> SIZE=1234 BODY=8BITMIME SMTPUTF8\r\n"
        );
    }

    #[test]
    fn dot_stuffing_works_across_pieces() {
        let text = b".starts\r\nmiddle\n..two\r\nend";
        let mut whole = Vec::new();
        let mut stuffer = DotStuffer::default();
        stuffer.stuff(text, &mut whole);
        stuffer.finish(&mut whole);
        assert_eq!(
            whole,
            b"..starts\r\nmiddle\r\n...two\r\nend\r\n.\r\n".to_vec()
        );
        for at in 0..text.len() {
            let mut split = Vec::new();
            let mut stuffer = DotStuffer::default();
            stuffer.stuff(&text[..at], &mut split);
            stuffer.stuff(&text[at..], &mut split);
            stuffer.finish(&mut split);
            assert_eq!(split, whole, "split at {at}");
        }
        let mut ended = Vec::new();
        let mut stuffer = DotStuffer::default();
        stuffer.stuff(b"line\r\n", &mut ended);
        stuffer.finish(&mut ended);
        assert_eq!(ended, b"line\r\n.\r\n");
    }
}
