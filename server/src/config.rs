//! The server's configuration: a TOML file, checked once at start-up.
//!
//! Parsing (`RawConfig`) and checking (`Config::from_raw`) are separate so that every
//! rule is enforced in one place and the rest of the server only ever sees a config
//! that is already known to be safe: no port 25, no plaintext to a remote host unless
//! forced, every CA file readable.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use postern_shared::tunnel::{Protocol, TlsMode, UpstreamListing};
use serde::Deserialize;

use crate::client_address::{AddressRange, TrustedProxies};

/// The SMTP relay port. Postern carries mail *submission* only; a tunnel to port 25
/// would let anyone on the web send unauthenticated mail from this server's address.
const SMTP_RELAY_PORT: u16 = 25;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("upstream {id:?}: {problem}")]
    Upstream { id: String, problem: String },
    #[error("{0}")]
    Invalid(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    server: RawServer,
    #[serde(default)]
    limits: Limits,
    #[serde(default, rename = "upstream")]
    upstreams: Vec<RawUpstream>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawServer {
    listen: SocketAddr,
    allowed_origins: Vec<String>,
    index_file: PathBuf,
    pkg_dir: PathBuf,
    static_dir: PathBuf,
    assets: Option<AssetSource>,
    trusted_proxies: Vec<String>,
    metrics_listen: Option<SocketAddr>,
    tls_certificate: Option<PathBuf>,
    tls_key: Option<PathBuf>,
}

/// Where the page and its bundle come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetSource {
    /// The copy built into the executable (compressed at build time).
    Embedded,
    /// `index_file`, `pkg_dir` and `static_dir` on disk, read at each request: for
    /// development, where the bundle is rebuilt while the server runs.
    Disk,
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            allowed_origins: Vec::new(),
            index_file: PathBuf::from("index.html"),
            pkg_dir: PathBuf::from("web/pkg"),
            static_dir: PathBuf::from("web/static"),
            assets: None,
            trusted_proxies: Vec::new(),
            metrics_listen: None,
            tls_certificate: None,
            tls_key: None,
        }
    }
}

/// Resource limits; every one has a default that suits a small shared server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Open tunnels across all clients.
    pub max_tunnels: usize,
    /// Open tunnels from one client IP address. A webmail tab uses one or two.
    pub max_tunnels_per_ip: usize,
    /// Largest WebSocket message (and frame) a client may send, in bytes.
    pub max_message_bytes: usize,
    /// Close a tunnel when no byte has moved either way for this long. IMAP IDLE
    /// clients re-issue IDLE within 29 minutes (RFC 2177), so the default is above that.
    pub idle_timeout_secs: u64,
    /// Close any tunnel after this long, however busy.
    pub max_session_secs: u64,
    /// Time allowed to resolve, connect and finish TLS/STARTTLS to an upstream.
    pub connect_timeout_secs: u64,
    /// Time a client has to send its first frame after the upgrade.
    pub handshake_timeout_secs: u64,
    /// On SIGTERM/SIGINT, how long open tunnels may go on before they are closed.
    pub shutdown_grace_secs: u64,
    /// On SIGTERM/SIGINT, how long the server goes on accepting connections while
    /// `/readyz` answers 503, so a load balancer that polls it stops sending new
    /// sessions before the listener closes. 0: close the listener at once (a proxy
    /// that retries on refused connections, like nginx, then goes elsewhere).
    pub shutdown_delay_secs: u64,
    /// Time a client has to send a whole request head (slow clients that trickle
    /// it, "slowloris", are cut off), counted from the connection's start or the end
    /// of its previous answer: also how long a kept-alive connection may sit idle.
    pub header_read_timeout_secs: u64,
    /// How long an HTTP answer may go without the client taking a byte of it (a
    /// client that stopped reading) before the connection is dropped.
    pub send_timeout_secs: u64,
    /// Connections accepted that have not finished their first request head yet;
    /// past this, new connections are closed at once.
    pub max_unfinished_requests: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_tunnels: 1000,
            max_tunnels_per_ip: 16,
            max_message_bytes: 1 << 20,
            idle_timeout_secs: 31 * 60,
            max_session_secs: 24 * 60 * 60,
            connect_timeout_secs: 10,
            handshake_timeout_secs: 10,
            shutdown_grace_secs: 10,
            shutdown_delay_secs: 0,
            header_read_timeout_secs: 10,
            send_timeout_secs: 30,
            max_unfinished_requests: 256,
        }
    }
}

