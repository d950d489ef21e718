//! AUTH (RFC 4954) with the two mechanisms submission servers offer everywhere:
//! PLAIN (RFC 4616) with an initial response, and LOGIN (the de-facto username /
//! password prompts). Both go only over TLS or to loopback: the tunnel's policy.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::rfc5321::CommandError;

fn refuse_nul(value: &str) -> Result<(), CommandError> {
    if value.contains('\0') {
        return Err(CommandError::Unsafe(
            "a user name or password with a NUL".into(),
        ));
    }
    Ok(())
}

/// The initial response of AUTH PLAIN: base64 of `\0user\0password`.
pub fn plain(user: &str, password: &str) -> Result<String, CommandError> {
    refuse_nul(user)?;
    refuse_nul(password)?;
    Ok(STANDARD.encode(format!("\0{user}\0{password}")))
}

/// One answer of AUTH LOGIN (the user name, then the password), base64.
pub fn login_step(value: &str) -> Result<String, CommandError> {
    refuse_nul(value)?;
    Ok(STANDARD.encode(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_the_credentials() {
        assert_eq!(
            plain("alice", "alice-secret").unwrap(),
            "AGFsaWNlAGFsaWNlLXNlY3JldA=="
        );
        assert_eq!(login_step("alice").unwrap(), "YWxpY2U=");
        assert!(plain("al\0ice", "x").is_err());
    }
}
