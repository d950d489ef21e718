//! Tunnel overhead, measured against the same Dovecot in the same run:
//! - bulk FETCH throughput, one stream and 16 at once, tunnel vs direct TCP;
//! - NOOP round trips (p50, p99), tunnel vs direct TCP;
//! - the server's resident memory with 1,000 idle tunnels.
//!
//! Run: `cargo bench -p postern-tests --bench tunnel` (after `cargo build --release -p
//! postern-server`; the bench uses the server of its own profile). Figures are ratios,
//! because absolute numbers on shared machines are noise.

use std::time::{Duration, Instant};

use postern_shared::tunnel::Protocol;
use postern_tests::client::Tunnel;
use postern_tests::corpus;
use postern_tests::dovecot::Dovecot;
use postern_tests::server::{PosternServer, ServerConfig, upstream};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const MESSAGES: usize = 12;
const MESSAGE_SIZE: usize = 4_500_000;
const NOOPS: usize = 2_000;
const CONCURRENT: usize = 16;
const IDLE_TUNNELS: usize = 1_000;

/// The byte-stream operations an IMAP exchange needs, over either path.
trait ImapStream {
    async fn send(&mut self, bytes: &[u8]);
    async fn line(&mut self) -> String;
    async fn skip(&mut self, n: usize);
}

impl ImapStream for Tunnel {
    async fn send(&mut self, bytes: &[u8]) {
        Tunnel::send(self, bytes).await.unwrap();
    }
    async fn line(&mut self) -> String {
        self.read_line().await.unwrap()
    }
    async fn skip(&mut self, n: usize) {
        self.read_exact(n).await.unwrap();
    }
}

struct Direct(BufReader<TcpStream>);

impl ImapStream for Direct {
    async fn send(&mut self, bytes: &[u8]) {
        self.0.get_mut().write_all(bytes).await.unwrap();
    }
    async fn line(&mut self) -> String {
        let mut line = String::new();
        self.0.read_line(&mut line).await.unwrap();
        line.truncate(line.trim_end_matches("\r\n").len());
        line
    }
    async fn skip(&mut self, mut n: usize) {
        let mut buffer = vec![0u8; 64 * 1024];
        while n > 0 {
            let want = n.min(buffer.len());
            self.0.read_exact(&mut buffer[..want]).await.unwrap();
            n -= want;
        }
    }
}

async fn command(stream: &mut impl ImapStream, tag: &str, text: &str) {
    stream.send(format!("{tag} {text}\r\n").as_bytes()).await;
    loop {
        let line = stream.line().await;
        if line.starts_with(tag) {
            assert!(line.starts_with(&format!("{tag} OK")), "{line}");
            return;
        }
    }
}

async fn ready(stream: &mut impl ImapStream) {
    stream.line().await; // greeting
    command(stream, "l", "LOGIN alice alice-secret").await;
    command(stream, "s", "EXAMINE INBOX").await;
}

/// Fetches every message body; returns the literal bytes received.
async fn fetch_all(stream: &mut impl ImapStream) -> usize {
    stream.send(b"f UID FETCH 1:* (BODY.PEEK[])\r\n").await;
    let mut total = 0;
    loop {
        let line = stream.line().await;
        if line.starts_with("f ") {
            assert!(line.starts_with("f OK"), "{line}");
            return total;
        }
        if let Some(size) = line
            .strip_suffix('}')
            .and_then(|l| l.rsplit_once('{'))
            .and_then(|(_, n)| n.parse::<usize>().ok())
        {
            stream.skip(size).await;
            total += size;
        }
    }
}

async fn direct(dovecot: &Dovecot) -> Direct {
    let tcp = TcpStream::connect(("127.0.0.1", dovecot.ports.imap))
        .await
        .unwrap();
    tcp.set_nodelay(true).unwrap();
    let mut stream = Direct(BufReader::with_capacity(64 * 1024, tcp));
    ready(&mut stream).await;
    stream
}

async fn tunnel(server: &PosternServer) -> Tunnel {
    let mut stream = Tunnel::open(&server.tunnel_url(), upstream::PLAIN, Protocol::Imap)
        .await
        .unwrap();
    ready(&mut stream).await;
    stream
}

fn mb_per_s(bytes: usize, elapsed: Duration) -> f64 {
    bytes as f64 / 1e6 / elapsed.as_secs_f64()
}

