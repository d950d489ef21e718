//! What a server announces in its EHLO reply (RFC 5321 §4.1.1.1): SIZE (RFC 1870),
//! PIPELINING (RFC 2920), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531),
//! ENHANCEDSTATUSCODES (RFC 2034), AUTH (RFC 4954), STARTTLS (RFC 3207).

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extensions {
    /// The server's host name, from the first line.
    pub server: String,
    /// The largest message accepted, in bytes (`None`: not announced or no limit).
    pub size: Option<u64>,
    pub pipelining: bool,
    pub eight_bit_mime: bool,
    pub smtputf8: bool,
    pub enhanced_status_codes: bool,
    pub starttls: bool,
    /// SASL mechanisms, upper-case.
    pub auth: Vec<String>,
}

impl Extensions {
    /// Reads the lines of a 250 reply to EHLO.
    pub fn parse(lines: &[String]) -> Extensions {
        let mut extensions = Extensions {
            server: lines
                .first()
                .and_then(|l| l.split_whitespace().next())
                .unwrap_or_default()
                .to_owned(),
            ..Extensions::default()
        };
        for line in lines.iter().skip(1) {
            let mut words = line.split_whitespace();
            let Some(keyword) = words.next() else {
                continue;
            };
            // Some old servers write AUTH=PLAIN LOGIN.
            let (keyword, first) = match keyword.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (keyword, None),
            };
            match keyword.to_ascii_uppercase().as_str() {
                "SIZE" => {
                    extensions.size = words.next().and_then(|n| n.parse().ok()).filter(|&n| n > 0)
                }
                "PIPELINING" => extensions.pipelining = true,
                "8BITMIME" => extensions.eight_bit_mime = true,
                "SMTPUTF8" => extensions.smtputf8 = true,
                "ENHANCEDSTATUSCODES" => extensions.enhanced_status_codes = true,
                "STARTTLS" => extensions.starttls = true,
                "AUTH" => {
                    for mechanism in first.into_iter().chain(words) {
                        let mechanism = mechanism.to_ascii_uppercase();
                        if !extensions.auth.contains(&mechanism) {
                            extensions.auth.push(mechanism);
                        }
                    }
                }
                _ => {}
            }
        }
        extensions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_postfix_announces() {
        let lines: Vec<String> = [
            "mail.postern.test",
            "PIPELINING",
            "SIZE 10485760",
            "STARTTLS",
            "AUTH PLAIN LOGIN",
            "AUTH=PLAIN",
            "ENHANCEDSTATUSCODES",
            "8BITMIME",
            "SMTPUTF8",
            "CHUNKING",
        ]
        .map(String::from)
        .to_vec();
        let extensions = Extensions::parse(&lines);
        assert_eq!(extensions.server, "mail.postern.test");
        assert_eq!(extensions.size, Some(10485760));
        assert!(extensions.pipelining && extensions.starttls && extensions.smtputf8);
        assert!(extensions.eight_bit_mime && extensions.enhanced_status_codes);
        assert_eq!(extensions.auth, ["PLAIN", "LOGIN"]);
        assert_eq!(Extensions::parse(&["x".into(), "SIZE 0".into()]).size, None);
    }
}
