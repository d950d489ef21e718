//! The typed results of IMAP requests, converted from imap-types' wire structures into
//! plain owned values a UI can keep and serialise.

use std::num::NonZeroU32;

use imap_next::imap_types::core::{NString, NString8};
use imap_next::imap_types::envelope::Envelope;
use imap_next::imap_types::extensions::thread::Thread;
use imap_next::imap_types::extensions::uidplus::{UidElement, UidSet as UidPlusSet};
use imap_next::imap_types::fetch::{MessageDataItem, Section};
use imap_next::imap_types::flag::{FlagFetch, FlagNameAttribute, FlagPerm};
use imap_next::imap_types::response::{Code, StatusKind};
use imap_next::imap_types::sequence::{SeqOrUid, Sequence, SequenceSet};

use super::structure::BodyPart;
use crate::summary::{Address, MessageSummary};

/// The result of a completed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to return beyond success (LOGIN, NOOP, LOGOUT, CREATE, IDLE ended...).
    Done,
    Capabilities(Vec<String>),
    /// The server's ID (RFC 2971): field and value pairs.
    ServerId(Vec<(String, Option<String>)>),
    /// Extensions the server enabled (RFC 5161).
    Enabled(Vec<String>),
    /// Personal namespaces (RFC 2342): prefix and hierarchy delimiter.
    Namespaces(Vec<(String, Option<char>)>),
    Mailboxes(Vec<MailboxInfo>),
    Status(MailboxStatus),
    Selected(SelectedMailbox),
    Summaries(Vec<MessageSummary>),
    /// The requested body section; `None` when the server returned NIL.
    Section(Option<Vec<u8>>),
    /// Several parts of one message (`Session::fetch_parts`), as `(part number,
    /// bytes)` in the order the server sent them; a part the server sent as NIL or
    /// not at all is missing.
    Parts(Vec<(Vec<u32>, Vec<u8>)>),
    /// A message's MIME structure.
    Structure(BodyPart),
    /// Flags after a STORE or a CHANGEDSINCE fetch. `not_modified` lists the UIDs an
    /// UNCHANGEDSINCE store left alone because they changed meanwhile (RFC 7162).
    FlagsChanged {
        updates: Vec<FlagUpdate>,
        not_modified: Vec<(u32, u32)>,
    },
    /// UIDs from SEARCH (ascending) or SORT (in the requested order).
    Uids(Vec<u32>),
    Threads(Vec<ThreadNode>),
    /// COPY or MOVE; the new UIDs when the server has UIDPLUS.
    Copied(Option<CopyUid>),
    /// APPEND; the new message's UID when the server has UIDPLUS.
    Appended(Option<AppendUid>),
    /// A MOVE or EXPUNGE on a server without UIDPLUS stopped before EXPUNGE, because
    /// `others` (UIDs the request did not name) are marked `\Deleted` too and would
    /// have been removed with them. The request's messages stay, marked `\Deleted`;
    /// `copied` is what a MOVE's COPY reported.
    NotExpunged {
        copied: Option<CopyUid>,
        others: Vec<u32>,
    },
}

/// Counts from STATUS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailboxStatus {
    pub name: String,
    pub messages: Option<u32>,
    pub unseen: Option<u32>,
    pub uid_next: Option<u32>,
    pub uid_validity: Option<u32>,
}

/// Where copied messages went (RFC 4315 COPYUID), as inclusive UID ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyUid {
    pub uid_validity: u32,
    pub source: Vec<(u32, u32)>,
    pub destination: Vec<(u32, u32)>,
}

/// Where an appended message went (RFC 4315 APPENDUID).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendUid {
    pub uid_validity: u32,
    pub uid: u32,
}

/// A conversation: a message and its replies. `uid` is `None` for a missing parent
/// whose replies are known (RFC 5256 dummy message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadNode {
    pub uid: Option<u32>,
    pub children: Vec<ThreadNode>,
}

/// The server refused a command (NO or BAD), with its response code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the server answered {status}{}: {text}", code.as_ref().map(|c| format!(" [{c}]")).unwrap_or_default())]
pub struct CommandError {
    /// "NO" (the command failed) or "BAD" (the server did not understand it).
    pub status: &'static str,
    /// The response code, e.g. `AUTHENTICATIONFAILED`, `TRYCREATE`, `OVERQUOTA`.
    pub code: Option<String>,
    pub text: String,
}

