//! RFC 2595 §4: STLS. Postern's server performs it for STARTTLS upstreams before the
//! browser sees the session (see docs/tunnel-protocol.md), so a client on such a
//! tunnel must not send it; this module says when a server offers it.

use super::rfc2449::Capabilities;

/// Whether the server offers to upgrade this connection to TLS.
pub fn offers_stls(capabilities: &Capabilities) -> bool {
    capabilities.stls
}
