//! STARTTLS (RFC 3207) is not done here: for a STARTTLS upstream the tunnel performs
//! EHLO, STARTTLS and the TLS handshake itself, then replays the server's greeting,
//! so the browser's session starts on an encrypted stream as if it were implicit TLS
//! (see `postern_server::upstream::starttls`). The session then sends its own EHLO,
//! as RFC 3207 §4.2 requires after TLS starts.