impl Limits {
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }
    pub fn max_session(&self) -> Duration {
        Duration::from_secs(self.max_session_secs)
    }
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs)
    }
    pub fn handshake_timeout(&self) -> Duration {
        Duration::from_secs(self.handshake_timeout_secs)
    }
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
    pub fn shutdown_delay(&self) -> Duration {
        Duration::from_secs(self.shutdown_delay_secs)
    }
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs)
    }
    pub fn send_timeout(&self) -> Duration {
        Duration::from_secs(self.send_timeout_secs)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUpstream {
    id: String,
    name: Option<String>,
    host: String,
    tls_server_name: Option<String>,
    ca_file: Option<PathBuf>,
    pinned_certificate: Option<PathBuf>,
    #[serde(default)]
    allow_internal_address: bool,
    #[serde(default)]
    allow_plaintext: bool,
    imap: Option<Endpoint>,
    pop3: Option<Endpoint>,
    smtp: Option<Endpoint>,
}

/// Where one protocol of an upstream listens, and how to protect it.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    pub port: u16,
    pub tls: TlsMode,
}

/// A mail server that clients may reach, as configured.
#[derive(Debug, Clone)]
pub struct Upstream {
    pub id: String,
    pub name: String,
    pub host: String,
    /// The name the upstream's certificate must carry.
    pub tls_server_name: String,
    pub ca_file: Option<PathBuf>,
    /// The one certificate (PEM) this upstream must present, accepted as it is: for a
    /// self-signed server whose certificate no CA vouches for. Replaces CA and name
    /// checks; the handshake must still be signed by that certificate's key.
    pub pinned_certificate: Option<PathBuf>,
    /// Connect even if `host` is a name that resolves to a private, loopback or
    /// link-local address. IP literals and `localhost` are taken as deliberate.
    pub allow_internal_address: bool,
    pub endpoints: HashMap<Protocol, Endpoint>,
}

impl Upstream {
    /// Whether the configured host itself says "this is an internal machine, on purpose".
    pub fn host_is_deliberately_internal(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost") || self.host.parse::<IpAddr>().is_ok()
    }

    pub fn listing(&self) -> UpstreamListing {
        let mut protocols: Vec<Protocol> = Protocol::ALL
            .into_iter()
            .filter(|p| self.endpoints.contains_key(p))
            .collect();
        protocols.sort_by_key(|p| p.as_str());
        UpstreamListing {
            id: self.id.clone(),
            name: self.name.clone(),
            protocols,
        }
    }
}

