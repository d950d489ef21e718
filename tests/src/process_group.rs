//! A server run as the leader of a process group of its own (Courier's couriertcpd,
//! Cyrus's master, nginx, Caddy), so that dropping it stops everything it started.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

pub(crate) struct ProcessGroup {
    child: Child,
}

impl ProcessGroup {
    pub(crate) fn spawn(command: &mut Command) -> std::io::Result<ProcessGroup> {
        command
            .process_group(0)
            .spawn()
            .map(|child| ProcessGroup { child })
    }

    /// Waits until an IMAP server greets (`* OK`) on `port`; on failure the error
    /// carries the server's `log`.
    pub(crate) fn wait_for_greeting(
        &mut self,
        name: &str,
        port: u16,
        log: &Path,
    ) -> anyhow::Result<()> {
        self.wait_until(name, log, || {
            let Ok(stream) = TcpStream::connect(("127.0.0.1", port)) else {
                return false;
            };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let mut line = String::new();
            BufReader::new(stream).read_line(&mut line).is_ok() && line.starts_with("* OK")
        })
    }

    /// Waits until something accepts connections on `port`; on failure the error
    /// carries the server's `log`.
    pub(crate) fn wait_for_port(
        &mut self,
        name: &str,
        port: u16,
        log: &Path,
    ) -> anyhow::Result<()> {
        self.wait_until(name, log, || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        })
    }

    /// Waits up to 15 s for `ready`, failing early if the process exits.
    fn wait_until(
        &mut self,
        name: &str,
        log: &Path,
        mut ready: impl FnMut() -> bool,
    ) -> anyhow::Result<()> {
        let log = || std::fs::read_to_string(log).unwrap_or_default();
        let deadline = Instant::now() + Duration::from_secs(15);
        while !ready() {
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!("{name} exited ({status}):\n{}", log());
            }
            if Instant::now() > deadline {
                anyhow::bail!("{name} did not listen in time:\n{}", log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        let group = Pid::from_raw(self.child.id() as i32);
        let _ = killpg(group, Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = killpg(group, Signal::SIGKILL);
        let _ = self.child.wait();
    }
}
