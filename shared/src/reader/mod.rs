//! What the reader shows of a message, made safe: body bytes decoded from their
//! charset, and HTML cleaned with an allow-list.
//!
//! - [`text`]: charset decoding (any label the WHATWG Encoding Standard knows);
//! - [`html`]: the HTML allow-list, remote content blocked unless allowed, and the
//!   document a sandboxed frame shows;
//! - [`html_shape`]: how deep a document nests, and its plain text, in linear time
//!   (for documents the tree builder would take minutes on);
//! - [`file_name`]: attachment names with direction overrides made visible;
//! - [`mime`]: whole messages (as POP3 delivers them) parsed with mail-parser into
//!   a list row and the parts the reader shows.

pub mod file_name;
pub mod html;
#[cfg(feature = "sanitizer")]
pub mod html_shape;
pub mod mime;
pub mod text;
