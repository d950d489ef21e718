//! Any body text through the link finder and the piece cutter that the reader
//! draws it with: what comes out is the text, whole and in order; a link is only ever
//! an `http(s)://` address without spaces, quotes or angle brackets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postern_shared::reader::text::{Segment, links, pieces};

fuzz_target!(|input: &[u8]| {
    let Some((&size, bytes)) = input.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(bytes);
    let mut rebuilt = String::new();
    for segment in links(&text) {
        match segment {
            Segment::Text(run) => rebuilt.push_str(run),
            Segment::Link(url) => {
                let lower = url.to_ascii_lowercase();
                assert!(lower.starts_with("http://") || lower.starts_with("https://"));
                assert!(!url.chars().any(|c| c.is_whitespace() || "<>\"".contains(c)));
                rebuilt.push_str(url);
            }
        }
    }
    assert_eq!(rebuilt, text);
    let cut = pieces(&text, usize::from(size) + 1);
    assert_eq!(cut.concat(), text);
    assert!(cut.iter().all(|p| !p.is_empty()));
});
