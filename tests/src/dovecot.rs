//! A real Dovecot for one test: generated config, free loopback ports, its own temp
//! directory, stopped on drop.
//!
//! Dovecot never runs mail processes as root: as root the users' mail belongs to
//! `nobody:nogroup`, and the temp directory (under /tmp) is made searchable for them.
//! A first `static` passdb with `nodelay=y` keeps failed-login tests from slowing every
//! later login from 127.0.0.1 (Dovecot's auth penalty).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::certs::TestPki;
use crate::corpus::Message;
use crate::free_ports;

/// The test accounts: (user, password).
pub const USERS: [(&str, &str); 4] = [
    ("alice", "alice-secret"),
    ("bob", "bob-secret"),
    ("carol", "carol-secret"),
    ("dave", "dave-secret"),
];

/// Folders every account has, with their SPECIAL-USE flag.
pub const SPECIAL_FOLDERS: [(&str, &str); 5] = [
    ("Drafts", "\\Drafts"),
    ("Sent", "\\Sent"),
    ("Trash", "\\Trash"),
    ("Junk", "\\Junk"),
    ("Archive", "\\Archive"),
];

/// Settings for [`Dovecot::start_with`] that record each IMAP session's raw traffic
/// (Dovecot's `rawlog`), for [`Dovecot::client_commands`]: what a client really sent.
pub const RECORD_IMAP: &str = "
service imap-postlogin {
  executable = script-login -d rawlog
  unix_listener imap-postlogin {
  }
}
service imap {
  executable = imap imap-postlogin
}
";

/// The ports one Dovecot listens on, all on 127.0.0.1.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    /// IMAP with STARTTLS offered.
    pub imap: u16,
    /// IMAP over implicit TLS.
    pub imaps: u16,
    /// POP3 with STLS offered.
    pub pop3: u16,
    /// POP3 over implicit TLS.
    pub pop3s: u16,
    /// LMTP, where the test MTA delivers.
    pub lmtp: u16,
    /// The authentication service, for the test MTA's SASL.
    pub auth: u16,
}

pub struct Dovecot {
    dir: tempfile::TempDir,
    pub ports: Ports,
    pub pki: TestPki,
    child: Child,
    mail_owner: Option<(u32, u32)>,
}

/// What Dovecot 2.3 announces after login; [`Dovecot::start_without`] hides some.
const CAPABILITIES: &str = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY \
    THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT \
    CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES \
    WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE \
    SAVEDATE LITERAL+ NOTIFY SPECIAL-USE";

impl Dovecot {
    /// Starts Dovecot with the test users and empty mailboxes, and waits until it
    /// greets on every port.
    pub fn start() -> anyhow::Result<Dovecot> {
        Dovecot::start_without(&[])
    }

    /// Like [`Dovecot::start`], but not announcing `hidden` capabilities after login
    /// (e.g. `MOVE`, `IDLE`), to exercise a client's fallbacks against a real server.
    pub fn start_without(hidden: &[&str]) -> anyhow::Result<Dovecot> {
        Dovecot::start_configured(hidden, "")
    }

    /// Like [`Dovecot::start`], with `settings` added to the configuration (e.g.
    /// `pop3_lock_session = yes`).
    pub fn start_with(settings: &str) -> anyhow::Result<Dovecot> {
        Dovecot::start_configured(&[], settings)
    }

