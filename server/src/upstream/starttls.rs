//! The plaintext dialogues that upgrade a fresh connection to TLS (RFC 3501 §6.2.1,
//! RFC 2595 §4, RFC 3207), done by the server so the browser receives a session that is
//! already encrypted to the upstream.
//!
//! What the browser then sees is the upstream's *greeting*, replayed, followed by the
//! live session inside TLS. For IMAP a `[CAPABILITY ...]` code is removed from the
//! replayed greeting: capabilities announced before TLS must not be trusted after it
//! (RFC 3501 §6.2.1), so the client asks again. POP3 and SMTP greetings carry no
//! capabilities and are replayed as sent (an SMTP client says EHLO again anyway).

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use postern_shared::tunnel::Protocol;

/// A response line longer than this is not a mail server talking.
const MAX_LINE: usize = 8 * 1024;
/// Nor is a response with more lines than this before the one we wait for.
const MAX_LINES: usize = 64;
const IMAP_TAG: &str = "postern-tls";

#[derive(Debug, thiserror::Error)]
pub enum StarttlsError {
    #[error("the mail server refused the upgrade to TLS: {0}")]
    Refused(String),
    #[error("the mail server's greeting was not usable: {0}")]
    Greeting(String),
    #[error("the mail server sent {0}")]
    Garbled(&'static str),
    #[error("the connection to the mail server failed during STARTTLS: {0}")]
    Io(#[from] std::io::Error),
}

/// Runs the upgrade dialogue and returns the greeting the browser should see.
///
/// On success the server has agreed to start TLS and nothing follows in plaintext.
pub async fn negotiate(
    stream: &mut BufReader<TcpStream>,
    protocol: Protocol,
) -> Result<Vec<u8>, StarttlsError> {
    let greeting = match protocol {
        Protocol::Imap => imap(stream).await?,
        Protocol::Pop3 => pop3(stream).await?,
        Protocol::Smtp => smtp(stream).await?,
    };
    // Bytes after the go-ahead and before TLS would be plaintext injected into the
    // encrypted session (the CVE-2011-0411 family): refuse rather than relay them.
    if !stream.buffer().is_empty() {
        return Err(StarttlsError::Garbled(
            "data after its STARTTLS answer, which would be injected into the session",
        ));
    }
    Ok(greeting)
}

async fn imap(stream: &mut BufReader<TcpStream>) -> Result<Vec<u8>, StarttlsError> {
    let greeting = read_line(stream).await?;
    if !greeting.starts_with("* OK") {
        return Err(StarttlsError::Greeting(greeting.trim_end().to_owned()));
    }
    send(stream, &format!("{IMAP_TAG} STARTTLS\r\n")).await?;
    let tagged = format!("{IMAP_TAG} ");
    for _ in 0..MAX_LINES {
        let line = read_line(stream).await?;
        if let Some(status) = line.strip_prefix(&tagged) {
            return if status.starts_with("OK") {
                Ok(strip_imap_capability(&greeting).into_bytes())
            } else {
                Err(StarttlsError::Refused(line.trim_end().to_owned()))
            };
        }
    }
    Err(StarttlsError::Garbled(
        "too many lines before its STARTTLS answer",
    ))
}

async fn pop3(stream: &mut BufReader<TcpStream>) -> Result<Vec<u8>, StarttlsError> {
    let greeting = read_line(stream).await?;
    if !greeting.starts_with("+OK") {
        return Err(StarttlsError::Greeting(greeting.trim_end().to_owned()));
    }
    send(stream, "STLS\r\n").await?;
    let answer = read_line(stream).await?;
    if answer.starts_with("+OK") {
        Ok(greeting.into_bytes())
    } else {
        Err(StarttlsError::Refused(answer.trim_end().to_owned()))
    }
}

async fn smtp(stream: &mut BufReader<TcpStream>) -> Result<Vec<u8>, StarttlsError> {
    let greeting = read_smtp_reply(stream).await?;
    if !greeting.starts_with("220") {
        return Err(StarttlsError::Greeting(greeting.trim_end().to_owned()));
    }
    send(stream, "EHLO postern\r\n").await?;
    let ehlo = read_smtp_reply(stream).await?;
    if !ehlo.starts_with("250") {
        return Err(StarttlsError::Refused(ehlo.trim_end().to_owned()));
    }
    send(stream, "STARTTLS\r\n").await?;
    let answer = read_smtp_reply(stream).await?;
    if answer.starts_with("220") {
        Ok(greeting.into_bytes())
    } else {
        Err(StarttlsError::Refused(answer.trim_end().to_owned()))
    }
}

/// Reads a possibly multi-line SMTP reply (`250-...` continues, `250 ...` ends).
async fn read_smtp_reply(stream: &mut BufReader<TcpStream>) -> Result<String, StarttlsError> {
    let mut reply = String::new();
    for _ in 0..MAX_LINES {
        let line = read_line(stream).await?;
        let last = line.as_bytes().get(3) != Some(&b'-');
        reply.push_str(&line);
        if last {
            return Ok(reply);
        }
    }
    Err(StarttlsError::Garbled("an SMTP reply with too many lines"))
}

async fn send(stream: &mut BufReader<TcpStream>, line: &str) -> Result<(), StarttlsError> {
    stream.get_mut().write_all(line.as_bytes()).await?;
    Ok(())
}

/// Reads one CRLF-terminated line, never more than [`MAX_LINE`] bytes.
async fn read_line(stream: &mut BufReader<TcpStream>) -> Result<String, StarttlsError> {
    let mut line = Vec::new();
    loop {
        let available = stream.fill_buf().await?;
        if available.is_empty() {
            return Err(StarttlsError::Garbled(
                "nothing more: it closed the connection",
            ));
        }
        let (taken, done) = match available.iter().position(|&b| b == b'\n') {
            Some(end) => (end + 1, true),
            None => (available.len(), false),
        };
        line.extend_from_slice(&available[..taken]);
        stream.consume(taken);
        if line.len() > MAX_LINE {
            return Err(StarttlsError::Garbled("a line longer than 8 KiB"));
        }
        if done {
            return String::from_utf8(line)
                .map_err(|_| StarttlsError::Garbled("a line that is not UTF-8"));
        }
    }
}

/// `* OK [CAPABILITY IMAP4rev1 STARTTLS] Ready.` becomes `* OK Ready.`
fn strip_imap_capability(greeting: &str) -> String {
    const CODE: &str = "* OK [CAPABILITY ";
    if greeting.len() >= CODE.len()
        && greeting[..CODE.len()].eq_ignore_ascii_case(CODE)
        && let Some(end) = greeting.find(']')
    {
        let text = greeting[end + 1..].trim_start_matches(' ');
        return format!("* OK {text}");
    }
    greeting.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_is_removed_from_the_replayed_greeting() {
        assert_eq!(
            strip_imap_capability(
                "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.\r\n"
            ),
            "* OK Dovecot ready.\r\n"
        );
        assert_eq!(
            strip_imap_capability("* OK [ALERT] hello\r\n"),
            "* OK [ALERT] hello\r\n"
        );
        assert_eq!(strip_imap_capability("* OK hi\r\n"), "* OK hi\r\n");
    }
}
