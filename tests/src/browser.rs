//! Headless Chromium driven over WebDriver (Debian's chromium and chromium-driver; no
//! tool here downloads a browser).

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::free_port;

/// The flags a root, network-less, headless run needs (see DEVELOPERS.md).
pub const CHROMIUM_ARGS: [&str; 9] = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
];

/// A chromedriver process and a browser session on it; both end on drop.
pub struct Browser {
    pub client: Client,
    driver: Child,
    /// Where to end the WebDriver session from `Drop` (which cannot await).
    session_url: Option<String>,
}

impl Browser {
    /// Starts chromedriver on a free port (retrying if another process takes the
    /// port first) and opens a headless Chromium session that saves downloads to
    /// `downloads`.
    pub async fn start(downloads: &std::path::Path) -> anyhow::Result<Browser> {
        Browser::start_with(downloads, &[]).await
    }

    /// Like [`Browser::start`], with further Chromium flags (e.g. a dark color scheme).
    pub async fn start_with(
        downloads: &std::path::Path,
        extra_args: &[&str],
    ) -> anyhow::Result<Browser> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Browser::start_once(downloads, extra_args).await {
                Err(e) if attempt < 3 => eprintln!("retrying chromedriver: {e}"),
                result => return result,
            }
        }
    }

    async fn start_once(
        downloads: &std::path::Path,
        extra_args: &[&str],
    ) -> anyhow::Result<Browser> {
        let port = free_port();
        let mut driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            // Its own process group, so dropping the browser ends chromedriver *and*
            // every Chromium process it started, even if the test never closed the
            // session (a failed assertion, a panic).
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                anyhow::anyhow!("cannot start chromedriver (apt install chromium-driver): {e}")
            })?;
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline || driver.try_wait()?.is_some() {
                let _ = driver.kill();
                anyhow::bail!("chromedriver did not listen on {port}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Someone else may have taken the port first: make sure ours is listening.
        if driver.try_wait()?.is_some() {
            anyhow::bail!("chromedriver exited (port {port} taken?)");
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": CHROMIUM_ARGS.iter().chain(extra_args).collect::<Vec<_>>(),
                "prefs": {
                    "download.default_directory": downloads,
                    "download.prompt_for_download": false,
                },
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await;
        match client {
            Ok(client) => {
                let session_url = client
                    .session_id()
                    .await
                    .ok()
                    .flatten()
                    .map(|id| format!("http://127.0.0.1:{port}/session/{id}"));
                Ok(Browser {
                    client,
                    driver,
                    session_url,
                })
            }
            Err(e) => {
                let _ = driver.kill();
                Err(e.into())
            }
        }
    }

    /// Polls `check` until it yields a value or `limit` passes.
    pub async fn wait_for<T, F, Fut>(&self, limit: Duration, mut check: F) -> anyhow::Result<T>
    where
        F: FnMut(Client) -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(value) = check(self.client.clone()).await {
                return Ok(value);
            }
            if Instant::now() > deadline {
                anyhow::bail!("the page did not get there within {limit:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Chooses the option with `value` in the `<select>` at `css`.
    pub async fn select(&self, css: &str, value: &str) -> anyhow::Result<()> {
        self.client
            .find(Locator::Css(css))
            .await?
            .select_by_value(value)
            .await?;
        Ok(())
    }

    /// Types `text` into the field at `css`.
    pub async fn type_into(&self, css: &str, text: &str) -> anyhow::Result<()> {
        self.client
            .find(Locator::Css(css))
            .await?
            .send_keys(text)
            .await?;
        Ok(())
    }

    /// The text of the element at `css`, if it is there.
    pub async fn text(&self, css: &str) -> Option<String> {
        self.client
            .find(Locator::Css(css))
            .await
            .ok()?
            .text()
            .await
            .ok()
    }

    /// Waits until the element at `css` exists and its text contains `wanted`.
    pub async fn wait_text(&self, css: &str, wanted: &str) -> anyhow::Result<String> {
        let (owned_css, owned_wanted) = (css.to_owned(), wanted.to_owned());
        self.wait_for(std::time::Duration::from_secs(20), move |c| {
            let css = owned_css.clone();
            let wanted = owned_wanted.clone();
            async move {
                let text = c.find(Locator::Css(&css)).await.ok()?.text().await.ok()?;
                text.contains(&wanted).then_some(text)
            }
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}: no {wanted:?} in {css}"))
    }

    /// Saves a screenshot under `tests/screenshots/`.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<()> {
        let dir = crate::repo_root().join("tests/screenshots");
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(name), self.client.screenshot().await?)?;
        Ok(())
    }

    /// Clicks the element at `css`. The page re-renders lists live, so an element
    /// found a moment ago may be replaced before the click lands: find it again.
    /// Fills the sign-in form and submits it.
    pub async fn sign_in(&self, upstream: &str, protocol: &str, user: &str, password: &str) {
        self.select("#upstream", upstream).await.unwrap();
        self.select("#protocol", protocol).await.unwrap();
        for (field, value) in [("#user", user), ("#password", password)] {
            let input = self.client.find(Locator::Css(field)).await.unwrap();
            input.clear().await.unwrap();
            input.send_keys(value).await.unwrap();
        }
        self.click("#connect").await.unwrap();
    }

    /// Replaces the text of each field (`css`, text).
    pub async fn fill(&self, fields: &[(&str, &str)]) {
        for (css, text) in fields {
            let field = self.client.find(Locator::Css(css)).await.unwrap();
            field.clear().await.unwrap();
            field.send_keys(text).await.unwrap();
        }
    }

    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = async { self.client.find(Locator::Css(css)).await?.click().await }.await;
            match result {
                Err(e) if attempt < 5 && e.to_string().contains("stale element") => {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                result => return result.map_err(Into::into),
            }
        }
    }

    /// Ends the browser session cleanly; the driver goes with `drop`.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session makes chromedriver quit Chromium, which runs in process
        // groups of its own; without it, every failed test would leave a browser behind.
        if let Some(url) = &self.session_url {
            let _ = ureq::delete(url).call();
        }
        let group = nix::unistd::Pid::from_raw(-(self.driver.id() as i32));
        let _ = nix::sys::signal::kill(group, nix::sys::signal::Signal::SIGKILL);
        let _ = self.driver.wait();
    }
}