impl CommandError {
    pub(crate) fn new(kind: StatusKind, code: Option<&Code<'_>>, text: String) -> Self {
        CommandError {
            status: match kind {
                StatusKind::Bad => "BAD",
                _ => "NO",
            },
            code: code.map(code_name),
            text,
        }
    }
}

fn code_name(code: &Code<'_>) -> String {
    match code {
        Code::Other(other) => String::from_utf8_lossy(other.inner()).into_owned(),
        other => format!("{other:?}").to_uppercase(),
    }
}

/// What RFC 6154 says a folder is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpecialUse {
    Inbox,
    Drafts,
    Sent,
    Archive,
    Junk,
    Trash,
    All,
    Flagged,
}

impl SpecialUse {
    fn from_attribute(attribute: &str) -> Option<SpecialUse> {
        Some(match attribute.to_ascii_lowercase().as_str() {
            "\\drafts" => SpecialUse::Drafts,
            "\\sent" => SpecialUse::Sent,
            "\\archive" => SpecialUse::Archive,
            "\\junk" => SpecialUse::Junk,
            "\\trash" => SpecialUse::Trash,
            "\\all" => SpecialUse::All,
            "\\flagged" => SpecialUse::Flagged,
            _ => return None,
        })
    }
}

/// One folder from LIST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxInfo {
    /// The name for display, modified UTF-7 decoded.
    pub name: String,
    /// The name as the server knows it, for commands.
    pub wire_name: String,
    pub delimiter: Option<char>,
    /// Attributes as sent (`\HasChildren`, `\Noselect`, `\Sent`...).
    pub attributes: Vec<String>,
    pub special_use: Option<SpecialUse>,
    /// Whether it can be selected (no `\Noselect` / `\NonExistent`).
    pub selectable: bool,
}

impl MailboxInfo {
    pub(crate) fn new(
        wire_name: String,
        delimiter: Option<char>,
        attributes: &[FlagNameAttribute<'_>],
    ) -> MailboxInfo {
        let attributes: Vec<String> = attributes.iter().map(|a| a.to_string()).collect();
        let special_use = if wire_name.eq_ignore_ascii_case("INBOX") {
            Some(SpecialUse::Inbox)
        } else {
            attributes
                .iter()
                .find_map(|a| SpecialUse::from_attribute(a))
        };
        let selectable = !attributes.iter().any(|a| {
            a.eq_ignore_ascii_case("\\Noselect") || a.eq_ignore_ascii_case("\\NonExistent")
        });
        MailboxInfo {
            name: super::utf7::decode(&wire_name).unwrap_or_else(|_| wire_name.clone()),
            wire_name,
            delimiter,
            attributes,
            special_use,
            selectable,
        }
    }
}

/// The state of a mailbox after SELECT or EXAMINE.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelectedMailbox {
    pub name: String,
    pub read_only: bool,
    pub exists: u32,
    pub uid_validity: Option<u32>,
    pub uid_next: Option<u32>,
    pub highest_modseq: Option<u64>,
    /// Flags defined in the mailbox.
    pub flags: Vec<String>,
    /// Flags the client may change permanently (`\*`: it may create keywords).
    pub permanent_flags: Vec<String>,
}

impl SelectedMailbox {
    /// Takes what an untagged or tagged response code says about the mailbox.
    pub(crate) fn absorb_code(&mut self, code: &Code<'_>) {
        match code {
            Code::UidValidity(v) => self.uid_validity = Some(v.get()),
            Code::UidNext(v) => self.uid_next = Some(v.get()),
            Code::HighestModSeq(v) => self.highest_modseq = Some(v.get()),
            Code::PermanentFlags(flags) => {
                self.permanent_flags = flags
                    .iter()
                    .map(|f| match f {
                        FlagPerm::Flag(flag) => flag.to_string(),
                        FlagPerm::Asterisk => "\\*".to_owned(),
                    })
                    .collect();
            }
            Code::ReadOnly => self.read_only = true,
            Code::ReadWrite => self.read_only = false,
            _ => {}
        }
    }
}

/// A change to the selected mailbox, announced by the server at any time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailboxChange {
    /// The mailbox now holds this many messages (new mail arrived).
    Exists(u32),
    /// The message with this sequence number is gone; later numbers shift down.
    Expunged(u32),
    /// These UIDs are gone (QRESYNC), as inclusive ranges; `earlier` if they vanished
    /// before this session.
    Vanished {
        uids: Vec<(u32, u32)>,
        earlier: bool,
    },
    /// Flags of a message changed (another client, or our own STORE).
    Flags(FlagUpdate),
}

