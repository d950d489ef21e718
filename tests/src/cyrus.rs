//! A real Cyrus IMAP for one test: `cyrus-common` and `sasl2-bin` from apt, the IMAP
//! daemon from the `cyrus-imapd` package unpacked by `scripts/setup.sh` (never
//! installed: it conflicts with Dovecot), started by Cyrus's `master` from a temp
//! directory on a free loopback port, every child given `-C` with this instance's
//! `imapd.conf`; stopped on drop.
//!
//! Cyrus as Debian ships it: the `INBOX.` namespace with `.` as separator, no
//! SPECIAL-USE flags on the folders it makes (`INBOX.Trash`, `INBOX.Sent`,
//! `INBOX.Drafts`), passwords in a sasldb. Its spool is its own format, so
//! [`MailStore`] is answered through a second IMAP connection.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::certs::TestPki;
use crate::corpus::Message;
use crate::dovecot::USERS;
use crate::free_port;
use crate::mail_store::MailStore;
use crate::process_group::ProcessGroup;

/// The name Cyrus calls itself, and the SASL realm of the test users.
const SERVER_NAME: &str = "postern-cyrus";

pub struct Cyrus {
    /// Held for its drop, which stops the server (first: before the directory goes).
    _process: ProcessGroup,
    dir: tempfile::TempDir,
    /// IMAP with STARTTLS offered.
    pub imap: u16,
    pub pki: TestPki,
}

/// Where `scripts/setup.sh` unpacked the `cyrus-imapd` package.
fn unpacked_imapd() -> PathBuf {
    crate::courier::unpacked_root()
        .with_file_name("cyrus")
        .join("usr/lib/cyrus/bin/imapd")
}

impl Cyrus {
    /// Starts Cyrus with the test users (as in [`crate::dovecot::USERS`]); their
    /// Inbox, Trash, Sent and Drafts are made at their first login.
    pub fn start() -> anyhow::Result<Cyrus> {
        let imapd = unpacked_imapd();
        anyhow::ensure!(
            imapd.exists() && Path::new("/usr/lib/cyrus/bin/master").exists(),
            "Cyrus is missing: scripts/setup.sh installs cyrus-common and unpacks cyrus-imapd"
        );
        let dir = tempfile::Builder::new()
            .prefix("postern-cyrus-")
            .tempdir_in("/tmp")?;
        let root = dir.path();
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755))?;
        let pki = TestPki::create(&root.join("tls"))?;
        for sub in [
            "config/socket",
            "config/db",
            "config/proc",
            "config/lock",
            "spool",
        ] {
            std::fs::create_dir_all(root.join(sub))?;
        }
        // The `cyrus` user cannot reach into /root, where the package is unpacked.
        std::fs::copy(&imapd, root.join("imapd"))?;
        let imap = free_port();
        let config = root.join("imapd.conf");
        std::fs::write(&config, imapd_conf(root, &pki))?;
        std::fs::write(root.join("cyrus.conf"), cyrus_conf(root, &config, imap))?;
        for (user, password) in USERS {
            let mut child = Command::new("saslpasswd2")
                .args(["-p", "-c", "-u", SERVER_NAME, "-f"])
                .arg(root.join("sasldb2"))
                .arg(user)
                .stdin(Stdio::piped())
                .spawn()
                .map_err(|e| anyhow::anyhow!("saslpasswd2 (apt install sasl2-bin): {e}"))?;
            child
                .stdin
                .as_mut()
                .expect("piped")
                .write_all(password.as_bytes())?;
            drop(child.stdin.take());
            anyhow::ensure!(child.wait()?.success(), "saslpasswd2 failed for {user}");
        }
        let chown = Command::new("chown")
            .args(["-R", "cyrus:mail"])
            .arg(root)
            .status()?;
        anyhow::ensure!(chown.success(), "cannot give the directory to cyrus");
        let log = std::fs::File::create(root.join("cyrus.log"))?;
        let mut process = ProcessGroup::spawn(
            Command::new("/usr/lib/cyrus/bin/master")
                .arg("-C")
                .arg(&config)
                .arg("-M")
                .arg(root.join("cyrus.conf"))
                .arg("-p")
                .arg(root.join("master.pid"))
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log),
        )?;
        process.wait_for_greeting("Cyrus", imap, &root.join("cyrus.log"))?;
        Ok(Cyrus {
            dir,
            imap,
            pki,
            _process: process,
        })
    }

    /// Cyrus's output so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("cyrus.log")).unwrap_or_default()
    }

    /// A second, plain IMAP session as `user`, for checks and seeding.
    fn session(&self, user: &str) -> anyhow::Result<Checker> {
        let password = USERS
            .iter()
            .find(|(u, _)| *u == user)
            .map(|(_, p)| *p)
            .ok_or_else(|| anyhow::anyhow!("no test user {user}"))?;
        let stream = TcpStream::connect(("127.0.0.1", self.imap))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut checker = Checker {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
            tag: 0,
        };
        checker.line()?;
        checker.command(&format!("LOGIN {user} {password}"))?;
        Ok(checker)
    }
}

