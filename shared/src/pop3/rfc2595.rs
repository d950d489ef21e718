//! RFC 2595 §4: STLS ([`super::Command::Stls`], announced as `STLS` in
//! [`super::Capabilities`]). Postern's server performs it for STARTTLS upstreams before
//! the browser sees the session (see docs/tunnel-protocol.md), so a client on such a
//! tunnel never sends it; the browser has no TLS of its own to upgrade to.
