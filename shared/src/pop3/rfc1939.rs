//! RFC 1939, Post Office Protocol version 3: the commands, as values that cannot be
//! malformed. Arguments are checked when a command is built: a CR, LF or NUL in a
//! user name or password would end the line early and let the rest be read as
//! another command.

use std::fmt::Write;

/// A POP3 command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    User(String),
    Pass(String),
    /// APOP name digest (the digest is computed by the caller from the greeting's
    /// timestamp; Postern prefers AUTH PLAIN over TLS).
    Apop {
        name: String,
        digest: String,
    },
    Stat,
    /// LIST, or LIST n.
    List(Option<u32>),
    /// UIDL, or UIDL n.
    Uidl(Option<u32>),
    /// TOP n lines: the headers and the first `lines` lines of the body.
    Top {
        message: u32,
        lines: u32,
    },
    Retr(u32),
    Dele(u32),
    Rset,
    Noop,
    Quit,
    /// RFC 2449.
    Capa,
    /// RFC 2595.
    Stls,
    /// RFC 5034: AUTH PLAIN with the base64 initial response.
    AuthPlain(String),
}

/// A command that cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("{0} contains a line break or NUL, which POP3 cannot carry")]
    ForbiddenCharacter(&'static str),
    #[error("{0} is empty")]
    Empty(&'static str),
    #[error("message numbers start at 1")]
    MessageZero,
    #[error("{0} is longer than POP3's 40-character argument limit")]
    TooLong(&'static str),
}

fn argument(value: &str, what: &'static str) -> Result<String, CommandError> {
    if value.is_empty() {
        return Err(CommandError::Empty(what));
    }
    if value.contains(['\r', '\n', '\0']) {
        return Err(CommandError::ForbiddenCharacter(what));
    }
    Ok(value.to_owned())
}

fn number(n: u32) -> Result<u32, CommandError> {
    if n == 0 {
        Err(CommandError::MessageZero)
    } else {
        Ok(n)
    }
}

impl Command {
    pub fn user(name: &str) -> Result<Command, CommandError> {
        let name = argument(name, "the user name")?;
        // RFC 1939 §3 caps arguments at 40 characters; servers enforce it for USER.
        if name.chars().count() > 40 {
            return Err(CommandError::TooLong("the user name"));
        }
        Ok(Command::User(name))
    }

    /// PASS takes the rest of the line, spaces included (RFC 1939 §7).
    pub fn pass(password: &str) -> Result<Command, CommandError> {
        Ok(Command::Pass(argument(password, "the password")?))
    }

    pub fn apop(name: &str, digest: &str) -> Result<Command, CommandError> {
        Ok(Command::Apop {
            name: argument(name, "the user name")?,
            digest: argument(digest, "the digest")?,
        })
    }

    pub fn list(message: Option<u32>) -> Result<Command, CommandError> {
        Ok(Command::List(message.map(number).transpose()?))
    }

    pub fn uidl(message: Option<u32>) -> Result<Command, CommandError> {
        Ok(Command::Uidl(message.map(number).transpose()?))
    }

    pub fn top(message: u32, lines: u32) -> Result<Command, CommandError> {
        Ok(Command::Top {
            message: number(message)?,
            lines,
        })
    }

    pub fn retr(message: u32) -> Result<Command, CommandError> {
        Ok(Command::Retr(number(message)?))
    }

    pub fn dele(message: u32) -> Result<Command, CommandError> {
        Ok(Command::Dele(number(message)?))
    }

    /// Whether the answer is multi-line (ends with a lone `.`) when positive.
    pub fn is_multiline(&self) -> bool {
        matches!(
            self,
            Command::List(None)
                | Command::Uidl(None)
                | Command::Top { .. }
                | Command::Retr(_)
                | Command::Capa
        )
    }

    /// The line to send, CRLF included.
    pub fn encode(&self) -> Vec<u8> {
        let mut line = String::new();
        let _ = match self {
            Command::User(name) => write!(line, "USER {name}"),
            Command::Pass(password) => write!(line, "PASS {password}"),
            Command::Apop { name, digest } => write!(line, "APOP {name} {digest}"),
            Command::Stat => write!(line, "STAT"),
            Command::List(None) => write!(line, "LIST"),
            Command::List(Some(n)) => write!(line, "LIST {n}"),
            Command::Uidl(None) => write!(line, "UIDL"),
            Command::Uidl(Some(n)) => write!(line, "UIDL {n}"),
            Command::Top { message, lines } => write!(line, "TOP {message} {lines}"),
            Command::Retr(n) => write!(line, "RETR {n}"),
            Command::Dele(n) => write!(line, "DELE {n}"),
            Command::Rset => write!(line, "RSET"),
            Command::Noop => write!(line, "NOOP"),
            Command::Quit => write!(line, "QUIT"),
            Command::Capa => write!(line, "CAPA"),
            Command::Stls => write!(line, "STLS"),
            Command::AuthPlain(initial) => write!(line, "AUTH PLAIN {initial}"),
        };
        line.push_str("\r\n");
        line.into_bytes()
    }
}

/// Parses `n size` (LIST) or `n uid` (UIDL) lines.
pub(crate) fn numbered_line(line: &str) -> Option<(u32, &str)> {
    let (number, rest) = line.trim_end().split_once(' ')?;
    let number: u32 = number.parse().ok()?;
    let rest = rest.trim();
    (number > 0 && !rest.is_empty()).then_some((number, rest))
}

/// The APOP timestamp (`<...@...>`) of a greeting, if it has one.
pub fn apop_timestamp(greeting: &str) -> Option<&str> {
    let start = greeting.find('<')?;
    let end = start + greeting[start..].find('>')?;
    greeting[start..=end]
        .contains('@')
        .then(|| &greeting[start..=end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_encode_and_refuse_injection() {
        assert_eq!(Command::user("alice").unwrap().encode(), b"USER alice\r\n");
        assert_eq!(
            Command::pass("two words").unwrap().encode(),
            b"PASS two words\r\n"
        );
        assert_eq!(Command::top(3, 0).unwrap().encode(), b"TOP 3 0\r\n");
        assert_eq!(Command::list(None).unwrap().encode(), b"LIST\r\n");
        assert_eq!(Command::uidl(Some(2)).unwrap().encode(), b"UIDL 2\r\n");
        assert_eq!(
            Command::pass("x\r\nDELE 1"),
            Err(CommandError::ForbiddenCharacter("the password"))
        );
        assert!(Command::user("a\0b").is_err());
        assert_eq!(Command::retr(0), Err(CommandError::MessageZero));
        assert!(Command::user(&"x".repeat(41)).is_err());
        assert!(Command::user("").is_err());
    }

    #[test]
    fn greeting_timestamps() {
        assert_eq!(
            apop_timestamp("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>"),
            Some("<1896.697170952@dbc.mtview.ca.us>")
        );
        assert_eq!(apop_timestamp("+OK Dovecot ready."), None);
        assert_eq!(apop_timestamp("+OK <no-at-sign>"), None);
    }
}
