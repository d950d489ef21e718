//! Reading POP3 responses from a byte stream: status lines (`+OK` / `-ERR`) and
//! multi-line bodies ending in a lone `.`, with dot-unstuffing (RFC 1939 §3).
//!
//! Bytes are consumed as they arrive; a body grows only up to the configured cap, and
//! every error says at which byte of the stream it happened.

/// Longest status line accepted (RFC 1939 allows 512; servers add response codes).
const MAX_STATUS_LINE: usize = 8 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatusLine {
    pub ok: bool,
    /// The text after `+OK ` / `-ERR `, without CRLF.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReadError {
    /// Not a POP3 status line, at this stream offset.
    NotAStatus {
        at: u64,
        line: String,
    },
    LineTooLong {
        at: u64,
    },
    BodyTooLong {
        at: u64,
        limit: usize,
    },
}

pub(crate) struct Reader {
    buffer: Vec<u8>,
    /// Where unread bytes start in `buffer`.
    position: usize,
    /// Bytes consumed since the start of the stream (for error offsets).
    consumed: u64,
}

impl Reader {
    pub fn new() -> Reader {
        Reader {
            buffer: Vec::new(),
            position: 0,
            consumed: 0,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        // Reclaim the consumed front before growing: one move per push, not per line.
        if self.position > 0 {
            self.buffer.drain(..self.position);
            self.position = 0;
        }
        self.buffer.extend_from_slice(bytes);
    }

    fn next_line(&mut self) -> Option<&[u8]> {
        let unread = &self.buffer[self.position..];
        let end = unread.iter().position(|&b| b == b'\n')? + 1;
        let start = self.position;
        self.position += end;
        self.consumed += end as u64;
        Some(&self.buffer[start..start + end])
    }

    fn pending_line_len(&self) -> usize {
        self.buffer.len() - self.position
    }

    /// The next status line, once it has fully arrived.
    pub fn status(&mut self) -> Result<Option<StatusLine>, ReadError> {
        let at = self.consumed;
        let Some(line) = self.next_line() else {
            if self.pending_line_len() > MAX_STATUS_LINE {
                return Err(ReadError::LineTooLong { at });
            }
            return Ok(None);
        };
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches(['\r', '\n']);
        let parsed = if let Some(rest) = strip_status(text, "+OK") {
            StatusLine {
                ok: true,
                text: rest.to_owned(),
            }
        } else if let Some(rest) = strip_status(text, "-ERR") {
            StatusLine {
                ok: false,
                text: rest.to_owned(),
            }
        } else {
            return Err(ReadError::NotAStatus {
                at,
                line: text.chars().take(120).collect(),
            });
        };
        Ok(Some(parsed))
    }

    /// Appends complete body lines to `body`, unstuffed; true once the final `.` line
    /// has been read. `limit` caps the body's size.
    pub fn body(&mut self, body: &mut Vec<u8>, limit: usize) -> Result<bool, ReadError> {
        loop {
            let at = self.consumed;
            let Some(line) = self.next_line() else {
                if body.len() + self.pending_line_len() > limit {
                    return Err(ReadError::BodyTooLong { at, limit });
                }
                return Ok(false);
            };
            if line == b".\r\n" || line == b".\n" {
                return Ok(true);
            }
            // A line starting with "." was stuffed with one more (RFC 1939 §3).
            let line = line.strip_prefix(b".").unwrap_or(line);
            if body.len() + line.len() > limit {
                return Err(ReadError::BodyTooLong { at, limit });
            }
            body.extend_from_slice(line);
        }
    }
}

/// `+OK`, `+OK text`, but not `+OKAY`.
fn strip_status<'t>(line: &'t str, status: &str) -> Option<&'t str> {
    let rest = line
        .get(..status.len())
        .filter(|s| s.eq_ignore_ascii_case(status))
        .map(|_| &line[status.len()..])?;
    if rest.is_empty() {
        Some("")
    } else {
        rest.strip_prefix(' ')
    }
}
