//! The page and its bundle as built into the executable (`server/build.rs`): each
//! file with gzip and brotli copies made at build time, a strong ETag, and the
//! encoding picked from the request's `Accept-Encoding`.
//!
//! No file name carries a content hash yet, so every answer says `no-cache`: a
//! browser keeps its copy and asks again each visit, and a matching `If-None-Match`
//! costs it a 304 and no body.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// One file of the page.
pub struct Asset {
    /// Its URL path: `/`, `/pkg/postern_web.js`, `/static/postern.css`...
    pub path: &'static str,
    pub content_type: &'static str,
    /// A strong validator: a hash of the uncompressed bytes, quoted.
    pub etag: &'static str,
    pub identity: &'static [u8],
    pub gzip: &'static [u8],
    pub brotli: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// Whether this executable carries the page.
pub fn embedded() -> bool {
    !ASSETS.is_empty()
}

fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// The encodings a client accepts, by `Accept-Encoding` (ignoring any with `q=0`).
fn accepts(headers: &HeaderMap, encoding: &str) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    == Some(0.0)
            });
            name.eq_ignore_ascii_case(encoding) && !refused
        })
}

/// Answers a GET or HEAD for `uri` from the built-in files.
pub async fn serve(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let Some(asset) = find(uri.path()) else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    let mut response = Response::builder()
        .header(header::ETAG, asset.etag)
        .header(header::CACHE_CONTROL, "no-cache")
        .header(header::VARY, "accept-encoding");
    let not_modified = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == asset.etag || tag.trim() == "*");
    if not_modified {
        return response
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .expect("a valid response");
    }
    let (encoding, bytes) = if accepts(&headers, "br") && asset.brotli.len() < asset.identity.len()
    {
        (Some("br"), asset.brotli)
    } else if accepts(&headers, "gzip") && asset.gzip.len() < asset.identity.len() {
        (Some("gzip"), asset.gzip)
    } else {
        (None, asset.identity)
    };
    if let Some(encoding) = encoding {
        response = response.header(header::CONTENT_ENCODING, encoding);
    }
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(bytes)
    };
    response
        .header(header::CONTENT_TYPE, asset.content_type)
        .header(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()))
        .body(body)
        .expect("a valid response")
}
