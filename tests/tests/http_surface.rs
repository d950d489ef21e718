//! What the server serves over plain HTTP: the page, the bundle, the upstream list and
//! metrics, with the security headers, MIME types and compression a browser relies on.

use postern_shared::tunnel::{Protocol, UpstreamListing};
use postern_tests::dovecot::Dovecot;
use postern_tests::repo_root;
use postern_tests::server::{PosternServer, ServerConfig};

fn start() -> (Dovecot, PosternServer) {
    let dovecot = Dovecot::start().unwrap();
    let server = PosternServer::start(&ServerConfig::for_dovecot(&dovecot)).unwrap();
    (dovecot, server)
}

fn agent() -> ureq::Agent {
    // Plain, so the test sees the encoded bytes and headers as the browser gets them.
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

#[test]
fn the_page_carries_the_security_headers() {
    let (_dovecot, server) = start();
    let response = agent().get(&server.http_url("/")).call().unwrap();
    assert_eq!(response.status(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let csp = header("content-security-policy");
    for directive in [
        "default-src 'none'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "CSP lacks {directive}: {csp}");
    }
    // Inline style is allowed for the message frames (docs/message-display.md);
    // inline script never.
    let script_src = csp
        .split(';')
        .find(|d| d.trim().starts_with("script-src"))
        .unwrap_or_default();
    assert!(!script_src.contains("unsafe-inline"), "{csp}");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("referrer-policy"), "no-referrer");
    assert_eq!(header("cache-control"), "no-cache");
    assert!(header("content-type").starts_with("text/html"));
}

#[test]
fn the_page_has_no_inline_script() {
    // The CSP forbids inline script; the page must not need any.
    let page = std::fs::read_to_string(repo_root().join("index.html")).unwrap();
    let inline = page
        .match_indices("<script")
        .any(|(at, _)| !page[at..].split('>').next().unwrap_or("").contains("src="));
    assert!(!inline, "index.html has an inline <script>");
}

#[test]
fn the_bundle_is_served_as_wasm_and_compressed() {
    let wasm = repo_root().join("web/pkg/postern_web_bg.wasm");
    assert!(wasm.exists(), "run scripts/build-web.sh first");
    let (_dovecot, server) = start();
    let url = server.http_url("/pkg/postern_web_bg.wasm");
    for encoding in ["br", "gzip"] {
        let response = agent()
            .get(&url)
            .header("Accept-Encoding", encoding)
            .call()
            .unwrap();
        assert_eq!(response.status(), 200);
        let headers = response.headers();
        assert_eq!(headers.get("content-type").unwrap(), "application/wasm");
        assert_eq!(headers.get("content-encoding").unwrap(), encoding);
    }
    let script = agent()
        .get(&server.http_url("/static/boot.js"))
        .call()
        .unwrap();
    assert!(
        script
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    // The page names its icon, so browsers do not ask for a missing /favicon.ico.
    let page = std::fs::read_to_string(repo_root().join("index.html")).unwrap();
    assert!(page.contains("<link rel=\"icon\" href=\"/static/icon.svg\""));
    let icon = agent()
        .get(&server.http_url("/static/icon.svg"))
        .call()
        .unwrap();
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers().get("content-type").unwrap(), "image/svg+xml");
    // The sanitizer's worker script is served as a script.
    let worker = agent()
        .get(&server.http_url("/static/sanitizer_worker.js"))
        .call()
        .unwrap();
    assert_eq!(worker.status(), 200);
    let missing = agent()
        .get(&server.http_url("/pkg/nothing.js"))
        .call()
        .unwrap();
    assert_eq!(missing.status(), 404);
    // Only the page and the bundle are served, not the files around them.
    let outside = agent()
        .get(&server.http_url("/pkg/../Cargo.toml"))
        .call()
        .unwrap();
    assert_ne!(outside.status(), 200);
}

#[test]
fn the_upstream_list_names_no_host_or_port() {
    let (dovecot, server) = start();
    let text = agent()
        .get(&server.http_url("/api/upstreams"))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    let listing: Vec<UpstreamListing> = serde_json::from_str(&text).unwrap();
    let ids: Vec<&str> = listing.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "plain",
            "starttls",
            "implicit",
            "untrusted",
            "imap-only",
            "down"
        ]
    );
    assert_eq!(listing[4].protocols, vec![Protocol::Imap]);
    for secret in [
        "127.0.0.1".to_owned(),
        "localhost".to_owned(),
        dovecot.ports.imap.to_string(),
        dovecot.ports.imaps.to_string(),
    ] {
        assert!(!text.contains(&secret), "{secret} leaked: {text}");
    }
}

#[test]
fn metrics_are_prometheus_text() {
    let (_dovecot, server) = start();
    let response = agent().get(&server.http_url("/metrics")).call().unwrap();
    assert_eq!(response.status(), 200);
    let text = response.into_body().read_to_string().unwrap();
    for family in [
        "postern_tunnels_open",
        "postern_tunnels",
        "postern_tunnel_bytes",
        "postern_tunnel_refusals",
        "postern_tunnel_closes",
    ] {
        assert!(
            text.contains(&format!("# TYPE {family} ")),
            "{family}: {text}"
        );
    }
    assert!(text.trim_end().ends_with("# EOF"));
}
