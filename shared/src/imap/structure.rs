//! A message's MIME structure (from BODYSTRUCTURE) and what to fetch to show it.
//!
//! Opening a message should move only what is displayed: [`display_plan`] picks the
//! text and HTML bodies and the images the HTML refers to inline, and lists the rest
//! as attachments to fetch only on request.

use imap_next::imap_types::body::{BodyStructure, SpecificFields};
use imap_next::imap_types::core::{IString, NString};

/// One part of a message, with its IMAP part number (`[1, 2]` is part 1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyPart {
    pub section: Vec<u32>,
    /// `text/plain`, `multipart/alternative`, `image/png`... lower-case.
    pub mime_type: String,
    pub charset: Option<String>,
    /// `base64`, `quoted-printable`, `7bit`... lower-case.
    pub encoding: String,
    /// Encoded size in bytes, as the server reports it.
    pub size: u32,
    /// From the Content-Disposition or Content-Type `name`.
    pub filename: Option<String>,
    /// The Content-ID without angle brackets, for `cid:` references.
    pub content_id: Option<String>,
    /// `inline`, `attachment`, or `None` when the sender gave none.
    pub disposition: Option<String>,
    pub children: Vec<BodyPart>,
}

impl BodyPart {
    pub(crate) fn from_structure(structure: &BodyStructure<'_>) -> BodyPart {
        convert(structure, Vec::new())
    }

    pub fn is_multipart(&self) -> bool {
        self.mime_type.starts_with("multipart/")
    }

    fn leaves(&self) -> Vec<&BodyPart> {
        if self.children.is_empty() {
            vec![self]
        } else {
            self.children.iter().flat_map(BodyPart::leaves).collect()
        }
    }
}

/// What to fetch to show a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisplayPlan {
    pub text: Option<BodyPart>,
    pub html: Option<BodyPart>,
    /// Images shown inside the HTML (`cid:` references), fetched with it.
    pub inline_images: Vec<BodyPart>,
    /// Everything else a reader may download.
    pub attachments: Vec<BodyPart>,
}

/// Picks the displayable parts: in a `multipart/alternative` the richest of text and
/// HTML is kept along with the plain text; images with a Content-ID inside a
/// `multipart/related` are inline; everything else is an attachment.
pub fn display_plan(root: &BodyPart) -> DisplayPlan {
    let mut plan = DisplayPlan::default();
    collect(root, &mut plan);
    plan
}

fn collect(part: &BodyPart, plan: &mut DisplayPlan) {
    let attachment = part.disposition.as_deref() == Some("attachment");
    match part.mime_type.as_str() {
        "multipart/related" => {
            // The first part is the body; the others are resources it refers to.
            let mut children = part.children.iter();
            if let Some(body) = children.next() {
                collect(body, plan);
            }
            for resource in children {
                for leaf in resource.leaves() {
                    if leaf.mime_type.starts_with("image/") && leaf.content_id.is_some() {
                        plan.inline_images.push(leaf.clone());
                    } else {
                        plan.attachments.push(leaf.clone());
                    }
                }
            }
        }
        mime if mime.starts_with("multipart/") => {
            for child in &part.children {
                collect(child, plan);
            }
        }
        "text/plain" if !attachment && plan.text.is_none() => plan.text = Some(part.clone()),
        "text/html" if !attachment && plan.html.is_none() => plan.html = Some(part.clone()),
        _ => plan.attachments.push(part.clone()),
    }
}

fn lower(value: &IString<'_>) -> String {
    String::from_utf8_lossy(value.as_ref()).to_ascii_lowercase()
}

fn text(value: &NString<'_>) -> Option<String> {
    value
        .0
        .as_ref()
        .map(|s| String::from_utf8_lossy(s.as_ref()).into_owned())
}