    fn start_configured(hidden: &[&str], settings: &str) -> anyhow::Result<Dovecot> {
        // Ports are picked free but bound later by Dovecot; a parallel test may take
        // one in between. That race is retried with new ports, nothing else is.
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Dovecot::start_once(hidden, settings) {
                Err(e) if attempt < 5 && e.to_string().contains("Address already in use") => {
                    continue;
                }
                result => return result,
            }
        }
    }

    fn start_once(hidden: &[&str], settings: &str) -> anyhow::Result<Dovecot> {
        let dir = tempfile::Builder::new()
            .prefix("postern-dovecot-")
            .tempdir_in("/tmp")?;
        // The mail processes run as `nobody` when we are root: they must reach in.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
        let pki = TestPki::create(&dir.path().join("tls"))?;
        let [imap, imaps, pop3, pop3s, lmtp, auth] = free_ports();
        let ports = Ports {
            imap,
            imaps,
            pop3,
            pop3s,
            lmtp,
            auth,
        };
        let root = effective_uid()? == 0;
        let mail_owner = root.then_some((65534, 65534)); // nobody:nogroup on Debian

        let users: String = USERS
            .iter()
            .map(|(user, password)| format!("{user}:{{PLAIN}}{password}::::::\n"))
            .collect();
        std::fs::write(dir.path().join("users"), users)?;
        for (user, _) in USERS {
            let maildir = dir.path().join("home").join(user).join("Maildir");
            for sub in ["cur", "new", "tmp"] {
                std::fs::create_dir_all(maildir.join(sub))?;
            }
        }
        let mut config = config_text(dir.path(), &ports, &pki, root);
        if !hidden.is_empty() {
            let announced: Vec<&str> = CAPABILITIES
                .split_whitespace()
                .filter(|c| !hidden.iter().any(|h| h.eq_ignore_ascii_case(c)))
                .collect();
            config.push_str(&format!(
                "protocol imap {{\n  imap_capability = {}\n}}\n",
                announced.join(" ")
            ));
        }
        config.push_str(settings);
        let config_file = dir.path().join("dovecot.conf");
        std::fs::write(&config_file, config)?;
        if let Some(owner) = mail_owner {
            chown_tree(&dir.path().join("home"), owner)?;
        }

        let child = Command::new(dovecot_binary())
            .arg("-F")
            .arg("-c")
            .arg(&config_file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot start dovecot (apt install dovecot-imapd dovecot-pop3d): {e}"
                )
            })?;
        let mut dovecot = Dovecot {
            dir,
            ports,
            pki,
            child,
            mail_owner,
        };
        dovecot.wait_ready()?;
        Ok(dovecot)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Disconnects every session of `user`, as an administrator (or a crash) would.
    pub fn kick(&self, user: &str) -> anyhow::Result<()> {
        let output = Command::new("doveadm")
            .arg("-c")
            .arg(self.dir.path().join("dovecot.conf"))
            .args(["kick", user])
            .output()?;
        anyhow::ensure!(
            output.status.success(),
            "doveadm kick failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(())
    }

    /// Where Dovecot's rawlog keeps `user`'s sessions (recording is on while it exists).
    fn rawlog_dir(&self, user: &str) -> PathBuf {
        self.dir
            .path()
            .join("home")
            .join(user)
            .join("dovecot.rawlog")
    }

    /// Starts recording the IMAP sessions `user` opens from now on (with
    /// [`RECORD_IMAP`] in the configuration).
    pub fn record_sessions(&self, user: &str) -> anyhow::Result<()> {
        let dir = self.rawlog_dir(user);
        std::fs::create_dir_all(&dir)?;
        if let Some(owner) = self.mail_owner {
            chown_tree(&dir, owner)?;
        }
        Ok(())
    }

    /// What `user`'s recorded IMAP sessions sent to the server, one string per session
    /// (oldest first).
    pub fn client_commands(&self, user: &str) -> Vec<String> {
        let dir = self.rawlog_dir(user);
        let mut sessions: Vec<(String, String)> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(|entry| entry.ok())
            .filter(|entry| entry.file_name().to_string_lossy().ends_with(".in"))
            .map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                (name, text)
            })
            .collect();
        sessions.sort();
        sessions.into_iter().map(|(_, text)| text).collect()
    }

    /// Dovecot's log so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// The Maildir++ directory of `folder` ("INBOX", "Sent", "Work/Projects").
    pub fn maildir(&self, user: &str, folder: &str) -> PathBuf {
        let base = self.dir.path().join("home").join(user).join("Maildir");
        if folder.eq_ignore_ascii_case("INBOX") {
            base
        } else {
            base.join(format!(".{}", folder.replace('/', ".")))
        }
    }

    /// Writes messages straight into a folder's Maildir (creating the folder); Dovecot
    /// picks them up at the next sync. Fast: 10,000 messages take about two seconds.
    pub fn seed(&self, user: &str, folder: &str, messages: &[Message]) -> anyhow::Result<()> {
        let maildir = self.maildir(user, folder);
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub))?;
        }
        if !folder.eq_ignore_ascii_case("INBOX") {
            let root = self.maildir(user, "INBOX");
            let mut subscriptions = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(root.join("subscriptions"))?;
            writeln!(subscriptions, "{folder}")?;
        }
        for message in messages {
            let (sub, name) = crate::mail_store::maildir_place(message);
            std::fs::write(maildir.join(sub).join(name), &message.raw)?;
        }
        if let Some(owner) = self.mail_owner {
            chown_tree(&self.maildir(user, "INBOX"), owner)?;
        }
        Ok(())
    }

    fn wait_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(15);
        for port in [
            self.ports.imap,
            self.ports.pop3,
            self.ports.imaps,
            self.ports.pop3s,
        ] {
            loop {
                if let Some(status) = self.child.try_wait()? {
                    let mut stderr = String::new();
                    if let Some(mut pipe) = self.child.stderr.take() {
                        let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
                    }
                    anyhow::bail!("dovecot exited ({status}): {stderr}\n{}", self.log());
                }
                if greets(port, port == self.ports.imap || port == self.ports.pop3) {
                    break;
                }
                if Instant::now() > deadline {
                    anyhow::bail!("dovecot did not listen on {port} in time:\n{}", self.log());
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Ok(())
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its login and mail processes too.
        let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether something listens on `port` (and, for plaintext ports, says hello).
fn greets(port: u16, plaintext: bool) -> bool {
    let Ok(stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    if !plaintext {
        return true;
    }
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).is_ok() && line.starts_with(['*', '+'])
}

fn dovecot_binary() -> PathBuf {
    ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("dovecot"))
}

fn effective_uid() -> anyhow::Result<u32> {
    Ok(nix::unistd::geteuid().as_raw())
}

fn chown_tree(path: &Path, (uid, gid): (u32, u32)) -> anyhow::Result<()> {
    std::os::unix::fs::chown(path, Some(uid), Some(gid))?;
    if path.is_dir() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path(), (uid, gid))?;
        }
    }
    Ok(())
}