/// A certificate chain and its private key, both PEM files.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub certificate: PathBuf,
    pub key: PathBuf,
}

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// Origins allowed to open tunnels; empty means "the server's own origin only".
    pub allowed_origins: Vec<String>,
    pub index_file: PathBuf,
    pub pkg_dir: PathBuf,
    pub static_dir: PathBuf,
    /// Where the page comes from; `None`: built in when the executable carries it,
    /// else from disk.
    pub assets: Option<AssetSource>,
    /// Peers whose `Forwarded` / `X-Forwarded-For` headers name the client.
    pub trusted_proxies: TrustedProxies,
    /// Serve `/metrics` here (to anyone who can reach it) instead of on `listen`
    /// (where only loopback clients get it).
    pub metrics_listen: Option<SocketAddr>,
    /// TLS on `listen` itself, for operators without a reverse proxy: certificate
    /// chain and private key (PEM), read again on SIGHUP.
    pub tls: Option<TlsFiles>,
    pub limits: Limits,
    /// In configuration order, which is the order the login page shows.
    pub upstreams: Vec<Upstream>,
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let raw: RawConfig = toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source: Box::new(source),
        })?;
        // Relative paths in the file are relative to the file, so the server can be
        // started from any directory.
        let base = path.parent().unwrap_or(Path::new("."));
        Config::from_raw(raw, base)
    }

    pub fn upstream(&self, id: &str) -> Option<&Upstream> {
        self.upstreams.iter().find(|u| u.id == id)
    }

    fn from_raw(raw: RawConfig, base: &Path) -> Result<Config, ConfigError> {
        let limits = raw.limits;
        for (name, value) in [
            ("max_tunnels", limits.max_tunnels as u64),
            ("max_tunnels_per_ip", limits.max_tunnels_per_ip as u64),
            ("max_message_bytes", limits.max_message_bytes as u64),
            ("idle_timeout_secs", limits.idle_timeout_secs),
            ("max_session_secs", limits.max_session_secs),
            ("connect_timeout_secs", limits.connect_timeout_secs),
            ("handshake_timeout_secs", limits.handshake_timeout_secs),
            ("header_read_timeout_secs", limits.header_read_timeout_secs),
            ("send_timeout_secs", limits.send_timeout_secs),
            (
                "max_unfinished_requests",
                limits.max_unfinished_requests as u64,
            ),
        ] {
            if value == 0 {
                return Err(ConfigError::Invalid(format!(
                    "limits.{name} must be greater than 0"
                )));
            }
        }
        for origin in &raw.server.allowed_origins {
            if !(origin.starts_with("http://") || origin.starts_with("https://"))
                || origin.ends_with('/')
            {
                return Err(ConfigError::Invalid(format!(
                    "server.allowed_origins: {origin:?} is not an origin like \"https://mail.example.org\""
                )));
            }
        }

        let mut trusted = Vec::new();
        for proxy in &raw.server.trusted_proxies {
            trusted.push(AddressRange::parse(proxy).ok_or_else(|| {
                ConfigError::Invalid(format!(
                    "server.trusted_proxies: {proxy:?} is not an address or a range like \"10.0.0.0/8\""
                ))
            })?);
        }
        let tls = match (raw.server.tls_certificate, raw.server.tls_key) {
            (Some(certificate), Some(key)) => Some(TlsFiles {
                certificate: base.join(certificate),
                key: base.join(key),
            }),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid(
                    "server.tls_certificate and server.tls_key go together".into(),
                ));
            }
        };
        if raw.server.metrics_listen == Some(raw.server.listen) {
            return Err(ConfigError::Invalid(
                "server.metrics_listen must differ from server.listen".into(),
            ));
        }

        let mut upstreams: Vec<Upstream> = Vec::new();
        for raw_upstream in raw.upstreams {
            let upstream = check_upstream(raw_upstream, base)?;
            if upstreams.iter().any(|u| u.id == upstream.id) {
                return Err(ConfigError::Upstream {
                    id: upstream.id,
                    problem: "the id is used twice".into(),
                });
            }
            upstreams.push(upstream);
        }

        Ok(Config {
            listen: raw.server.listen,
            allowed_origins: raw.server.allowed_origins,
            index_file: base.join(raw.server.index_file),
            pkg_dir: base.join(raw.server.pkg_dir),
            static_dir: base.join(raw.server.static_dir),
            assets: raw.server.assets,
            trusted_proxies: TrustedProxies::new(trusted),
            metrics_listen: raw.server.metrics_listen,
            tls,
            limits,
            upstreams,
        })
    }

    #[cfg(test)]
    fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|source| ConfigError::Parse {
            path: PathBuf::from("<test>"),
            source: Box::new(source),
        })?;
        Config::from_raw(raw, Path::new("."))
    }
}