async fn throughput<S: ImapStream>(streams: Vec<S>) -> f64 {
    let started = Instant::now();
    let tasks: Vec<_> = streams
        .into_iter()
        .map(|mut s| async move { fetch_all(&mut s).await })
        .collect();
    let bytes: usize = futures_util::future::join_all(tasks)
        .await
        .into_iter()
        .sum();
    mb_per_s(bytes, started.elapsed())
}

async fn noop_latencies(stream: &mut impl ImapStream) -> (Duration, Duration) {
    let mut samples = Vec::with_capacity(NOOPS);
    for _ in 0..NOOPS {
        let started = Instant::now();
        command(stream, "n", "NOOP").await;
        samples.push(started.elapsed());
    }
    samples.sort();
    (samples[NOOPS / 2], samples[NOOPS * 99 / 100])
}

fn raise_fd_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((_, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
}

#[tokio::main]
async fn main() {
    raise_fd_limit();
    let dovecot = Dovecot::start().unwrap();
    let messages: Vec<_> = (0..MESSAGES)
        .map(|n| corpus::bulk(n, MESSAGE_SIZE))
        .collect();
    dovecot.seed("alice", "INBOX", &messages).unwrap();
    let server = PosternServer::start(
        &ServerConfig::for_dovecot(&dovecot)
            .limit("max_tunnels", IDLE_TUNNELS + 100)
            .limit("max_tunnels_per_ip", IDLE_TUNNELS + 100),
    )
    .unwrap();
    println!(
        "postern tunnel benchmark: {MESSAGES} × {MESSAGE_SIZE} B messages, same Dovecot, same run"
    );

    // Warm Dovecot's caches so the first measured path is not penalised.
    fetch_all(&mut direct(&dovecot).await).await;

    let direct_one = throughput(vec![direct(&dovecot).await]).await;
    let tunnel_one = throughput(vec![tunnel(&server).await]).await;
    println!(
        "bulk FETCH, 1 stream:   direct {direct_one:8.1} MB/s   tunnel {tunnel_one:8.1} MB/s   tunnel/direct {:.2}",
        tunnel_one / direct_one
    );

    let mut directs = Vec::new();
    let mut tunnels = Vec::new();
    for _ in 0..CONCURRENT {
        directs.push(direct(&dovecot).await);
        tunnels.push(tunnel(&server).await);
    }
    let direct_many = throughput(directs).await;
    let tunnel_many = throughput(tunnels).await;
    println!(
        "bulk FETCH, {CONCURRENT} streams: direct {direct_many:8.1} MB/s   tunnel {tunnel_many:8.1} MB/s   tunnel/direct {:.2}",
        tunnel_many / direct_many
    );

    let (direct_p50, direct_p99) = noop_latencies(&mut direct(&dovecot).await).await;
    let (tunnel_p50, tunnel_p99) = noop_latencies(&mut tunnel(&server).await).await;
    println!(
        "NOOP round trip p50:    direct {:8.1} µs   tunnel {:8.1} µs   tunnel/direct {:.2}",
        direct_p50.as_secs_f64() * 1e6,
        tunnel_p50.as_secs_f64() * 1e6,
        tunnel_p50.as_secs_f64() / direct_p50.as_secs_f64()
    );
    println!(
        "NOOP round trip p99:    direct {:8.1} µs   tunnel {:8.1} µs   tunnel/direct {:.2}",
        direct_p99.as_secs_f64() * 1e6,
        tunnel_p99.as_secs_f64() * 1e6,
        tunnel_p99.as_secs_f64() / direct_p99.as_secs_f64()
    );

    let before = server.rss_bytes();
    let mut idle = Vec::with_capacity(IDLE_TUNNELS);
    for _ in 0..IDLE_TUNNELS {
        let mut tunnel = Tunnel::open(&server.tunnel_url(), upstream::PLAIN, Protocol::Imap)
            .await
            .unwrap();
        tunnel.read_line().await.unwrap();
        idle.push(tunnel);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = server.rss_bytes();
    println!(
        "server RSS: {:.1} MiB before, {:.1} MiB with {IDLE_TUNNELS} idle tunnels ({:.1} KiB per tunnel)",
        before as f64 / 1048576.0,
        after as f64 / 1048576.0,
        after.saturating_sub(before) as f64 / 1024.0 / IDLE_TUNNELS as f64
    );
}