/// A Content-Type or Content-Disposition parameter, in any of its forms: plain
/// (`name="x"`, RFC 2047 encoded words accepted as many senders use them), extended
/// (`name*=utf-8''tabelle-%C3%BC.csv`) or continued (`name*0*=...; name*1*=...`), the
/// extended forms as RFC 2231 defines them. Dovecot and Cyrus pass these through
/// unchanged in BODYSTRUCTURE.
fn parameter(parameters: &[(IString<'_>, IString<'_>)], name: &str) -> Option<String> {
    let value = |key: &str| {
        parameters
            .iter()
            .find(|(k, _)| lower(k) == key)
            .map(|(_, v)| v.as_ref())
    };
    if let Some(extended) = value(&format!("{name}*")) {
        return Some(rfc2231_value(&[(extended, true)]));
    }
    let mut pieces = Vec::new();
    for index in 0.. {
        if let Some(piece) = value(&format!("{name}*{index}*")) {
            pieces.push((piece, true));
        } else if let Some(piece) = value(&format!("{name}*{index}")) {
            pieces.push((piece, false));
        } else {
            break;
        }
    }
    if !pieces.is_empty() {
        return Some(rfc2231_value(&pieces));
    }
    value(name).map(crate::reader::text::encoded_words)
}

/// Joins RFC 2231 pieces (bytes, and whether the piece is percent-encoded) and
/// decodes them with the charset the first encoded piece names (`utf-8'de'...`).
fn rfc2231_value(pieces: &[(&[u8], bool)]) -> String {
    let mut charset = None;
    let mut bytes = Vec::new();
    for (index, (piece, encoded)) in pieces.iter().enumerate() {
        if !encoded {
            bytes.extend_from_slice(piece);
            continue;
        }
        let mut piece: &[u8] = piece;
        if index == 0 {
            // charset'language'value; either may be empty.
            let mut fields = piece.splitn(3, |&b| b == b'\'');
            if let (Some(set), Some(_language), Some(rest)) =
                (fields.next(), fields.next(), fields.next())
            {
                charset = Some(String::from_utf8_lossy(set).into_owned());
                piece = rest;
            }
        }
        bytes.extend(percent_decoded(piece));
    }
    let charset = charset.filter(|c| !c.is_empty());
    crate::reader::text::decode(&bytes, charset.as_deref().or(Some("utf-8")))
}

/// `%C3%BC` becomes the bytes C3 BC; a `%` not followed by two hex digits stays.
pub(crate) fn percent_decoded(text: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'%'
            && let (Some(high), Some(low)) = (
                text.get(i + 1).copied().and_then(hex),
                text.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(high << 4 | low);
            i += 3;
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    out
}

fn convert(structure: &BodyStructure<'_>, section: Vec<u32>) -> BodyPart {
    match structure {
        BodyStructure::Multi {
            bodies, subtype, ..
        } => BodyPart {
            section: section.clone(),
            mime_type: format!("multipart/{}", lower(subtype)),
            charset: None,
            encoding: String::new(),
            size: 0,
            filename: None,
            content_id: None,
            disposition: None,
            children: bodies
                .as_ref()
                .iter()
                .enumerate()
                .map(|(i, body)| {
                    let mut child = section.clone();
                    child.push(i as u32 + 1);
                    convert(body, child)
                })
                .collect(),
        },
        BodyStructure::Single {
            body,
            extension_data,
        } => {
            let mime_type = match &body.specific {
                SpecificFields::Basic { r#type, subtype } => {
                    format!("{}/{}", lower(r#type), lower(subtype))
                }
                SpecificFields::Text { subtype, .. } => format!("text/{}", lower(subtype)),
                SpecificFields::Message { .. } => "message/rfc822".to_owned(),
            };
            let disposition = extension_data
                .as_ref()
                .and_then(|e| e.tail.as_ref())
                .and_then(|d| d.disposition.as_ref());
            let filename = disposition
                .and_then(|(_, parameters)| parameter(parameters, "filename"))
                .or_else(|| parameter(&body.basic.parameter_list, "name"));
            BodyPart {
                // A single-part message's body is part 1 (RFC 3501 §6.4.5).
                section: if section.is_empty() { vec![1] } else { section },
                mime_type,
                charset: parameter(&body.basic.parameter_list, "charset"),
                encoding: lower(&body.basic.content_transfer_encoding),
                size: body.basic.size,
                filename,
                content_id: text(&body.basic.id).map(|id| {
                    id.trim()
                        .trim_start_matches('<')
                        .trim_end_matches('>')
                        .to_owned()
                }),
                disposition: disposition.map(|(kind, _)| lower(kind)),
                children: Vec::new(),
            }
        }
    }
}