fn check_upstream(raw: RawUpstream, base: &Path) -> Result<Upstream, ConfigError> {
    let problem = |problem: String| ConfigError::Upstream {
        id: raw.id.clone(),
        problem,
    };
    if raw.id.is_empty()
        || !raw
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return Err(problem(
            "ids use only letters, digits, '-', '_' and '.'".into(),
        ));
    }
    if raw.host.is_empty() {
        return Err(problem("host is empty".into()));
    }
    let loopback = raw.host.eq_ignore_ascii_case("localhost")
        || raw.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());

    let mut endpoints = HashMap::new();
    for (protocol, endpoint) in [
        (Protocol::Imap, raw.imap),
        (Protocol::Pop3, raw.pop3),
        (Protocol::Smtp, raw.smtp),
    ] {
        let Some(endpoint) = endpoint else { continue };
        if endpoint.port == 0 {
            return Err(problem(format!("{protocol}: port 0 is not a port")));
        }
        if endpoint.port == SMTP_RELAY_PORT {
            return Err(problem(format!(
                "{protocol}: port 25 is the SMTP relay port and is never allowed; \
                 use submission (465 or 587) for sending"
            )));
        }
        if endpoint.tls == TlsMode::None && !loopback && !raw.allow_plaintext {
            return Err(problem(format!(
                "{protocol}: tls = \"none\" would send passwords in clear over the network; \
                 use \"implicit\" or \"starttls\", or set allow_plaintext = true if you must"
            )));
        }
        endpoints.insert(protocol, endpoint);
    }
    if endpoints.is_empty() {
        return Err(problem(
            "offers no protocol (add imap, pop3 or smtp)".into(),
        ));
    }

    let ca_file = raw.ca_file.map(|f| base.join(f));
    if let Some(file) = &ca_file
        && let Err(e) = std::fs::metadata(file)
    {
        return Err(problem(format!("ca_file {}: {e}", file.display())));
    }

    let pinned_certificate = raw.pinned_certificate.map(|f| base.join(f));
    if let Some(file) = &pinned_certificate
        && let Err(e) = std::fs::metadata(file)
    {
        return Err(problem(format!(
            "pinned_certificate {}: {e}",
            file.display()
        )));
    }

    Ok(Upstream {
        name: raw.name.clone().unwrap_or_else(|| raw.id.clone()),
        tls_server_name: raw.tls_server_name.unwrap_or_else(|| raw.host.clone()),
        id: raw.id,
        host: raw.host,
        ca_file,
        pinned_certificate,
        allow_internal_address: raw.allow_internal_address,
        endpoints,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> String {
        Config::from_toml(text).unwrap_err().to_string()
    }

    #[test]
    fn defaults_are_safe() {
        let config = Config::from_toml("").unwrap();
        assert!(config.listen.ip().is_loopback());
        assert!(config.allowed_origins.is_empty());
        assert!(config.upstreams.is_empty());
    }

    #[test]
    fn port_25_is_refused_for_every_protocol() {
        for protocol in ["imap", "pop3", "smtp"] {
            let text = format!(
                "[[upstream]]\nid = \"a\"\nhost = \"mail.example.org\"\n{protocol} = {{ port = 25, tls = \"implicit\" }}\n"
            );
            assert!(error_of(&text).contains("port 25"), "{protocol}");
        }
    }

    #[test]
    fn plaintext_needs_loopback_or_force() {
        let remote = "[[upstream]]\nid = \"a\"\nhost = \"mail.example.org\"\nimap = { port = 143, tls = \"none\" }\n";
        assert!(error_of(remote).contains("in clear"));
        let forced = "[[upstream]]\nid = \"a\"\nhost = \"mail.example.org\"\nallow_plaintext = true\nimap = { port = 143, tls = \"none\" }\n";
        assert!(Config::from_toml(forced).is_ok());
        for host in ["localhost", "127.0.0.1", "::1"] {
            let local = format!(
                "[[upstream]]\nid = \"a\"\nhost = \"{host}\"\nimap = {{ port = 143, tls = \"none\" }}\n"
            );
            assert!(Config::from_toml(&local).is_ok(), "{host}");
        }
    }

    #[test]
    fn the_shipped_example_is_valid() {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("postern.example.toml");
        let config = Config::load(&example).unwrap();
        let local = config
            .upstream("local")
            .expect("the example serves a local Dovecot");
        assert_eq!(local.host, "localhost");
        assert!(config.index_file.ends_with("index.html"));
    }

    #[test]
    fn bad_shapes_are_refused() {
        assert!(error_of("[[upstream]]\nid = \"a\"\nhost = \"h\"\n").contains("no protocol"));
        assert!(
            error_of("[[upstream]]\nid = \"a b\"\nhost = \"h\"\nimap = { port = 993, tls = \"implicit\" }\n")
                .contains("ids use only")
        );
        let twice =
            "[[upstream]]\nid = \"a\"\nhost = \"h\"\nimap = { port = 993, tls = \"implicit\" }\n";
        assert!(error_of(&format!("{twice}{twice}")).contains("used twice"));
        assert!(error_of("[limits]\nmax_tunnels = 0\n").contains("max_tunnels"));
        assert!(error_of("[server]\nallowed_origins = [\"evil.example\"]\n").contains("origin"));
        assert!(error_of("[server]\nlisten_on = \"x\"\n").contains("unknown field"));
        assert!(
            error_of("[server]\ntrusted_proxies = [\"proxy.example\"]\n")
                .contains("trusted_proxies")
        );
        assert!(error_of("[server]\ntls_key = \"k.pem\"\n").contains("go together"));
        assert!(
            error_of("[server]\nlisten = \"127.0.0.1:9\"\nmetrics_listen = \"127.0.0.1:9\"\n")
                .contains("must differ")
        );
        assert!(error_of("[server]\nassets = \"cloud\"\n").contains("unknown variant"));
    }

    #[test]
    fn listing_shows_no_address() {
        let config = Config::from_toml(
            "[[upstream]]\nid = \"corp\"\nname = \"Corp mail\"\nhost = \"10.0.0.5\"\nimap = { port = 993, tls = \"implicit\" }\npop3 = { port = 995, tls = \"implicit\" }\n",
        )
        .unwrap();
        let listing = config.upstream("corp").unwrap().listing();
        assert_eq!(listing.name, "Corp mail");
        assert_eq!(listing.protocols, vec![Protocol::Imap, Protocol::Pop3]);
        let json = serde_json::to_string(&listing).unwrap();
        assert!(!json.contains("10.0.0.5") && !json.contains("993"));
    }
}
