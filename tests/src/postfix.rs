//! A real Postfix (Debian's) run from a temp directory as the tests' submission
//! server: it authenticates logins against the test Dovecot (Dovecot SASL) and
//! delivers into it (LMTP), so a message sent through Postern can be read back by its
//! recipient over IMAP.
//!
//! Three submission ports, as a provider would offer them: plain (loopback only, AUTH
//! allowed without TLS), STARTTLS (587-style, TLS required before AUTH) and implicit
//! TLS (465-style). Recipients are `<test user>@postern.test`; any other address in
//! that domain is rejected as unknown, which the tests use for per-recipient
//! failures. Messages over 10 MiB are refused (SIZE).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::dovecot::{Dovecot, USERS};
use crate::free_ports;

/// The domain of the test users' addresses.
pub const DOMAIN: &str = "postern.test";
/// What the test Postfix announces as SIZE.
pub const MESSAGE_SIZE_LIMIT: u64 = 10 << 20;

#[derive(Debug, Clone, Copy)]
pub struct SubmissionPorts {
    pub plain: u16,
    pub starttls: u16,
    pub implicit: u16,
}

pub struct Postfix {
    dir: tempfile::TempDir,
    pub ports: SubmissionPorts,
    child: Child,
}

impl Postfix {
    /// Starts Postfix for `dovecot` and waits until every port greets.
    pub fn start(dovecot: &Dovecot) -> anyhow::Result<Postfix> {
        let dir = tempfile::Builder::new()
            .prefix("postern-postfix-")
            .tempdir_in("/tmp")?;
        let [plain, starttls, implicit] = free_ports();
        let ports = SubmissionPorts {
            plain,
            starttls,
            implicit,
        };
        // Postfix's daemons run as the postfix user: they must reach in.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
        let etc = dir.path().join("etc");
        std::fs::create_dir_all(&etc)?;
        std::fs::write(etc.join("main.cf"), main_cf(dir.path(), dovecot))?;
        std::fs::write(etc.join("master.cf"), master_cf(&ports))?;
        // Postfix insists that its queue belongs to its own user.
        std::fs::create_dir_all(dir.path().join("queue"))?;
        std::fs::create_dir_all(dir.path().join("data"))?;
        let output = Command::new("/usr/sbin/postfix")
            .arg("-c")
            .arg(&etc)
            .arg("set-permissions")
            .output()
            .map_err(|e| anyhow::anyhow!("cannot run postfix (apt install postfix): {e}"))?;
        anyhow::ensure!(
            output.status.success(),
            "postfix set-permissions failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let child = Command::new("/usr/sbin/postfix")
            .arg("-c")
            .arg(&etc)
            .arg("start-fg")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut postfix = Postfix { dir, ports, child };
        postfix.wait_ready()?;
        Ok(postfix)
    }

    /// Postfix's log so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postfix.log")).unwrap_or_default()
    }

    fn config_dir(&self) -> PathBuf {
        self.dir.path().join("etc")
    }

    fn wait_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        for port in [self.ports.plain, self.ports.starttls, self.ports.implicit] {
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                if let Some(status) = self.child.try_wait()? {
                    let mut stderr = String::new();
                    if let Some(mut pipe) = self.child.stderr.take() {
                        let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
                    }
                    anyhow::bail!("postfix exited ({status}): {stderr}\n{}", self.log());
                }
                if Instant::now() > deadline {
                    anyhow::bail!("postfix did not listen on {port} in time:\n{}", self.log());
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Ok(())
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        // `postfix stop` ends the master and every daemon it started.
        let _ = Command::new("/usr/sbin/postfix")
            .arg("-c")
            .arg(self.config_dir())
            .arg("stop")
            .output();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn main_cf(dir: &Path, dovecot: &Dovecot) -> String {
    let recipients: Vec<String> = USERS
        .iter()
        .map(|(user, _)| format!("{user}@{DOMAIN}=ok"))
        .collect();
    format!(
        r#"# Generated by postern-tests for one test; deleted with it.
compatibility_level = 3.6
queue_directory = {dir}/queue
data_directory = {dir}/data
maillog_file = {dir}/postfix.log
maillog_file_prefixes = {dir}
syslog_name = postern-postfix
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mail.{DOMAIN}
mydomain = {DOMAIN}
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
biff = no
smtputf8_enable = yes
message_size_limit = {MESSAGE_SIZE_LIMIT}
virtual_mailbox_domains = {DOMAIN}
virtual_mailbox_maps = inline:{{ {recipients} }}
virtual_transport = lmtp:inet:127.0.0.1:{lmtp}
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:{auth}
smtpd_sasl_auth_enable = yes
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
smtpd_tls_cert_file = {cert}
smtpd_tls_key_file = {key}
smtpd_tls_security_level = may
# Everything happens at once: no retries to wait for, no DNS to ask.
disable_dns_lookups = yes
smtp_dns_support_level = disabled
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
"#,
        dir = dir.display(),
        recipients = recipients.join(", "),
        lmtp = dovecot.ports.lmtp,
        auth = dovecot.ports.auth,
        cert = dovecot.pki.cert_file.display(),
        key = dovecot.pki.key_file.display(),
    )
}

fn master_cf(ports: &SubmissionPorts) -> String {
    format!(
        r#"# Generated by postern-tests. No chroot: the temp directory is not a jail.
127.0.0.1:{plain} inet n - n - - smtpd
127.0.0.1:{starttls} inet n - n - - smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
127.0.0.1:{implicit} inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"#,
        plain = ports.plain,
        starttls = ports.starttls,
        implicit = ports.implicit,
    )
}
