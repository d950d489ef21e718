//! Cross-site WebSocket hijacking defence.
//!
//! Browsers attach cookies-free but origin-labelled WebSocket requests from any page, so
//! without this check a hostile page could open tunnels from a victim's browser (inside
//! the victim's network) to the configured mail servers. Browsers always send `Origin`
//! on WebSocket requests; a request without one is not from a browser page and cannot be
//! a hijack, so it is let through (native clients, monitoring).

use axum::http::HeaderValue;

/// Whether a WebSocket upgrade with this `Origin` and `Host` may proceed.
///
/// With `allowed` empty, only the server's own origin (same host and port as the
/// `Host` header) is allowed; otherwise exactly the listed origins.
pub fn is_allowed(
    origin: Option<&HeaderValue>,
    host: Option<&HeaderValue>,
    allowed: &[String],
) -> bool {
    let Some(origin) = origin else { return true };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if !allowed.is_empty() {
        return allowed.iter().any(|a| a.eq_ignore_ascii_case(origin));
    }
    let Some(authority) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false; // "null" (sandboxed frames, file:) and anything odd
    };
    host.and_then(|h| h.to_str().ok())
        .is_some_and(|host| host.eq_ignore_ascii_case(authority))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(origin: Option<&str>, host: Option<&str>, allowed: &[&str]) -> bool {
        let origin = origin.map(|o| HeaderValue::from_str(o).unwrap());
        let host = host.map(|h| HeaderValue::from_str(h).unwrap());
        let allowed: Vec<String> = allowed.iter().map(|s| s.to_string()).collect();
        is_allowed(origin.as_ref(), host.as_ref(), &allowed)
    }

    #[test]
    fn own_origin_by_default() {
        assert!(check(
            Some("http://127.0.0.1:8080"),
            Some("127.0.0.1:8080"),
            &[]
        ));
        assert!(check(
            Some("https://Mail.Example.org"),
            Some("mail.example.org"),
            &[]
        ));
        assert!(!check(
            Some("http://evil.example"),
            Some("mail.example.org"),
            &[]
        ));
        assert!(!check(
            Some("http://127.0.0.1:9999"),
            Some("127.0.0.1:8080"),
            &[]
        ));
        assert!(!check(Some("null"), Some("127.0.0.1:8080"), &[]));
        assert!(!check(Some("http://127.0.0.1:8080"), None, &[]));
        assert!(check(None, Some("127.0.0.1:8080"), &[]));
    }

    #[test]
    fn configured_list_replaces_the_default() {
        let allowed = ["https://mail.example.org"];
        assert!(check(
            Some("https://mail.example.org"),
            Some("internal:8080"),
            &allowed
        ));
        assert!(!check(
            Some("http://internal:8080"),
            Some("internal:8080"),
            &allowed
        ));
    }
}
