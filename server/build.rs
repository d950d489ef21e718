//! Puts the page into the executable: `index.html`, `web/pkg` and `web/static` as
//! they are when the server is built (run `scripts/build-web.sh` first), each file
//! with gzip and brotli copies made here, so the server compresses nothing at run
//! time and one file is all a deployment needs. Without a built page the table is
//! empty and the server serves from disk (`server.assets`).
//!
//! Also records the commit the server is built from, for `--version`.

use std::collections::hash_map::DefaultHasher;
use std::fmt::Write as _;
use std::hash::Hasher;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Files of the bundle directory that are not served.
fn skipped(name: &str) -> bool {
    name.ends_with(".d.ts")
        || name == "package.json"
        || name == ".gitignore"
        || name.ends_with(".md")
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" | "webmanifest" => "application/json",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn files(dir: &Path, url: &str, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if path.is_dir() {
            files(&path, &format!("{url}/{name}"), out);
        } else if !skipped(&name) {
            out.push((format!("{url}/{name}"), path));
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest.parent().unwrap().to_owned();
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let release = std::env::var("PROFILE").as_deref() == Ok("release");

    for watched in [
        "index.html",
        "web/pkg",
        "web/static",
        ".git/HEAD",
        ".git/refs/heads",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }

    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(&root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=POSTERN_COMMIT={commit}");

    let mut list = Vec::new();
    if root.join("web/pkg/postern_web_bg.wasm").exists() {
        list.push(("/".to_owned(), root.join("index.html")));
        files(&root.join("web/pkg"), "/pkg", &mut list);
        files(&root.join("web/static"), "/static", &mut list);
    } else {
        println!(
            "cargo:warning=web/pkg is not built: this postern-server carries no page (run scripts/build-web.sh, then build again)"
        );
    }

    let mut table = String::from("pub static ASSETS: &[Asset] = &[\n");
    for (index, (url, path)) in list.iter().enumerate() {
        let bytes = std::fs::read(path).unwrap();
        let mut hasher = DefaultHasher::new();
        hasher.write(&bytes);
        let etag = format!("\\\"{:016x}\\\"", hasher.finish());
        let gzip = {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            encoder.write_all(&bytes).unwrap();
            encoder.finish().unwrap()
        };
        let brotli = {
            // The highest quality for a release build; a debug build keeps its
            // compile time.
            let quality = if release { 11 } else { 4 };
            let mut out = Vec::new();
            let mut encoder = brotli::CompressorWriter::new(&mut out, 1 << 16, quality, 22);
            encoder.write_all(&bytes).unwrap();
            drop(encoder);
            out
        };
        for (suffix, data) in [("raw", &bytes), ("gz", &gzip), ("br", &brotli)] {
            std::fs::write(out_dir.join(format!("asset-{index}.{suffix}")), data).unwrap();
        }
        let _ = writeln!(
            table,
            "    Asset {{ path: {url:?}, content_type: {:?}, etag: \"{etag}\", identity: include_bytes!(concat!(env!(\"OUT_DIR\"), \"/asset-{index}.raw\")), gzip: include_bytes!(concat!(env!(\"OUT_DIR\"), \"/asset-{index}.gz\")), brotli: include_bytes!(concat!(env!(\"OUT_DIR\"), \"/asset-{index}.br\")) }},",
            content_type(path)
        );
    }
    table.push_str("];\n");
    std::fs::write(out_dir.join("assets.rs"), table).unwrap();
}
