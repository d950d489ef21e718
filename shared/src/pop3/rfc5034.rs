//! RFC 5034, the POP3 SASL mechanism, with RFC 4616 PLAIN: `AUTH PLAIN <base64 of
//! "\0user\0password">` in one line (the initial response), no extra round trip.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::rfc1939::{Command, CommandError};

/// AUTH PLAIN with the credentials in the initial response.
pub fn auth_plain(user: &str, password: &str) -> Result<Command, CommandError> {
    if user.is_empty() {
        return Err(CommandError::Empty("the user name"));
    }
    if user.contains('\0') || password.contains('\0') {
        return Err(CommandError::ForbiddenCharacter(
            "the user name or password",
        ));
    }
    let response = STANDARD.encode(format!("\0{user}\0{password}"));
    Ok(Command::AuthPlain(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_initial_response() {
        // RFC 4616 §4's example, as POP3 sends it.
        assert_eq!(
            auth_plain("tim", "tanstaaftanstaaf").unwrap().encode(),
            b"AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n"
        );
        // Line breaks cannot leak: base64 has none.
        assert!(!auth_plain("a", "x\r\nDELE 1").unwrap().encode()[..].ends_with(b"DELE 1\r\n"));
        assert!(auth_plain("a\0", "x").is_err());
    }
}
