//! A real Courier-IMAP for one test: the Debian packages unpacked into a private
//! directory by `scripts/setup.sh` (never installed: they conflict with Dovecot),
//! started on a free loopback port from a temp directory, stopped on drop.
//!
//! Courier reads its configuration from fixed paths (`/etc/courier`, the
//! authentication socket under `/run/courier`, its modules in
//! `/usr/lib/courier-authlib`). Each instance runs in a mount namespace of its own
//! (`unshare -m`) where those paths are this test's directories, so instances in
//! parallel tests never meet. The users' mail belongs to `nobody` (uid 65534), as
//! Courier drops root for the mail process.
//!
//! What makes Courier worth testing against: no UIDNEXT in SELECT, no capabilities in
//! the LOGIN answer, no SPECIAL-USE (Trash is just `INBOX.Trash`), the `INBOX.`
//! personal namespace, no MOVE, and IDLE that reports nothing: without FAM, Courier
//! looks for changes during IDLE only every `IMAP_IDLE_TIMEOUT` seconds, set here to
//! an hour, so only a client that asks (NOOP) sees new mail.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::certs::TestPki;
use crate::corpus::Message;
use crate::dovecot::USERS;
use crate::free_port;
use crate::process_group::ProcessGroup;

/// Folders every account has; Courier flags none of them (no SPECIAL-USE).
pub const FOLDERS: [&str; 3] = ["Trash", "Sent", "Drafts"];

/// What the test Courier announces (its Debian default, without QUOTA and ACL).
pub const CAPABILITIES: &str =
    "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT IDLE";

pub struct Courier {
    /// Held for its drop, which stops the server (first: before the directory goes).
    _process: ProcessGroup,
    dir: tempfile::TempDir,
    /// IMAP with STARTTLS offered.
    pub imap: u16,
    pub pki: TestPki,
}

/// Where `scripts/setup.sh` unpacked the Courier packages.
pub fn unpacked_root() -> PathBuf {
    crate::tools_dir().join("courier")
}

impl Courier {
    /// Starts Courier-IMAP with the test users (as in [`crate::dovecot::USERS`]) and
    /// their folders, and waits until it greets.
    pub fn start() -> anyhow::Result<Courier> {
        Courier::start_announcing(CAPABILITIES)
    }

    /// Like [`Courier::start`], announcing `capabilities` (e.g. without UIDPLUS, to
    /// exercise base IMAP against a real server).
    pub fn start_announcing(capabilities: &str) -> anyhow::Result<Courier> {
        let root = unpacked_root();
        anyhow::ensure!(
            root.join("usr/bin/imapd").exists(),
            "Courier is not unpacked in {} (scripts/setup.sh does it)",
            root.display()
        );
        let dir = tempfile::Builder::new()
            .prefix("postern-courier-")
            .tempdir_in("/tmp")?;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
        let pki = TestPki::create(&dir.path().join("tls"))?;
        // couriertls wants the key and the certificate in one file.
        std::fs::write(
            dir.path().join("tls/imapd.pem"),
            [
                std::fs::read(&pki.key_file)?,
                std::fs::read(&pki.cert_file)?,
            ]
            .concat(),
        )?;
        // STARTTLS runs couriertls as the `courier` user the Debian package would have
        // made: the namespace gets account files that have it.
        for (file, line) in [
            (
                "passwd",
                "courier:x:65534:65534:Courier:/nonexistent:/usr/sbin/nologin",
            ),
            ("group", "courier:x:65534:"),
        ] {
            let system = std::fs::read_to_string(Path::new("/etc").join(file))?;
            std::fs::write(dir.path().join(file), format!("{system}{line}\n"))?;
        }
        let etc = dir.path().join("etc");
        std::fs::create_dir_all(&etc)?;
        std::fs::write(
            etc.join("authdaemonrc"),
            "authmodulelist=\"authuserdb\"\ndaemons=2\nauthdaemonvar=/run/courier/authdaemon\nDEBUG_LOGIN=0\nDEFAULTOPTIONS=\"\"\nLOGGEROPTS=\"\"\n",
        )?;
        let mut accounts = String::new();
        let mut secrets = String::new();
        for (user, password) in USERS {
            let home = dir.path().join("mail").join(user);
            let maildir = home.join("Maildir");
            for folder in std::iter::once("").chain(FOLDERS) {
                let base = if folder.is_empty() {
                    maildir.clone()
                } else {
                    maildir.join(format!(".{folder}"))
                };
                for sub in ["cur", "new", "tmp"] {
                    std::fs::create_dir_all(base.join(sub))?;
                }
                if !folder.is_empty() {
                    std::fs::write(base.join("maildirfolder"), "")?;
                }
            }
            accounts.push_str(&format!(
                "{user}\tuid=65534|gid=65534|home={}|mail={}|_=\n",
                home.display(),
                maildir.display()
            ));
            secrets.push_str(&format!("{user}\tsystempw={}\n", crypt(password)?));
        }
        chown_tree(&dir.path().join("mail"))?;
        let makedat = root.join("usr/lib/courier/courier-authlib/makedatprog");
        for (text, name) in [(accounts, "userdb"), (secrets, "userdbshadow")] {
            let mut child = Command::new(&makedat)
                .arg("-")
                .arg(etc.join(format!("{name}.tmp")))
                .arg(etc.join(format!("{name}.dat")))
                .env("LD_LIBRARY_PATH", library_path(&root))
                .stdin(Stdio::piped())
                .spawn()?;
            std::io::Write::write_all(
                child.stdin.as_mut().expect("piped"),
                format!("{text}.\n").as_bytes(),
            )?;
            drop(child.stdin.take());
            anyhow::ensure!(child.wait()?.success(), "makedatprog failed for {name}");
        }

        let imap = free_port();
        let script = dir.path().join("start.sh");
        std::fs::write(
            &script,
            launch_script(&root, dir.path(), imap, capabilities),
        )?;
        let log = std::fs::File::create(dir.path().join("courier.log"))?;
        let mut process = ProcessGroup::spawn(
            Command::new("unshare")
                .arg("-m")
                .arg("sh")
                .arg(&script)
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log),
        )
        .map_err(|e| anyhow::anyhow!("cannot start Courier under unshare: {e}"))?;
        process.wait_for_greeting("Courier", imap, &dir.path().join("courier.log"))?;
        Ok(Courier {
            dir,
            imap,
            pki,
            _process: process,
        })
    }

    /// Courier's output so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("courier.log")).unwrap_or_default()
    }

    /// The Maildir++ directory of `folder` ("INBOX", or "Trash" for `INBOX.Trash`).
    pub fn maildir(&self, user: &str, folder: &str) -> PathBuf {
        let base = self.dir.path().join("mail").join(user).join("Maildir");
        match folder.strip_prefix("INBOX.") {
            _ if folder.eq_ignore_ascii_case("INBOX") => base,
            Some(inner) => base.join(format!(".{inner}")),
            None => base.join(format!(".{folder}")),
        }
    }

    /// Writes messages into a folder's Maildir; Courier sees them at its next scan.
    pub fn seed(&self, user: &str, folder: &str, messages: &[Message]) -> anyhow::Result<()> {
        let maildir = self.maildir(user, folder);
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub))?;
        }
        for message in messages {
            let (sub, name) = crate::mail_store::maildir_place(message);
            std::fs::write(maildir.join(sub).join(name), &message.raw)?;
        }
        chown_tree(&self.dir.path().join("mail"))?;
        Ok(())
    }
}

