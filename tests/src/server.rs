//! A `postern-server` process for one test, configured for one [`Dovecot`].

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::certs::TestPki;
use crate::courier::Courier;
use crate::cyrus::Cyrus;
use crate::dovecot::Dovecot;
use crate::postfix::{Postfix, SubmissionPorts};
use crate::{free_port, repo_root, target_dir};

/// Upstream ids of [`ServerConfig::for_dovecot`], one per way of reaching Dovecot.
pub mod upstream {
    /// Plain IMAP and POP3 on loopback.
    pub const PLAIN: &str = "plain";
    /// STARTTLS / STLS, performed by the server, verified against the test CA.
    pub const STARTTLS: &str = "starttls";
    /// IMAPS and POP3S, verified against the test CA.
    pub const IMPLICIT: &str = "implicit";
    /// IMAPS without the test CA: the certificate is not trusted.
    pub const UNTRUSTED: &str = "untrusted";
    /// IMAP only (no POP3), to test `protocol_not_offered`.
    pub const IMAP_ONLY: &str = "imap-only";
    /// A port where nothing listens.
    pub const DOWN: &str = "down";
}

/// What goes into the generated config file.
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    /// `server.listen`; a free loopback port when `None`.
    pub listen: Option<String>,
    /// `[limits]` entries, e.g. `("max_tunnels_per_ip", "2")`.
    pub limits: Vec<(&'static str, String)>,
    /// More `[server]` entries as TOML values, e.g. `("trusted_proxies",
    /// "[\"127.0.0.1\"]")`. Without an `assets` entry the page is served from
    /// disk, so a test sees the bundle `scripts/build-web.sh` built last.
    pub server: Vec<(&'static str, String)>,
    pub allowed_origins: Vec<String>,
    /// `[[upstream]]` tables, as TOML.
    pub upstreams: String,
}

impl ServerConfig {
    /// Every way of reaching this Dovecot, working or broken, under the ids in
    /// [`upstream`].
    pub fn for_dovecot(dovecot: &Dovecot) -> ServerConfig {
        let ports = dovecot.ports;
        let mut config = ServerConfig::working(dovecot);
        config.upstreams.push_str(&format!(
            r#"
[[upstream]]
id = "untrusted"
name = "Test Dovecot (CA not configured)"
host = "localhost"
imap = {{ port = {imaps}, tls = "implicit" }}

[[upstream]]
id = "imap-only"
name = "Test Dovecot (IMAP only)"
host = "127.0.0.1"
imap = {{ port = {imap}, tls = "none" }}

[[upstream]]
id = "down"
name = "Nothing listens here"
host = "127.0.0.1"
imap = {{ port = {down}, tls = "none" }}
"#,
            imap = ports.imap,
            imaps = ports.imaps,
            down = free_port(),
        ));
        config
    }

    /// The three working ways of reaching this Dovecot: plain, STARTTLS, implicit TLS.
    pub fn working(dovecot: &Dovecot) -> ServerConfig {
        ServerConfig {
            upstreams: working_upstreams(dovecot, None),
            ..ServerConfig::default()
        }
    }

    /// Like [`ServerConfig::working`], with submission through `postfix` on each
    /// upstream (plain, STARTTLS, implicit TLS like the others).
    pub fn mail_system(dovecot: &Dovecot, postfix: &Postfix) -> ServerConfig {
        ServerConfig {
            upstreams: working_upstreams(dovecot, Some(postfix.ports)),
            ..ServerConfig::default()
        }
    }

    /// A Courier-IMAP reached plain (`courier`) and with STARTTLS done by the server
    /// (`courier-starttls`, verified against the test CA); with submission through a
    /// test Postfix when given (its users are the same).
    pub fn for_courier(courier: &Courier, submission: Option<SubmissionPorts>) -> ServerConfig {
        ServerConfig::imap_server("courier", "Courier", courier.imap, &courier.pki, submission)
    }

    /// A Cyrus IMAP reached plain (`cyrus`) and with STARTTLS done by the server
    /// (`cyrus-starttls`), as [`ServerConfig::for_courier`] does for Courier.
    pub fn for_cyrus(cyrus: &Cyrus, submission: Option<SubmissionPorts>) -> ServerConfig {
        ServerConfig::imap_server("cyrus", "Cyrus", cyrus.imap, &cyrus.pki, submission)
    }

    /// Upstreams `id` (plain) and `id-starttls` for an IMAP server on `port`.
    fn imap_server(
        id: &str,
        label: &str,
        port: u16,
        pki: &TestPki,
        submission: Option<SubmissionPorts>,
    ) -> ServerConfig {
        ServerConfig {
            upstreams: format!(
                r#"
[[upstream]]
id = "{id}"
name = "Test {label} (plain)"
host = "127.0.0.1"
imap = {{ port = {port}, tls = "none" }}
{smtp}

[[upstream]]
id = "{id}-starttls"
name = "Test {label} (STARTTLS)"
host = "localhost"
ca_file = "{ca}"
imap = {{ port = {port}, tls = "starttls" }}
{smtp}
"#,
                ca = pki.ca_file.display(),
                smtp = plain_submission(submission),
            ),
            ..ServerConfig::default()
        }
    }

    pub fn limit(mut self, name: &'static str, value: impl ToString) -> ServerConfig {
        self.limits.push((name, value.to_string()));
        self
    }

    /// A `[server]` entry; `value` is TOML (`"\"disk\""`, `"[\"127.0.0.1\"]"`).
    pub fn setting(mut self, name: &'static str, value: impl ToString) -> ServerConfig {
        self.server.push((name, value.to_string()));
        self
    }

    pub fn allow_origin(mut self, origin: impl Into<String>) -> ServerConfig {
        self.allowed_origins.push(origin.into());
        self
    }

    pub fn to_toml(&self) -> String {
        let root = repo_root();
        let mut text = String::from("[server]\n");
        let listen = self.listen.as_deref().unwrap_or("127.0.0.1:0");
        let _ = writeln!(text, "listen = {listen:?}");
        let _ = writeln!(text, "index_file = {:?}", root.join("index.html"));
        let _ = writeln!(text, "pkg_dir = {:?}", root.join("web/pkg"));
        let _ = writeln!(text, "static_dir = {:?}", root.join("web/static"));
        let origins: Vec<String> = self
            .allowed_origins
            .iter()
            .map(|o| format!("{o:?}"))
            .collect();
        let _ = writeln!(text, "allowed_origins = [{}]", origins.join(", "));
        if !self.server.iter().any(|(name, _)| *name == "assets") {
            text.push_str("assets = \"disk\"\n");
        }
        for (name, value) in &self.server {
            let _ = writeln!(text, "{name} = {value}");
        }
        text.push_str("\n[limits]\n");
        for (name, value) in &self.limits {
            let _ = writeln!(text, "{name} = {value}");
        }
        text.push_str(&self.upstreams);
        text
    }
}

/// A running `postern-server`; killed on drop.
pub struct PosternServer {
    child: Child,
    pub address: SocketAddr,
    dir: tempfile::TempDir,
}

impl PosternServer {
    /// The server binary, built by `cargo build -p postern-server` into this target dir.
    pub fn binary() -> PathBuf {
        let binary = target_dir().join("postern-server");
        assert!(
            binary.exists(),
            "{} is missing: run `cargo build -p postern-server` first (scripts/test.sh does)",
            binary.display()
        );
        binary
    }

    pub fn start(config: &ServerConfig) -> anyhow::Result<PosternServer> {
        let dir = tempfile::Builder::new()
            .prefix("postern-server-")
            .tempdir()?;
        let config_file = dir.path().join("postern.toml");
        std::fs::write(&config_file, config.to_toml())?;
        let log = std::fs::File::create(dir.path().join("server.log"))?;
        let mut child = Command::new(Self::binary())
            .arg("--config")
            .arg(&config_file)
            .env("RUST_LOG", "postern_server=debug,info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut first_line = String::new();
        BufReader::new(stdout).read_line(&mut first_line)?;
        let address = first_line
            .trim()
            .strip_prefix("postern-server listening on http://")
            .or_else(|| {
                first_line
                    .trim()
                    .strip_prefix("postern-server listening on https://")
            })
            .and_then(|rest| rest.trim_end_matches('/').parse().ok());
        let Some(address) = address else {
            let _ = child.kill();
            let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
            anyhow::bail!("postern-server did not start: {first_line:?}\n{log}");
        };
        Ok(PosternServer {
            child,
            address,
            dir,
        })
    }

    pub fn tunnel_url(&self) -> String {
        format!("ws://{}/tunnel", self.address)
    }

    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// The origin a page served by this server has.
    pub fn origin(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `GET /metrics`, as Prometheus would read it.
    pub fn metrics(&self) -> String {
        ureq::get(&self.http_url("/metrics"))
            .call()
            .expect("metrics answer loopback clients")
            .into_body()
            .read_to_string()
            .expect("metrics are text")
    }

    /// Bytes the server has relayed from mail servers to clients, from its metrics.
    pub fn bytes_to_client(&self) -> u64 {
        self.metrics()
            .lines()
            .find(|l| l.starts_with("postern_tunnel_bytes_total{direction=\"to_client\"}"))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|n| n.parse().ok())
            .expect("the byte counter is exported")
    }

    /// The server's resident memory, from /proc.
    pub fn rss_bytes(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .unwrap_or(0)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Sends SIGTERM, as a service manager would.
    pub fn terminate(&self) {
        let _ = kill(Pid::from_raw(self.pid() as i32), Signal::SIGTERM);
    }

    /// Sends SIGHUP: read the TLS files again.
    pub fn hang_up(&self) {
        let _ = kill(Pid::from_raw(self.pid() as i32), Signal::SIGHUP);
    }

    /// Waits up to `limit` for the process to exit.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for PosternServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An upstream's `smtp` line for a test Postfix's plain submission port (loopback),
/// or nothing.
fn plain_submission(submission: Option<SubmissionPorts>) -> String {
    submission
        .map(|ports| format!("smtp = {{ port = {}, tls = \"none\" }}", ports.plain))
        .unwrap_or_default()
}

/// The `plain`, `starttls` and `implicit` upstreams of a test Dovecot, with SMTP
/// submission when a test Postfix runs.
fn working_upstreams(dovecot: &Dovecot, submission: Option<SubmissionPorts>) -> String {
    let ports = dovecot.ports;
    let ca = dovecot.pki.ca_file.display();
    let smtp = |port: Option<u16>, tls: &str| match port {
        Some(port) => format!("smtp = {{ port = {port}, tls = \"{tls}\" }}\n"),
        None => String::new(),
    };
    format!(
        r#"
[[upstream]]
id = "plain"
name = "Test Dovecot (plain)"
host = "127.0.0.1"
imap = {{ port = {imap}, tls = "none" }}
pop3 = {{ port = {pop3}, tls = "none" }}
{smtp_plain}
[[upstream]]
id = "starttls"
name = "Test Dovecot (STARTTLS)"
host = "localhost"
ca_file = "{ca}"
imap = {{ port = {imap}, tls = "starttls" }}
pop3 = {{ port = {pop3}, tls = "starttls" }}
{smtp_starttls}
[[upstream]]
id = "implicit"
name = "Test Dovecot (implicit TLS)"
host = "localhost"
ca_file = "{ca}"
imap = {{ port = {imaps}, tls = "implicit" }}
pop3 = {{ port = {pop3s}, tls = "implicit" }}
{smtp_implicit}"#,
        imap = ports.imap,
        imaps = ports.imaps,
        pop3 = ports.pop3,
        pop3s = ports.pop3s,
        smtp_plain = smtp(submission.map(|s| s.plain), "none"),
        smtp_starttls = smtp(submission.map(|s| s.starttls), "starttls"),
        smtp_implicit = smtp(submission.map(|s| s.implicit), "implicit"),
    )
}
