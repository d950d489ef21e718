//! Any HTML with any inline images (Content-ID and MIME type from the message): the
//! sanitized document holds only allowed elements and attributes, and every image
//! source is a raster `data:` URL (one of the message's own valid images, or one the
//! document carried), never anything a Content-ID or type smuggled in.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postern_shared::reader::html::{InlineImage, sanitize};

const TAGS: [&str; 53] = [
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "cite", "code", "col",
    "colgroup", "dd", "del", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small",
    "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "tt", "u", "ul", "pre",
];
const ATTRIBUTES: [&str; 20] = [
    "align", "dir", "lang", "title", "style", "href", "target", "rel", "src", "alt", "width",
    "height", "colspan", "rowspan", "valign", "cellpadding", "cellspacing", "color", "size",
    "start",
];

/// The start tags of serialized HTML as `(name, [(attribute, value)])`. The
/// serializer quotes every value with `"` and escapes `<` in text, so a `<` outside
/// quotes starts a tag.
fn start_tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut tags = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        if rest.starts_with('/') {
            continue;
        }
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let name = rest[..name_end].to_owned();
        rest = &rest[name_end..];
        let mut attributes = Vec::new();
        loop {
            rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
            if rest.is_empty() || rest.starts_with('>') {
                break;
            }
            let attribute_end = rest.find(['=', '>', ' ']).unwrap_or(rest.len());
            let attribute = rest[..attribute_end].to_owned();
            rest = &rest[attribute_end..];
            let mut value = String::new();
            if let Some(quoted) = rest.strip_prefix("=\"") {
                let end = quoted.find('"').expect("a closing quote");
                value = quoted[..end].to_owned();
                rest = &quoted[end + 1..];
            }
            attributes.push((attribute, value));
        }
        tags.push((name, attributes));
    }
    tags
}

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    let mut fields = text.split('\u{1}');
    let html = fields.next().unwrap_or_default();
    let rest: Vec<&str> = fields.collect();
    let images: Vec<InlineImage> = rest
        .chunks_exact(2)
        .filter_map(|pair| InlineImage::new(pair[0], pair[1], pair[0].as_bytes()))
        .collect();
    for image in &images {
        assert!(!image.content_id.is_empty());
        assert!(image.data_url.starts_with("data:image/"));
        assert!(!image.data_url.contains(['"', '<', '>', ' ']));
    }
    let safe = sanitize(html, false, &images);
    for (name, attributes) in start_tags(&safe.html) {
        assert!(TAGS.contains(&name.as_str()), "<{name}> in {}", safe.html);
        for (attribute, value) in attributes {
            assert!(ATTRIBUTES.contains(&attribute.as_str()), "{attribute} in {}", safe.html);
            if attribute == "src" {
                let raster = ["data:image/png", "data:image/jpeg", "data:image/gif", "data:image/webp"]
                    .iter()
                    .any(|p| value.starts_with(p));
                assert!(
                    raster || images.iter().any(|i| i.data_url == value),
                    "image source {value:?}"
                );
            }
        }
    }
});