fn library_path(root: &Path) -> String {
    format!(
        "{}:{}",
        root.join("usr/lib").display(),
        root.join("usr/lib/x86_64-linux-gnu").display()
    )
}

/// The shell script run inside the mount namespace: Courier's fixed paths become
/// this instance's directories, then authdaemond and couriertcpd start. The unpacked
/// packages are mounted under `/run/courier/pkg`, since the mail process runs as
/// `nobody`, who may not pass through `/root` where they are kept.
fn launch_script(root: &Path, dir: &Path, port: u16, capabilities: &str) -> String {
    let root = root.display();
    let dir = dir.display();
    format!(
        r#"set -e
mount --make-rprivate /
mkdir -p /etc/courier /run/courier /usr/lib/courier-authlib
mount -t tmpfs -o mode=0755 postern-courier /run/courier
mkdir -p /run/courier/authdaemon /run/courier/pkg
mount --bind {root} /run/courier/pkg
P=/run/courier/pkg
mount --bind {dir}/etc /etc/courier
mount --bind {dir}/passwd /etc/passwd
mount --bind {dir}/group /etc/group
mount --bind $P/usr/lib/courier-authlib /usr/lib/courier-authlib
export LD_LIBRARY_PATH=$P/usr/lib:$P/usr/lib/x86_64-linux-gnu
set -a
. /etc/courier/authdaemonrc
set +a
$P/usr/lib/courier/courier-authlib/authdaemond &
for _ in $(seq 100); do [ -S /run/courier/authdaemon/socket ] && break; sleep 0.05; done
export IMAP_CAPABILITY="{capabilities}"
export IMAP_CAPABILITY_TLS="{capabilities} AUTH=PLAIN"
export IMAP_KEYWORDS=1 IMAP_ACL=0 IMAP_IDLE_TIMEOUT=3600 IMAP_ENHANCEDIDLE=0
export IMAP_TRASHFOLDERNAME=Trash IMAP_MOVE_EXPUNGE_TO_TRASH=0 IMAP_USELOCKS=1
export IMAP_UMASK=022 IMAP_ULIMITD=131072 MAILDIRPATH=Maildir
export IMAP_STARTTLS=YES IMAP_TLS_REQUIRED=0 COURIERTLS=$P/usr/bin/couriertls
export TLS_CERTFILE={dir}/tls/imapd.pem TLS_VERIFYPEER=NONE
exec $P/usr/sbin/couriertcpd -address=127.0.0.1 -nodnslookup -noidentlookup \
  -maxprocs=40 -maxperip=40 {port} \
  $P/usr/lib/courier/courier/imaplogin $P/usr/bin/imapd Maildir
"#
    )
}

/// A SHA-512 crypt(3) hash, as Courier's userdb stores passwords.
fn crypt(password: &str) -> anyhow::Result<String> {
    let output = Command::new("openssl")
        .args(["passwd", "-6", password])
        .output()?;
    anyhow::ensure!(output.status.success(), "openssl passwd failed");
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

fn chown_tree(path: &Path) -> anyhow::Result<()> {
    std::os::unix::fs::chown(path, Some(65534), Some(65534))?;
    if path.is_dir() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path())?;
        }
    }
    Ok(())
}