impl MailStore for Cyrus {
    fn seed(&self, user: &str, folder: &str, messages: &[Message]) -> anyhow::Result<()> {
        let mut session = self.session(user)?;
        for message in messages {
            let mut flags = Vec::new();
            if message.seen {
                flags.push("\\Seen");
            }
            if message.flags.contains('F') {
                flags.push("\\Flagged");
            }
            session.append(folder, &flags.join(" "), &message.raw)?;
        }
        Ok(())
    }

    fn count(&self, user: &str, folder: &str) -> usize {
        let Ok(mut session) = self.session(user) else {
            return 0;
        };
        session
            .command(&format!("STATUS \"{folder}\" (MESSAGES)"))
            .ok()
            .and_then(|lines| {
                lines.iter().find_map(|l| {
                    let at = l.find("MESSAGES ")? + "MESSAGES ".len();
                    l[at..].trim_end_matches([')', '\r', '\n']).parse().ok()
                })
            })
            .unwrap_or(0)
    }

    fn flagged(&self, user: &str, folder: &str) -> usize {
        let Ok(mut session) = self.session(user) else {
            return 0;
        };
        if session.command(&format!("EXAMINE \"{folder}\"")).is_err() {
            return 0;
        }
        session
            .command("SEARCH FLAGGED")
            .ok()
            .and_then(|lines| {
                lines.iter().find_map(|l| {
                    l.strip_prefix("* SEARCH")
                        .map(|r| r.split_whitespace().count())
                })
            })
            .unwrap_or(0)
    }

    fn has_folder(&self, user: &str, folder: &str) -> bool {
        self.session(user)
            .and_then(|mut s| s.command(&format!("LIST \"\" \"{folder}\"")))
            .is_ok_and(|lines| lines.iter().any(|l| l.starts_with("* LIST")))
    }
}

/// A plain IMAP connection for a test's own questions; one command at a time.
struct Checker {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    tag: u32,
}

impl Checker {
    fn line(&mut self) -> anyhow::Result<String> {
        let mut line = String::new();
        anyhow::ensure!(self.reader.read_line(&mut line)? > 0, "Cyrus closed");
        Ok(line)
    }

    /// Sends `command`; the untagged lines, once the tagged OK arrived.
    fn command(&mut self, command: &str) -> anyhow::Result<Vec<String>> {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        self.writer
            .write_all(format!("{tag} {command}\r\n").as_bytes())?;
        self.answer(&tag)
    }

    fn answer(&mut self, tag: &str) -> anyhow::Result<Vec<String>> {
        let mut lines = Vec::new();
        loop {
            let line = self.line()?;
            if let Some(status) = line.strip_prefix(&format!("{tag} ")) {
                anyhow::ensure!(status.starts_with("OK"), "{tag}: {status}");
                return Ok(lines);
            }
            // A literal in an answer: read it whole.
            if let Some(size) = line
                .trim_end()
                .strip_suffix('}')
                .and_then(|l| l.rsplit_once('{'))
                .and_then(|(_, n)| n.parse::<usize>().ok())
            {
                let mut literal = vec![0; size];
                self.reader.read_exact(&mut literal)?;
            }
            lines.push(line);
        }
    }

    fn append(&mut self, folder: &str, flags: &str, message: &[u8]) -> anyhow::Result<()> {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        // LITERAL+: no wait for a continuation.
        self.writer.write_all(
            format!(
                "{tag} APPEND \"{folder}\" ({flags}) {{{}+}}\r\n",
                message.len()
            )
            .as_bytes(),
        )?;
        self.writer.write_all(message)?;
        self.writer.write_all(b"\r\n")?;
        self.answer(&tag).map(|_| ())
    }
}

fn imapd_conf(root: &Path, pki: &TestPki) -> String {
    let dir = root.display();
    format!(
        "# Generated by postern-tests for one test; deleted with it.
configdirectory: {dir}/config
partition-default: {dir}/spool
servername: {SERVER_NAME}
admins: cyrus
allowplaintext: yes
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: {dir}/sasldb2
sasl_mech_list: PLAIN LOGIN
altnamespace: no
unixhierarchysep: no
autocreate_quota: 0
autocreate_post: 1
autocreate_inbox_folders: Trash|Sent|Drafts
autocreate_subscribe_folder: Trash|Sent|Drafts
tls_server_cert: {cert}
tls_server_key: {key}
lmtpsocket: {dir}/config/socket/lmtp
idlesocket: {dir}/config/socket/idle
notifysocket: {dir}/config/socket/notify
syslog_prefix: postern-cyrus
",
        cert = pki.cert_file.display(),
        key = pki.key_file.display(),
    )
}

fn cyrus_conf(root: &Path, config: &Path, port: u16) -> String {
    let dir = root.display();
    let config = config.display();
    format!(
        r#"START {{
  recover cmd="/usr/lib/cyrus/bin/ctl_cyrusdb -C {config} -r"
}}
SERVICES {{
  imap cmd="{dir}/imapd -C {config}" listen="127.0.0.1:{port}" prefork=0
}}
EVENTS {{
}}
DAEMON {{
}}
"#
    )
}
