//! SMTP replies (RFC 5321 §4.2) with enhanced status codes (RFC 3463, announced by
//! RFC 2034's ENHANCEDSTATUSCODES), read from a byte stream that may arrive in any
//! pieces.

use std::fmt;

/// The longest reply line accepted. RFC 5321 allows 512 octets; servers put longer
/// texts in, so the cap is generous but still bounds memory.
const MAX_LINE: usize = 8 << 10;
/// The most lines one reply may have (an EHLO reply lists every extension).
const MAX_LINES: usize = 200;

/// An RFC 3463 enhanced status code, e.g. `5.1.1` (bad destination mailbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusCode {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

impl StatusCode {
    /// Parses a code at the start of `text` (`5.1.1 <x>: Recipient address rejected`);
    /// returns it and the rest of the text.
    fn split(text: &str) -> Option<(StatusCode, &str)> {
        let (word, rest) = text.split_once(' ').unwrap_or((text, ""));
        let mut parts = word.split('.');
        let class = parts
            .next()?
            .parse()
            .ok()
            .filter(|c| matches!(c, 2 | 4 | 5))?;
        let subject = parts.next()?.parse().ok()?;
        let detail = parts.next()?.parse().ok()?;
        if parts.next().is_some() {
            return None;
        }
        Some((
            StatusCode {
                class,
                subject,
                detail,
            },
            rest,
        ))
    }
}

/// One complete reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit code (250, 354, 550...).
    pub code: u16,
    /// The enhanced status code of the first line, when the server gave one.
    pub status: Option<StatusCode>,
    /// The text of each line, without code, separator or enhanced code.
    pub lines: Vec<String>,
}

impl Reply {
    /// 2yz: the command was accepted.
    pub fn is_positive(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// 3yz: the server waits for more (354 after DATA, 334 during AUTH).
    pub fn is_intermediate(&self) -> bool {
        (300..400).contains(&self.code)
    }

    /// 4yz: failed for now; the same command may work later.
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }

    /// The text of every line, joined by spaces.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }

    /// What the reply means for the user, in a sentence, with the server's words.
    pub fn describe(&self) -> String {
        let meaning = match (self.code, self.status.map(|s| (s.subject, s.detail))) {
            (535, _) | (_, Some((7, 8))) => Some("The user name or password is wrong."),
            (530, _) | (_, Some((7, 0))) => Some("The server wants you to sign in before sending."),
            (552, _) | (_, Some((3, 4))) => Some("The message is too big for the server."),
            (_, Some((1, 1))) => Some("There is no such mailbox."),
            (_, Some((1, 2))) => Some("There is no such mail domain."),
            (_, Some((7, 1))) => Some("The server does not allow this sender or recipient."),
            (_, Some((5, 3))) => Some("Too many recipients for one message."),
            (421, _) => Some("The server is closing the connection; try again later."),
            (c, _) if (400..500).contains(&c) => {
                Some("The server cannot do this right now; try again later.")
            }
            _ => None,
        };
        let said = format!("{} {}", self.code, self.text());
        match meaning {
            Some(meaning) => format!("{meaning} (the server said: {said})"),
            None => format!("The server refused: {said}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("the server sent {line:?} at byte {at}, where an SMTP reply line belongs")]
    NotAReply { at: u64, line: String },
    #[error("the server sent a line of more than 8 KiB at byte {at}")]
    LineTooLong { at: u64 },
    #[error("the server sent a reply of more than {MAX_LINES} lines at byte {at}")]
    TooManyLines { at: u64 },
    #[error("the reply at byte {at} changes its code from one line to the next")]
    MixedCodes { at: u64 },
}

/// Collects bytes and hands out complete replies.
#[derive(Debug, Default)]
pub struct ReplyReader {
    buffer: Vec<u8>,
    /// Stream offset of `buffer[0]`, for error positions.
    offset: u64,
    partial: Option<Reply>,
}

impl ReplyReader {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete reply, if it has arrived.
    pub fn next_reply(&mut self) -> Result<Option<Reply>, ReplyError> {
        loop {
            let Some(end) = self.buffer.iter().position(|&b| b == b'\n') else {
                if self.buffer.len() > MAX_LINE {
                    return Err(ReplyError::LineTooLong { at: self.offset });
                }
                return Ok(None);
            };
            if end > MAX_LINE {
                return Err(ReplyError::LineTooLong { at: self.offset });
            }
            let at = self.offset;
            let line: Vec<u8> = self.buffer.drain(..=end).collect();
            self.offset += line.len() as u64;
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\r', '\n']);
            let bad = || ReplyError::NotAReply {
                at,
                line: line.chars().take(80).collect(),
            };
            let code: u16 = line
                .get(..3)
                .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|c| c.parse().ok())
                .filter(|c| (200..600).contains(c))
                .ok_or_else(bad)?;
            let (more, text) = match line.as_bytes().get(3) {
                None => (false, ""),
                Some(b' ') => (false, &line[4..]),
                Some(b'-') => (true, &line[4..]),
                Some(_) => return Err(bad()),
            };
            let reply = self.partial.get_or_insert_with(|| Reply {
                code,
                status: None,
                lines: Vec::new(),
            });
            if reply.code != code {
                return Err(ReplyError::MixedCodes { at });
            }
            if reply.lines.len() >= MAX_LINES {
                return Err(ReplyError::TooManyLines { at });
            }
            let text = match StatusCode::split(text) {
                Some((status, rest)) if code / 100 == u16::from(status.class) => {
                    reply.status.get_or_insert(status);
                    rest
                }
                _ => text,
            };
            reply.lines.push(text.to_owned());
            if !more {
                return Ok(self.partial.take());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_single_and_multi_line_replies_with_enhanced_codes() {
        let mut reader = ReplyReader::default();
        reader.push(b"250-mail.example\r\n250-SIZE 100\r\n250 8BITMIME\r\n550 5.1.1 <x@y>: User unknown\r\n354 go\n");
        let ehlo = reader.next_reply().unwrap().unwrap();
        assert_eq!(ehlo.code, 250);
        assert_eq!(ehlo.lines, ["mail.example", "SIZE 100", "8BITMIME"]);
        let rejected = reader.next_reply().unwrap().unwrap();
        assert_eq!(rejected.status.unwrap().to_string(), "5.1.1");
        assert_eq!(rejected.text(), "<x@y>: User unknown");
        assert!(rejected.describe().starts_with("There is no such mailbox."));
        assert!(reader.next_reply().unwrap().unwrap().is_intermediate());
        assert_eq!(reader.next_reply().unwrap(), None);
    }

    #[test]
    fn malformed_input_says_what_and_where() {
        let mut reader = ReplyReader::default();
        reader.push(b"250 ok\r\nhello\r\n");
        reader.next_reply().unwrap();
        assert_eq!(
            reader.next_reply(),
            Err(ReplyError::NotAReply {
                at: 8,
                line: "hello".into()
            })
        );
        let mut mixed = ReplyReader::default();
        mixed.push(b"250-a\r\n550 b\r\n");
        assert_eq!(mixed.next_reply(), Err(ReplyError::MixedCodes { at: 7 }));
        let mut long = ReplyReader::default();
        long.push(&[b'2'; MAX_LINE + 2]);
        assert_eq!(long.next_reply(), Err(ReplyError::LineTooLong { at: 0 }));
    }

    #[test]
    fn a_code_unlike_the_reply_class_is_text() {
        let mut reader = ReplyReader::default();
        reader.push(b"250 2.0.0 Ok: queued\r\n550 2.0.0 odd\r\n");
        assert_eq!(reader.next_reply().unwrap().unwrap().text(), "Ok: queued");
        let odd = reader.next_reply().unwrap().unwrap();
        assert_eq!((odd.status, odd.text().as_str()), (None, "2.0.0 odd"));
    }
}