fn config_text(dir: &Path, ports: &Ports, pki: &TestPki, root: bool) -> String {
    let dir = dir.display();
    let (uid, gid, run_as) = if root {
        ("65534".to_owned(), "65534".to_owned(), String::new())
    } else {
        let uid = nix::unistd::getuid().as_raw().to_string();
        let gid = nix::unistd::getgid().as_raw().to_string();
        let user = std::env::var("USER").unwrap_or_else(|_| uid.clone());
        let run_as = format!(
            "default_login_user = {user}\ndefault_internal_user = {user}\ndefault_internal_group = {gid}\n"
        );
        (uid, gid, run_as)
    };
    let mailboxes: String = SPECIAL_FOLDERS
        .iter()
        .map(|(name, flag)| {
            format!("  mailbox {name} {{\n    special_use = {flag}\n    auto = subscribe\n  }}\n")
        })
        .collect();
    format!(
        r#"# Generated by postern-tests for one test; deleted with it.
base_dir = {dir}/run
state_dir = {dir}/state
instance_name = postern-{imap}
log_path = {dir}/dovecot.log
protocols = imap pop3 lmtp
listen = 127.0.0.1
{run_as}
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
mail_fsync = never
mail_max_userip_connections = 1000
first_valid_uid = 0
first_valid_gid = 0

passdb {{
  driver = static
  args = noauthenticate=y nodelay=y
  result_success = continue
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={dir}/home/%u
}}

namespace inbox {{
  inbox = yes
  separator = /
{mailboxes}}}

# One login process serves many clients (high-performance mode), so a benchmark can
# hold a thousand unauthenticated connections open.
default_client_limit = 4000
service imap-login {{
  service_count = 0
  client_limit = 2000
  process_min_avail = 1
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = {imaps}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = {pop3s}
    ssl = yes
  }}
}}
protocol pop3 {{
  pop3_uidl_format = %08Xu%08Xv
}}

# Mail the test MTA accepts arrives here, for user@postern.test.
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp}
  }}
}}
protocol lmtp {{
  auth_username_format = %Ln
}}
# The test MTA checks submission logins against the same users.
service auth {{
  inet_listener {{
    address = 127.0.0.1
    port = {auth}
  }}
}}
"#,
        cert = pki.cert_file.display(),
        key = pki.key_file.display(),
        imap = ports.imap,
        imaps = ports.imaps,
        pop3 = ports.pop3,
        pop3s = ports.pop3s,
        lmtp = ports.lmtp,
        auth = ports.auth,
    )
}
