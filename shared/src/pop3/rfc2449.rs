//! RFC 2449, the POP3 extension mechanism: CAPA, and response codes that tell a
//! client *why* something failed ([LOGIN-DELAY], [IN-USE], [SYS/TEMP], [SYS/PERM],
//! and RFC 3206's [AUTH]).

/// What the server announced in CAPA.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    pub top: bool,
    pub uidl: bool,
    pub user: bool,
    pub pipelining: bool,
    pub resp_codes: bool,
    pub auth_resp_code: bool,
    pub stls: bool,
    /// SASL mechanisms, upper-case.
    pub sasl: Vec<String>,
    /// Minimum seconds between logins, if announced.
    pub login_delay: Option<u32>,
    /// Days messages may stay on the server (`Some(None)`: NEVER; `None`: not said).
    pub expire: Option<Option<u32>>,
    pub implementation: Option<String>,
}

impl Capabilities {
    /// What the server's announced policies mean for the user (RFC 2449 §6.5 and
    /// §6.7), as sentences: how long mail may stay there, how often one may check.
    pub fn policy_notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        match self.expire {
            Some(Some(0)) => {
                notes.push("This server deletes messages as soon as they are downloaded.".into())
            }
            Some(Some(days)) => notes.push(format!(
                "This server deletes messages {days} days after they are downloaded."
            )),
            Some(None) | None => {}
        }
        if let Some(seconds) = self.login_delay.filter(|&s| s > 0) {
            notes.push(format!(
                "This server allows one mail check every {} minute(s).",
                seconds.div_ceil(60)
            ));
        }
        notes
    }

    /// Parses CAPA's lines (without the status line and the final dot).
    pub fn parse(lines: &[&str]) -> Capabilities {
        let mut capabilities = Capabilities::default();
        for line in lines {
            let mut words = line.split_whitespace();
            let Some(name) = words.next() else { continue };
            let arguments: Vec<&str> = words.collect();
            match name.to_ascii_uppercase().as_str() {
                "TOP" => capabilities.top = true,
                "UIDL" => capabilities.uidl = true,
                "USER" => capabilities.user = true,
                "PIPELINING" => capabilities.pipelining = true,
                "RESP-CODES" => capabilities.resp_codes = true,
                "AUTH-RESP-CODE" => capabilities.auth_resp_code = true,
                "STLS" => capabilities.stls = true,
                "SASL" => {
                    capabilities.sasl = arguments.iter().map(|m| m.to_ascii_uppercase()).collect()
                }
                "LOGIN-DELAY" => {
                    capabilities.login_delay = arguments.first().and_then(|d| d.parse().ok())
                }
                "EXPIRE" => {
                    capabilities.expire = arguments.first().map(|days| {
                        if days.eq_ignore_ascii_case("NEVER") {
                            None
                        } else {
                            days.parse().ok()
                        }
                    })
                }
                "IMPLEMENTATION" => capabilities.implementation = Some(arguments.join(" ")),
                _ => {}
            }
        }
        capabilities
    }
}

/// An extended response code (RFC 2449 §8, RFC 3206).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseCode {
    /// Logged in too soon after the last login.
    LoginDelay,
    /// Another session holds the mailbox.
    InUse,
    /// A temporary server problem: try again later.
    SysTemp,
    /// A permanent server problem: retrying will not help.
    SysPerm,
    /// The credentials were wrong (not a server problem).
    Auth,
    Other(String),
}

impl ResponseCode {
    /// The code at the start of a response text (`[IN-USE] Mailbox locked`), and the
    /// rest of the text.
    pub fn split(text: &str) -> (Option<ResponseCode>, &str) {
        let Some(rest) = text.strip_prefix('[') else {
            return (None, text);
        };
        let Some((code, text)) = rest.split_once(']') else {
            return (None, text);
        };
        let parsed = match code.to_ascii_uppercase().as_str() {
            "LOGIN-DELAY" => ResponseCode::LoginDelay,
            "IN-USE" => ResponseCode::InUse,
            "SYS/TEMP" => ResponseCode::SysTemp,
            "SYS/PERM" => ResponseCode::SysPerm,
            "AUTH" => ResponseCode::Auth,
            _ => ResponseCode::Other(code.to_owned()),
        };
        (Some(parsed), text.trim_start())
    }

    /// What the user should be told, when the code says more than the server's text.
    pub fn explanation(&self) -> Option<&'static str> {
        match self {
            ResponseCode::LoginDelay => {
                Some("The server limits how often you may check mail; try again in a few minutes.")
            }
            ResponseCode::InUse => Some(
                "Another program is reading this mailbox right now; try again when it is done.",
            ),
            ResponseCode::SysTemp => {
                Some("The mail server has a temporary problem; try again later.")
            }
            ResponseCode::SysPerm => Some(
                "The mail server has a problem that retrying will not fix; contact its administrator.",
            ),
            ResponseCode::Auth => Some("The user name or password is wrong."),
            ResponseCode::Other(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capa_and_codes() {
        let capabilities = Capabilities::parse(&[
            "TOP",
            "UIDL",
            "RESP-CODES",
            "PIPELINING",
            "AUTH-RESP-CODE",
            "USER",
            "SASL PLAIN login",
            "LOGIN-DELAY 900",
            "EXPIRE NEVER",
            "IMPLEMENTATION Dovecot 2.3",
        ]);
        assert!(capabilities.top && capabilities.uidl && capabilities.pipelining);
        assert_eq!(capabilities.sasl, ["PLAIN", "LOGIN"]);
        assert_eq!(capabilities.login_delay, Some(900));
        assert_eq!(capabilities.expire, Some(None));
        assert_eq!(capabilities.implementation.as_deref(), Some("Dovecot 2.3"));
        assert_eq!(Capabilities::parse(&["EXPIRE 30"]).expire, Some(Some(30)));
        assert_eq!(
            capabilities.policy_notes(),
            ["This server allows one mail check every 15 minute(s)."]
        );
        assert_eq!(
            Capabilities::parse(&["EXPIRE 0"]).policy_notes(),
            ["This server deletes messages as soon as they are downloaded."]
        );

        assert_eq!(
            ResponseCode::split("[IN-USE] Mailbox is locked"),
            (Some(ResponseCode::InUse), "Mailbox is locked")
        );
        assert_eq!(
            ResponseCode::split("[SYS/TEMP] later").0,
            Some(ResponseCode::SysTemp)
        );
        assert_eq!(ResponseCode::split("plain text"), (None, "plain text"));
        assert_eq!(ResponseCode::split("[unclosed"), (None, "[unclosed"));
    }
}
