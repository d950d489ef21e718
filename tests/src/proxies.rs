//! The reverse proxies of `deploy/`, run from temp directories with the shipped site
//! files: only the addresses, ports and certificate paths are changed, so a test
//! exercises what an operator installs.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::certs::TestPki;
use crate::process_group::ProcessGroup;
use crate::{free_port, repo_root};

/// nginx with `deploy/nginx/postern.conf` in front of `instances`.
pub struct Nginx {
    pub port: u16,
    _dir: tempfile::TempDir,
    _process: ProcessGroup,
}

/// `deploy/nginx/postern.conf` for a test: the HTTPS site on 127.0.0.1:`port` with
/// the test certificate, `instances` as the upstream servers, no port-80 redirect.
pub fn nginx_site(instances: &[SocketAddr], port: u16, pki: &TestPki) -> String {
    let shipped = std::fs::read_to_string(repo_root().join("deploy/nginx/postern.conf"))
        .expect("deploy/nginx/postern.conf");
    let servers: String = instances
        .iter()
        .map(|a| format!("server {a};\n    "))
        .collect();
    let mut site = shipped
        .replace("server 127.0.0.1:8080;\n    ", &servers)
        .replace(
            "listen 443 ssl http2;",
            &format!("listen 127.0.0.1:{port} ssl http2;"),
        )
        .replace("listen [::]:443 ssl http2;\n", "")
        .replace(
            "/etc/letsencrypt/live/mail.example.org/fullchain.pem",
            &pki.cert_file.display().to_string(),
        )
        .replace(
            "/etc/letsencrypt/live/mail.example.org/privkey.pem",
            &pki.key_file.display().to_string(),
        );
    // The redirect from port 80 is not under test (and port 80 is not ours).
    let redirect_start = site
        .find("server {\n    listen 80;")
        .expect("the redirect block");
    let redirect_end = site[redirect_start..].find("}\n").expect("its end") + redirect_start + 2;
    site.replace_range(redirect_start..redirect_end, "");
    site
}

impl Nginx {
    pub fn start(site: &str) -> anyhow::Result<Nginx> {
        let dir = tempfile::Builder::new()
            .prefix("postern-nginx-")
            .tempdir()?;
        let port = site
            .split("listen 127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|p| p.parse().ok())
            .expect("a site made by nginx_site");
        let root = dir.path();
        for sub in ["logs", "temp"] {
            std::fs::create_dir_all(root.join(sub))?;
        }
        std::fs::write(root.join("site.conf"), site)?;
        let conf = format!(
            "user root;\nworker_processes 1;\npid {root}/nginx.pid;\nerror_log {root}/logs/error.log info;\n\
             events {{ worker_connections 2048; }}\n\
             http {{\n  access_log {root}/logs/access.log;\n  client_body_temp_path {root}/temp/body;\n\
               proxy_temp_path {root}/temp/proxy;\n  fastcgi_temp_path {root}/temp/fastcgi;\n\
               uwsgi_temp_path {root}/temp/uwsgi;\n  scgi_temp_path {root}/temp/scgi;\n\
               include {root}/site.conf;\n}}\n",
            root = root.display()
        );
        std::fs::write(root.join("nginx.conf"), conf)?;
        let log = root.join("logs/error.log");
        let mut process = ProcessGroup::spawn(
            Command::new("nginx")
                .arg("-p")
                .arg(root)
                .arg("-c")
                .arg(root.join("nginx.conf"))
                .args(["-g", "daemon off;"])
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(root.join("logs/stderr.log"))?),
        )?;
        process.wait_for_port("nginx", port, &log)?;
        Ok(Nginx {
            port,
            _dir: dir,
            _process: process,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    pub fn tunnel_url(&self) -> String {
        format!("wss://127.0.0.1:{}/tunnel", self.port)
    }
}

/// Caddy with `deploy/caddy/Caddyfile` in front of one instance.
pub struct Caddy {
    pub port: u16,
    _dir: tempfile::TempDir,
    _process: ProcessGroup,
}

impl Caddy {
    pub fn start(instance: SocketAddr, pki: &TestPki) -> anyhow::Result<Caddy> {
        let shipped = std::fs::read_to_string(repo_root().join("deploy/caddy/Caddyfile"))?;
        let port = free_port();
        let dir = tempfile::Builder::new()
            .prefix("postern-caddy-")
            .tempdir()?;
        // The test certificate instead of ACME, on a free port; no admin endpoint.
        let site = shipped
            .replace(
                "mail.example.org {",
                &format!(
                    "{{\n\tadmin off\n\tstorage file_system {}\n}}\n\nhttps://127.0.0.1:{port} {{\n\ttls {} {}",
                    dir.path().display(),
                    pki.cert_file.display(),
                    pki.key_file.display()
                ),
            )
            .replace("reverse_proxy 127.0.0.1:8080", &format!("reverse_proxy {instance}"));
        let caddyfile: PathBuf = dir.path().join("Caddyfile");
        std::fs::write(&caddyfile, site)?;
        let log = dir.path().join("caddy.log");
        let mut process = ProcessGroup::spawn(
            Command::new("caddy")
                .args(["run", "--adapter", "caddyfile", "--config"])
                .arg(&caddyfile)
                .env("HOME", dir.path())
                .env("XDG_DATA_HOME", dir.path())
                .env("XDG_CONFIG_HOME", dir.path())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log)?),
        )?;
        process.wait_for_port("caddy", port, Path::new(&log))?;
        Ok(Caddy {
            port,
            _dir: dir,
            _process: process,
        })
    }

    pub fn tunnel_url(&self) -> String {
        format!("wss://127.0.0.1:{}/tunnel", self.port)
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }
}

/// The base64 SHA-256 of the certificate's public key, as Chromium's
/// `--ignore-certificate-errors-spki-list` wants it: the test certificate is then
/// trusted by that browser, and no other.
pub fn spki_hash(certificate: &Path) -> anyhow::Result<String> {
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl x509 -pubkey -noout -in '{}' | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64",
            certificate.display()
        ))
        .output()?;
    anyhow::ensure!(output.status.success(), "openssl failed");
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}