/// New flags of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagUpdate {
    pub seq: u32,
    pub uid: Option<u32>,
    pub flags: Vec<String>,
    pub modseq: Option<u64>,
}

pub(crate) fn flag_names(flags: &[FlagFetch<'_>]) -> Vec<String> {
    flags
        .iter()
        .map(|f| match f {
            FlagFetch::Flag(flag) => flag.to_string(),
            FlagFetch::Recent => "\\Recent".to_owned(),
        })
        .collect()
}

pub(crate) fn uid_of(items: &[MessageDataItem<'_>]) -> Option<u32> {
    items.iter().find_map(|i| match i {
        MessageDataItem::Uid(uid) => Some(uid.get()),
        _ => None,
    })
}

pub(crate) fn flag_update(seq: NonZeroU32, items: &[MessageDataItem<'_>]) -> Option<FlagUpdate> {
    let flags = items.iter().find_map(|i| match i {
        MessageDataItem::Flags(flags) => Some(flag_names(flags)),
        _ => None,
    })?;
    Some(FlagUpdate {
        seq: seq.get(),
        uid: uid_of(items),
        flags,
        modseq: items.iter().find_map(|i| match i {
            MessageDataItem::ModSeq(m) => Some(m.get()),
            _ => None,
        }),
    })
}

/// Builds a summary from a FETCH response that carries an ENVELOPE.
pub(crate) fn summary(items: &[MessageDataItem<'_>]) -> Option<MessageSummary> {
    let uid = uid_of(items)?;
    let envelope = items.iter().find_map(|i| match i {
        MessageDataItem::Envelope(e) => Some(e),
        _ => None,
    })?;
    let mut summary = from_envelope(uid, envelope);
    for item in items {
        match item {
            MessageDataItem::Flags(flags) => summary.flags = flag_names(flags),
            MessageDataItem::Rfc822Size(size) => summary.size = *size,
            MessageDataItem::InternalDate(date) => {
                summary.received = Some(date.as_ref().to_rfc3339());
            }
            MessageDataItem::BodyExt {
                section: Some(Section::HeaderFields(..)),
                data,
                ..
            } => {
                if let Some(header) = &data.0 {
                    let header = String::from_utf8_lossy(header.as_ref());
                    if let Some(references) = header_field(&header, "References") {
                        summary.references = message_ids(&references);
                    }
                    summary.has_attachments = header_field(&header, "Content-Type")
                        .is_some_and(|value| is_attachment_type(&value));
                }
            }
            _ => {}
        }
    }
    Some(summary)
}

fn from_envelope(uid: u32, envelope: &Envelope<'_>) -> MessageSummary {
    MessageSummary {
        uid,
        flags: Vec::new(),
        subject: decoded(&envelope.subject).unwrap_or_default(),
        from: addresses(&envelope.from),
        to: addresses(&envelope.to),
        cc: addresses(&envelope.cc),
        date: text(&envelope.date),
        received: None,
        size: 0,
        message_id: text(&envelope.message_id),
        in_reply_to: text(&envelope.in_reply_to),
        references: Vec::new(),
        has_attachments: false,
    }
}

fn text(value: &NString<'_>) -> Option<String> {
    value
        .0
        .as_ref()
        .map(|s| String::from_utf8_lossy(s.as_ref()).into_owned())
}

/// An envelope string with RFC 2047 encoded words decoded; raw 8-bit bytes are taken
/// as UTF-8 where they are (RFC 6532), else kept lossily.
fn decoded(value: &NString<'_>) -> Option<String> {
    let raw = value.0.as_ref()?;
    let bytes: &[u8] = raw.as_ref();
    Some(crate::reader::text::encoded_words(bytes))
}

fn addresses(list: &[imap_next::imap_types::envelope::Address<'_>]) -> Vec<Address> {
    list.iter()
        .filter_map(|a| {
            let mailbox = text(&a.mailbox)?;
            let email = match text(&a.host) {
                Some(host) => format!("{mailbox}@{host}"),
                None => mailbox,
            };
            Some(Address {
                name: decoded(&a.name).unwrap_or_default(),
                email,
            })
        })
        .collect()
}

/// The value of header field `name` in a header block, unfolded; the first one.
fn header_field(header: &str, name: &str) -> Option<String> {
    let mut value: Option<String> = None;
    for line in header.split("\r\n").flat_map(|l| l.split('\n')) {
        match &mut value {
            Some(found) if line.starts_with([' ', '\t']) => {
                found.push(' ');
                found.push_str(line.trim());
            }
            Some(_) => break,
            None => {
                if let Some((field, rest)) = line.split_once(':')
                    && field.trim().eq_ignore_ascii_case(name)
                {
                    value = Some(rest.trim().to_owned());
                }
            }
        }
    }
    value
}

/// The list's attachment mark from the top-level Content-Type, as webmails guess it
/// before opening: `multipart/mixed`, or a single part that is not text, a message
/// or another multipart. The reader lists the real attachments once opened.
fn is_attachment_type(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    mime == "multipart/mixed"
        || !(mime.is_empty()
            || mime.starts_with("text/")
            || mime.starts_with("multipart/")
            || mime.starts_with("message/"))
}

/// A UID set as inclusive ranges (`*` read as `u32::MAX`, "the newest").
pub(crate) fn uid_ranges(set: &SequenceSet) -> Vec<(u32, u32)> {
    let value = |v: &SeqOrUid| match v {
        SeqOrUid::Value(n) => n.get(),
        SeqOrUid::Asterisk => u32::MAX,
    };
    set.0
        .as_ref()
        .iter()
        .map(|sequence| match sequence {
            Sequence::Single(v) => (value(v), value(v)),
            Sequence::Range(a, b) => (value(a).min(value(b)), value(a).max(value(b))),
        })
        .collect()
}

/// The `<...>` message ids in a header block such as `References: <a@x> <b@y>`.
fn message_ids(value: &str) -> Vec<String> {
    value
        .split('<')
        .skip(1)
        .filter_map(|part| {
            part.split_once('>')
                .map(|(id, _)| format!("<{}>", id.trim()))
        })
        .collect()
}

/// A server THREAD response (RFC 5256) as a tree.
pub(crate) fn thread_tree(thread: &Thread) -> ThreadNode {
    match thread {
        Thread::Members { prefix, answers } => {
            // `(a b c (d)(e))`: a is the parent of b, b of c, and c of d and e.
            let chain: Vec<u32> = prefix.as_ref().iter().map(|n| n.get()).collect();
            let mut node = ThreadNode {
                uid: chain.last().copied(),
                children: answers
                    .as_ref()
                    .map(|a| a.as_ref().iter().map(thread_tree).collect())
                    .unwrap_or_default(),
            };
            for &uid in chain.iter().rev().skip(1) {
                node = ThreadNode {
                    uid: Some(uid),
                    children: vec![node],
                };
            }
            node
        }
        Thread::Nested { answers } => ThreadNode {
            uid: None,
            children: answers.as_ref().iter().map(thread_tree).collect(),
        },
    }
}

/// A COPYUID/APPENDUID set as inclusive ranges.
pub(crate) fn uid_set_ranges(set: &UidPlusSet) -> Vec<(u32, u32)> {
    set.0
        .as_ref()
        .iter()
        .map(|element| match element {
            UidElement::Single(n) => (n.get(), n.get()),
            UidElement::Range(a, b) => (a.get().min(b.get()), a.get().max(b.get())),
        })
        .collect()
}

/// The bytes of a BINARY section (`NIL` gives `None`), moved out.
pub(crate) fn nstring8_bytes(value: NString8<'_>) -> Option<Vec<u8>> {
    match value {
        NString8::NString(nstring) => nstring.0.map(|s| s.into_inner().into_owned()),
        NString8::Literal8(literal) => Some(literal.data.into_owned()),
    }
}

/// A leaf part of a FETCH answer (`BODY[1.2]` or `BINARY[1.2]`) as its part number
/// and bytes; `None` for other items, NIL, and whole-message sections.
pub(super) fn numbered_part(item: MessageDataItem<'static>) -> Option<(Vec<u32>, Vec<u8>)> {
    match item {
        MessageDataItem::BodyExt {
            section: Some(Section::Part(part)),
            data,
            origin: None,
        } => Some((
            part.0.into_iter().map(|n| n.get()).collect(),
            data.0?.into_inner().into_owned(),
        )),
        MessageDataItem::Binary { section, value } => Some((
            section.into_iter().map(|n| n.get()).collect(),
            nstring8_bytes(value)?,
        )),
        _ => None,
    }
}
