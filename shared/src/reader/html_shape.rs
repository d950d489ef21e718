//! A linear look at an HTML document before it is parsed into a tree.
//!
//! html5ever's tree builder searches the stack of open elements for many tags, so
//! its time grows with the square of how deep elements nest (100,000 nested `<div>`
//! took 32 s in the browser). [`nesting`] measures the depth with the tokenizer
//! alone, which is linear; a document nested past [`MAX_NESTING`] is not given to
//! the tree builder but shown as [`plain_text`], also made by the tokenizer alone.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer,
};

/// How deep elements may nest in a message shown as HTML. Real mail stays far
/// below (a forward of a forward of a newsletter reaches a few dozen); at this depth
/// the tree builder still takes milliseconds.
pub const MAX_NESTING: usize = 400;

/// Elements without content: they never stay open.
const VOID: [&str; 14] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// Elements that a start tag of the same kind closes (`<p>` ends an open `<p>`),
/// so sloppy mail that never closes them does not count as deep.
const SELF_ENDING: [&str; 9] = ["p", "li", "dt", "dd", "tr", "td", "th", "option", "a"];

/// Elements whose content is text for the tokenizer, not markup.
fn raw_kind(name: &str) -> Option<RawKind> {
    match name {
        "style" | "xmp" | "iframe" | "noembed" | "noframes" => Some(RawKind::Rawtext),
        "script" => Some(RawKind::ScriptData),
        "title" | "textarea" => Some(RawKind::Rcdata),
        _ => None,
    }
}

/// Elements after which text starts on a new line when shown as plain text.
fn breaks_line(name: &str) -> bool {
    matches!(
        name,
        "br" | "p"
            | "div"
            | "tr"
            | "li"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "table"
            | "blockquote"
            | "pre"
            | "hr"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
    )
}

/// What one tokenizer pass learns: an estimate of the deepest nesting (open
/// elements, with end tags matched by name and the implied ends above), and the
/// document's text.
#[derive(Default)]
struct Walk {
    open: RefCell<Vec<String>>,
    /// How many of each name are in `open`, so an end tag without a matching start
    /// costs nothing.
    open_count: RefCell<HashMap<String, usize>>,
    deepest: Cell<usize>,
    /// Inside `<style>`, `<script>`, `<title>`...: text that is not shown.
    in_hidden: Cell<bool>,
    text: RefCell<String>,
    keep_text: bool,
}

impl Walk {
    fn close(&self, name: &str) {
        let mut count = self.open_count.borrow_mut();
        if count.get(name).copied().unwrap_or(0) == 0 {
            return;
        }
        let mut open = self.open.borrow_mut();
        while let Some(top) = open.pop() {
            if let Some(n) = count.get_mut(&top) {
                *n -= 1;
            }
            if top == name {
                break;
            }
        }
    }

    fn tag(&self, tag: Tag) -> TokenSinkResult<()> {
        let name = tag.name.to_string();
        if self.keep_text && breaks_line(&name) {
            let mut text = self.text.borrow_mut();
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
        }
        match tag.kind {
            TagKind::EndTag => {
                self.in_hidden.set(false);
                self.close(&name);
                TokenSinkResult::Continue
            }
            TagKind::StartTag => {
                if let Some(kind) = raw_kind(&name) {
                    self.in_hidden.set(!tag.self_closing);
                    return if tag.self_closing {
                        TokenSinkResult::Continue
                    } else {
                        TokenSinkResult::RawData(kind)
                    };
                }
                if name == "plaintext" {
                    return TokenSinkResult::Plaintext;
                }
                if VOID.contains(&name.as_str()) || tag.self_closing {
                    return TokenSinkResult::Continue;
                }
                if SELF_ENDING.contains(&name.as_str()) {
                    self.close(&name);
                }
                let mut open = self.open.borrow_mut();
                open.push(name.clone());
                *self.open_count.borrow_mut().entry(name).or_default() += 1;
                self.deepest.set(self.deepest.get().max(open.len()));
                TokenSinkResult::Continue
            }
        }
    }

    fn characters(&self, run: &StrTendril) {
        if !self.keep_text || self.in_hidden.get() {
            return;
        }
        let mut text = self.text.borrow_mut();
        // Whitespace runs read as one space, as a browser shows them.
        for c in run.chars() {
            if c.is_ascii_whitespace() {
                if !(text.is_empty() || text.ends_with([' ', '\n'])) {
                    text.push(' ');
                }
            } else {
                text.push(c);
            }
        }
    }
}

impl TokenSink for Walk {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        match token {
            Token::TagToken(tag) => self.tag(tag),
            Token::CharacterTokens(run) => {
                self.characters(&run);
                TokenSinkResult::Continue
            }
            _ => TokenSinkResult::Continue,
        }
    }
}

fn walk(html: &str, keep_text: bool) -> Walk {
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let tokenizer = Tokenizer::new(
        Walk {
            keep_text,
            ..Walk::default()
        },
        Default::default(),
    );
    // Only `<script>` pauses the tokenizer; its content is not run, so go on.
    while !input.is_empty() {
        let _ = tokenizer.feed(&input);
    }
    tokenizer.end();
    tokenizer.sink
}

/// About how deep elements nest in `html`, in time linear in its length.
pub fn nesting(html: &str) -> usize {
    walk(html, false).deepest.get()
}

/// The text of `html` without its markup: entities decoded, whitespace collapsed,
/// a line break where a block begins or ends; the content of `<style>`, `<script>`
/// and `<title>` left out. Linear in the length of `html`.
pub fn plain_text(html: &str) -> String {
    walk(html, true).text.into_inner().trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_counts_what_stays_open() {
        assert_eq!(nesting("<p>a</p><p>b</p>"), 1);
        assert_eq!(nesting("<div><div><span>x</span></div></div>"), 3);
        // Unclosed paragraphs and list items end each other, as in a browser.
        assert_eq!(nesting(&"<p>para".repeat(10_000)), 1);
        assert_eq!(nesting(&"<ul><li>a<li>b<li>c</ul>".repeat(1_000)), 2);
        assert_eq!(nesting(&"<br><img src=x>".repeat(1_000)), 0);
        // Stray end tags close nothing.
        assert_eq!(nesting(&"</div>".repeat(1_000)), 0);
        // Markup inside <style> or <script> is not markup.
        assert_eq!(nesting("<style>div { } <div><div></style><b>x</b>"), 1);
        assert_eq!(nesting(&"<div>".repeat(100_000)), 100_000);
    }

    #[test]
    fn plain_text_keeps_the_words_and_the_lines() {
        assert_eq!(
            plain_text(
                "<html><head><title>T</title><style>p{color:red}</style></head>\
                 <body><p>Hello&nbsp;<b>friend</b>,</p><p>see   you\n soon</p>\
                 <script>alert(1)</script>Bye &amp; thanks</body></html>"
            ),
            "Hello\u{a0}friend,\nsee you soon\nBye & thanks"
        );
        let deep = format!(
            "{}deep text{}",
            "<div>".repeat(50_000),
            "</div>".repeat(50_000)
        );
        assert_eq!(plain_text(&deep), "deep text");
    }
}
