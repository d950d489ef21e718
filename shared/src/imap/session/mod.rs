//! [`Session`]: the sans-IO IMAP client state machine.
//!
//! imap-next does the framing (literals, continuation requests, IDLE/DONE); this layer
//! adds what a mail client needs on top: typed requests (in `requests`), tag
//! bookkeeping for pipelined commands, collecting untagged data into each request's
//! result, multi-step requests (MOVE without the MOVE extension), and telling
//! unsolicited mailbox changes apart from answers.

mod requests;

use std::borrow::Cow;
use std::collections::VecDeque;
use std::num::NonZeroU32;

use imap_next::client::{Client, CommandHandle, Event as FlowEvent, Options};
use imap_next::imap_types::auth::AuthenticateData;
use imap_next::imap_types::command::{Command, CommandBody};
use imap_next::imap_types::core::Tag;
use imap_next::imap_types::fetch::{MessageDataItem, Section};
use imap_next::imap_types::mailbox::Mailbox;
use imap_next::imap_types::response::{Code, Data, GreetingKind, Status, StatusKind};
use imap_next::imap_types::secret::Secret;
use imap_next::imap_types::status::StatusDataItem;
use imap_next::{Interrupt, Io, State};

use super::outcome::{
    self, AppendUid, CommandError, CopyUid, FlagUpdate, MailboxChange, MailboxInfo, MailboxStatus,
    Outcome, SelectedMailbox, ThreadNode,
};
use super::structure::BodyPart;
use super::uid_set::UidSet;
use crate::summary::MessageSummary;

pub use requests::{CachedState, Extension, FlagOperation};

/// Identifies one request until its [`Event::Completed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(u64);

/// What [`Session::progress`] asks of the caller next.
pub type Step = crate::engine::Step<Event>;

/// What the session reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The server greeted; `preauth` if the session is already authenticated.
    Greeting { text: String, preauth: bool },
    /// A request finished.
    Completed {
        id: RequestId,
        result: Result<Outcome, CommandError>,
    },
    /// The selected mailbox changed (at any time, and while idling).
    Changed(MailboxChange),
    /// The server accepted IDLE: changes now arrive as they happen.
    Idling,
    /// An `[ALERT]` the user must see (RFC 3501 §7.1).
    Alert(String),
    /// The server is closing the connection.
    Bye(String),
}

/// A request the engine would not send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// A value cannot be sent as IMAP (e.g. a NUL in a password, UID 0): refused here
    /// instead of risking a malformed or injected command.
    #[error("{0} cannot be sent to the server")]
    InvalidArgument(&'static str),
    #[error("the server does not allow LOGIN (LOGINDISABLED); the connection needs TLS")]
    LoginDisabled,
    #[error("the server lacks {0}, which this request needs")]
    Unsupported(&'static str),
    #[error("the session is not idling")]
    NotIdling,
}

/// The server sent something the engine cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("malformed response from the server: {0:?}")]
    Malformed(String),
    #[error("a response from the server exceeds the {limit}-byte limit")]
    TooLong { limit: u32 },
    #[error("the server ended a line with LF instead of CRLF: {0:?}")]
    BareLineFeed(String),
}

/// The steps of a MOVE on a server without the MOVE extension (RFC 6851 §3.3), and of
/// removing messages already marked `\Deleted`. Each runs only after the previous one
/// succeeded, so a failed copy never deletes. Without UIDPLUS there is no UID EXPUNGE:
/// a plain EXPUNGE removes *every* message marked `\Deleted`, so the folder is searched
/// first and EXPUNGE is sent only when no other message is marked.
#[derive(Debug, Clone)]
enum MoveStep {
    Copying,
    MarkingDeleted,
    /// UID SEARCH DELETED, collecting into `deleted`.
    CheckingDeleted,
    Expunging,
}

/// What a pending request collects from untagged responses until it completes.
enum Work {
    Capability,
    Plain,
    Id(Vec<(String, Option<String>)>),
    Enable(Vec<String>),
    Namespace(Vec<(String, Option<char>)>),
    List(Vec<MailboxInfo>),
    Status(MailboxStatus),
    Select(SelectedMailbox),
    Summaries(Vec<MessageSummary>),
    Section {
        uid: u32,
        data: Option<Vec<u8>>,
    },
    Parts {
        uid: u32,
        parts: Vec<(Vec<u32>, Vec<u8>)>,
    },
    Structure {
        uid: u32,
        part: Option<BodyPart>,
    },
    Flags(Vec<FlagUpdate>),
    Search(Vec<u32>),
    Threads(Vec<ThreadNode>),
    Copy,
    Append,
    Move {
        step: MoveStep,
        uids: UidSet,
        /// `None` when only removing (the messages were marked `\Deleted` already).
        destination: Option<Mailbox<'static>>,
        copied: Option<CopyUid>,
        /// What UID SEARCH DELETED found, on a server without UIDPLUS.
        deleted: Vec<u32>,
    },
    /// LOGIN or AUTHENTICATE; `announced` once the server sent CAPABILITY meanwhile.
    Login {
        announced: bool,
    },
}

impl Work {
    fn move_from(step: MoveStep, uids: &UidSet, destination: Option<Mailbox<'static>>) -> Work {
        Work::Move {
            step,
            uids: uids.clone(),
            destination,
            copied: None,
            deleted: Vec::new(),
        }
    }
}

struct Pending {
    id: RequestId,
    tag: String,
    work: Work,
}

pub struct Session {
    flow: Client,
    max_response: u32,
    next_tag: u64,
    next_id: u64,
    /// Requests on their way or on the wire, in the order they were made.
    pending: Vec<Pending>,
    events: VecDeque<Event>,
    capabilities: Vec<String>,
    /// Whether `capabilities` describe the session as it is now: false until the
    /// server announces them, and again after authentication until it announces them
    /// anew (in the LOGIN answer or untagged), since they may change there.
    capabilities_current: bool,
    enabled: Vec<String>,
    idle: Option<(CommandHandle, String)>,
    selected: Option<SelectedMailbox>,
    /// Credentials for an AUTHENTICATE PLAIN without SASL-IR, sent on continuation.
    auth_response: Option<Vec<u8>>,
}

impl Session {
    /// A session that waits for the server's greeting. `max_response` caps the size of
    /// one response (a FETCH of a big part included): larger ones are an error, and
    /// their excess bytes are dropped as they arrive, never buffered.
    pub fn new(max_response: u32) -> Session {
        let mut options = Options::default();
        options.max_response_size = max_response;
        Session {
            flow: Client::new(options),
            max_response,
            next_tag: 1,
            next_id: 1,
            pending: Vec::new(),
            events: VecDeque::new(),
            capabilities: Vec::new(),
            capabilities_current: false,
            enabled: Vec::new(),
            idle: None,
            selected: None,
            auth_response: None,
        }
    }

    /// Capabilities as last announced, upper-case.
    pub fn capabilities(&self) -> &[String] {
        &self.capabilities
    }

    /// Whether the server announced its capabilities for the current state (after
    /// the greeting, or after authentication). When false, send [`Session::capability`]
    /// before relying on [`Session::has_capability`]: a greeting replayed after STARTTLS
    /// carries none, and some servers (Courier) say nothing in their LOGIN answer.
    pub fn capabilities_known(&self) -> bool {
        self.capabilities_current
    }

    pub fn has_capability(&self, name: &str) -> bool {
        self.capabilities
            .iter()
            .any(|c| c.eq_ignore_ascii_case(name))
    }

    /// Whether ENABLE turned this extension on (e.g. "QRESYNC").
    pub fn is_enabled(&self, name: &str) -> bool {
        self.enabled.iter().any(|c| c.eq_ignore_ascii_case(name))
    }

    /// The IDLE request in progress (until the server answers its DONE), if any.
    pub fn idle_request(&self) -> Option<RequestId> {
        let (_, tag) = self.idle.as_ref()?;
        self.pending.iter().find(|p| &p.tag == tag).map(|p| p.id)
    }

    /// The selected mailbox, kept up to date by unsolicited EXISTS and EXPUNGE.
    pub fn selected(&self) -> Option<&SelectedMailbox> {
        self.selected.as_ref()
    }

    /// Bytes received from the server.
    pub fn receive(&mut self, bytes: &[u8]) {
        self.flow.enqueue_input(bytes);
    }

    /// Advances the session: bytes to send, an event, or a need for input.
    pub fn progress(&mut self) -> Result<Step, ProtocolError> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Ok(Step::Event(event));
            }
            match self.flow.next() {
                Ok(event) => self.handle(event),
                Err(Interrupt::Io(Io::Output(bytes))) => return Ok(Step::Send(bytes)),
                Err(Interrupt::Io(Io::NeedMoreInput)) => return Ok(Step::NeedInput),
                Err(Interrupt::Error(error)) => return Err(self.protocol_error(error)),
            }
        }
    }

    // ---- bookkeeping ----------------------------------------------------------

    fn new_id(&mut self) -> RequestId {
        let id = RequestId(self.next_id);
        self.next_id += 1;
        id
    }

    /// Queues `body` under a fresh tag, for request `id`; returns the command handle.
    fn send_as(&mut self, id: RequestId, body: CommandBody<'static>, work: Work) -> CommandHandle {
        let tag = format!("P{}", self.next_tag);
        self.next_tag += 1;
        let command = Command::new(
            Tag::try_from(tag.clone()).expect("P<n> is a valid tag"),
            body,
        )
        .expect("P<n> is a valid tag");
        let handle = self.flow.enqueue_command(command);
        self.pending.push(Pending { id, tag, work });
        handle
    }

    fn enqueue(&mut self, body: CommandBody<'static>, work: Work) -> RequestId {
        let id = self.new_id();
        self.send_as(id, body, work);
        id
    }

    fn protocol_error(&self, error: imap_next::client::Error) -> ProtocolError {
        use imap_next::client::Error;
        let preview = |bytes: &[u8]| {
            let shown = &bytes[..bytes.len().min(120)];
            String::from_utf8_lossy(shown).into_owned()
        };
        match error {
            Error::MalformedMessage { discarded_bytes } => {
                ProtocolError::Malformed(preview(discarded_bytes.declassify()))
            }
            Error::ExpectedCrlfGotLf { discarded_bytes } => {
                ProtocolError::BareLineFeed(preview(discarded_bytes.declassify()))
            }
            Error::ResponseTooLong { .. } => ProtocolError::TooLong {
                limit: self.max_response,
            },
        }
    }

    /// A tagged answer arrived: finish (or advance) the request with that tag.
    fn complete(&mut self, tag: &str, kind: StatusKind, code: Option<&Code<'_>>, text: String) {
        let Some(index) = self.pending.iter().position(|p| p.tag == tag) else {
            return; // a tag we never sent: nothing to complete
        };
        let Pending { id, work, .. } = self.pending.remove(index);
        if self.idle.as_ref().is_some_and(|(_, t)| t == tag) {
            self.idle = None;
        }
        if kind != StatusKind::Ok {
            if matches!(work, Work::Select(_)) {
                self.selected = None; // a failed SELECT leaves no mailbox selected
            }
            let result = Err(CommandError::new(kind, code, text));
            self.events.push_back(Event::Completed { id, result });
            return;
        }
        let outcome = match work {
            Work::Capability => Outcome::Capabilities(self.capabilities.clone()),
            Work::Plain => Outcome::Done,
            Work::Login { announced } => {
                if !announced && !matches!(code, Some(Code::Capability(_))) {
                    // Authentication may change what the server offers (RFC 3501
                    // §6.2.3): what the greeting said no longer holds.
                    self.capabilities_current = false;
                }
                Outcome::Done
            }
            Work::Id(fields) => Outcome::ServerId(fields),
            Work::Enable(enabled) => Outcome::Enabled(enabled),
            Work::Namespace(namespaces) => Outcome::Namespaces(namespaces),
            Work::List(mailboxes) => Outcome::Mailboxes(mailboxes),
            Work::Status(status) => Outcome::Status(status),
            Work::Select(mut selected) => {
                if let Some(code) = code {
                    selected.absorb_code(code);
                }
                self.selected = Some(selected.clone());
                Outcome::Selected(selected)
            }
            Work::Summaries(rows) => Outcome::Summaries(rows),
            Work::Section { data, .. } => Outcome::Section(data),
            Work::Parts { parts, .. } => Outcome::Parts(parts),
            Work::Structure {
                part: Some(part), ..
            } => Outcome::Structure(part),
            Work::Structure { uid, part: None } => {
                let result = Err(CommandError {
                    status: "NO",
                    code: None,
                    text: format!("the server sent no structure for UID {uid} (expunged?)"),
                });
                self.events.push_back(Event::Completed { id, result });
                return;
            }
            Work::Flags(updates) => Outcome::FlagsChanged {
                updates,
                not_modified: match code {
                    Some(Code::Modified(set)) => outcome::uid_ranges(set),
                    _ => Vec::new(),
                },
            },
            Work::Search(uids) => Outcome::Uids(uids),
            Work::Threads(threads) => Outcome::Threads(threads),
            Work::Copy => Outcome::Copied(copy_uid(code)),
            Work::Append => Outcome::Appended(match code {
                Some(Code::AppendUid { uid_validity, uid }) => Some(AppendUid {
                    uid_validity: uid_validity.get(),
                    uid: uid.get(),
                }),
                _ => None,
            }),
            Work::Move {
                step,
                uids,
                destination,
                copied,
                deleted,
            } => match self.next_move_step(id, step, uids, destination, copied, deleted, code) {
                Some(outcome) => outcome,
                None => return, // the next step is on its way
            },
        };
        self.events.push_back(Event::Completed {
            id,
            result: Ok(outcome),
        });
    }

    fn absorb_capabilities(&mut self, capabilities: impl Iterator<Item = String>) {
        self.capabilities = capabilities.map(|c| c.to_ascii_uppercase()).collect();
        self.capabilities_current = true;
    }

    fn absorb_capability_code(&mut self, code: Option<&Code<'_>>) {
        if let Some(Code::Capability(capabilities)) = code {
            self.absorb_capabilities(capabilities.as_ref().iter().map(|c| c.to_string()));
        }
    }

    fn handle(&mut self, event: FlowEvent) {
        match event {
            FlowEvent::GreetingReceived { greeting } => {
                self.absorb_capability_code(greeting.code.as_ref());
                let text = greeting.text.to_string();
                match greeting.kind {
                    GreetingKind::Bye => self.events.push_back(Event::Bye(text)),
                    kind => self.events.push_back(Event::Greeting {
                        text,
                        preauth: kind == GreetingKind::PreAuth,
                    }),
                }
            }
            FlowEvent::StatusReceived { status }
            | FlowEvent::AuthenticateStatusReceived { status, .. } => self.handle_status(status),
            FlowEvent::CommandRejected {
                command, status, ..
            } => {
                let (kind, code, text) = status_parts(&status);
                self.complete(command.tag.inner(), kind, code, text);
            }
            FlowEvent::AuthenticateContinuationRequestReceived { .. } => {
                let data = match self.auth_response.take() {
                    Some(response) => AuthenticateData::Continue(Secret::new(Cow::Owned(response))),
                    None => AuthenticateData::Cancel,
                };
                let _ = self.flow.set_authenticate_data(data);
            }
            FlowEvent::IdleAccepted { .. } => self.events.push_back(Event::Idling),
            FlowEvent::IdleRejected { status, .. } => {
                if let Some((_, tag)) = self.idle.take() {
                    let (kind, code, text) = status_parts(&status);
                    self.complete(&tag, kind, code, text);
                }
            }
            FlowEvent::DataReceived { data } => self.handle_data(data),
            FlowEvent::CommandSent { .. }
            | FlowEvent::AuthenticateStarted { .. }
            | FlowEvent::IdleCommandSent { .. }
            | FlowEvent::IdleDoneSent { .. }
            | FlowEvent::ContinuationRequestReceived { .. } => {}
        }
    }

    fn handle_status(&mut self, status: Status<'static>) {
        match status {
            Status::Tagged(tagged) => {
                self.absorb_capability_code(tagged.body.code.as_ref());
                let text = tagged.body.text.to_string();
                self.complete(
                    tagged.tag.inner(),
                    tagged.body.kind,
                    tagged.body.code.as_ref(),
                    text,
                );
            }
            Status::Untagged(body) => {
                self.absorb_capability_code(body.code.as_ref());
                if let Some(Code::Alert) = body.code {
                    self.events.push_back(Event::Alert(body.text.to_string()));
                } else if let Some(code) = &body.code
                    && let Some(selected) = self.selecting()
                {
                    selected.absorb_code(code);
                }
            }
            Status::Bye(bye) => self.events.push_back(Event::Bye(bye.text.to_string())),
        }
    }

    /// The first pending request whose work `pick` accepts.
    fn collecting<T>(&mut self, pick: impl Fn(&mut Work) -> Option<&mut T>) -> Option<&mut T> {
        self.pending.iter_mut().find_map(|p| pick(&mut p.work))
    }

    /// Where the body section of message `uid` goes, if a request waits for it.
    fn section_slot(&mut self, uid: Option<u32>) -> Option<&mut Option<Vec<u8>>> {
        self.collecting(|w| match w {
            Work::Section { uid: wanted, data } if Some(*wanted) == uid => Some(data),
            _ => None,
        })
    }

    fn selecting(&mut self) -> Option<&mut SelectedMailbox> {
        self.collecting(|w| match w {
            Work::Select(selected) => Some(selected),
            _ => None,
        })
    }

    fn handle_data(&mut self, data: Data<'static>) {
        match data {
            Data::Capability(capabilities) => {
                self.absorb_capabilities(capabilities.as_ref().iter().map(|c| c.to_string()));
                for pending in &mut self.pending {
                    if let Work::Login { announced } = &mut pending.work {
                        *announced = true;
                    }
                }
            }
            Data::List {
                items,
                delimiter,
                mailbox,
            } => {
                let info =
                    MailboxInfo::new(wire_name(&mailbox), delimiter.map(|d| d.inner()), &items);
                if let Some(list) = self.collecting(|w| match w {
                    Work::List(list) => Some(list),
                    _ => None,
                }) {
                    list.push(info);
                }
            }
            Data::Status { mailbox, items } => {
                let name = wire_name(&mailbox);
                if let Some(status) = self.collecting(|w| match w {
                    Work::Status(status) if status.name == name => Some(status),
                    _ => None,
                }) {
                    for item in items.iter() {
                        match item {
                            StatusDataItem::Messages(n) => status.messages = Some(*n),
                            StatusDataItem::Unseen(n) => status.unseen = Some(*n),
                            StatusDataItem::UidNext(n) => status.uid_next = Some(n.get()),
                            StatusDataItem::UidValidity(n) => status.uid_validity = Some(n.get()),
                            _ => {}
                        }
                    }
                }
            }
            Data::Flags(flags) => {
                if let Some(selected) = self.selecting() {
                    selected.flags = flags.iter().map(|f| f.to_string()).collect();
                }
            }
            Data::Exists(count) => {
                if let Some(selected) = self.selecting() {
                    selected.exists = count;
                } else {
                    if let Some(selected) = &mut self.selected {
                        selected.exists = count;
                    }
                    self.events
                        .push_back(Event::Changed(MailboxChange::Exists(count)));
                }
            }
            Data::Expunge(seq) => {
                if let Some(selected) = &mut self.selected {
                    selected.exists = selected.exists.saturating_sub(1);
                }
                self.events
                    .push_back(Event::Changed(MailboxChange::Expunged(seq.get())));
            }
            Data::Vanished {
                earlier,
                known_uids,
            } => {
                let uids = outcome::uid_ranges(&known_uids);
                if !earlier && let Some(selected) = &mut self.selected {
                    let gone: u64 = uids.iter().map(|(a, b)| u64::from(b - a) + 1).sum();
                    selected.exists = selected.exists.saturating_sub(gone as u32);
                }
                self.events
                    .push_back(Event::Changed(MailboxChange::Vanished { uids, earlier }));
            }
            Data::Search(uids, _) | Data::Sort(uids, _) => {
                if let Some(found) = self.collecting(|w| match w {
                    Work::Search(found)
                    | Work::Move {
                        step: MoveStep::CheckingDeleted,
                        deleted: found,
                        ..
                    } => Some(found),
                    _ => None,
                }) {
                    found.extend(uids.iter().map(|u| u.get()));
                }
            }
            Data::Thread(threads) => {
                if let Some(found) = self.collecting(|w| match w {
                    Work::Threads(found) => Some(found),
                    _ => None,
                }) {
                    found.extend(threads.iter().map(outcome::thread_tree));
                }
            }
            Data::Enabled { capabilities } => {
                let names: Vec<String> = capabilities
                    .iter()
                    .map(|c| c.to_string().to_ascii_uppercase())
                    .collect();
                self.enabled.extend(names.iter().cloned());
                if let Some(enabled) = self.collecting(|w| match w {
                    Work::Enable(enabled) => Some(enabled),
                    _ => None,
                }) {
                    enabled.extend(names);
                }
            }
            Data::Id { parameters } => {
                let fields: Vec<(String, Option<String>)> = parameters
                    .unwrap_or_default()
                    .iter()
                    .map(|(key, value)| {
                        (
                            String::from_utf8_lossy(key.as_ref()).into_owned(),
                            value
                                .0
                                .as_ref()
                                .map(|v| String::from_utf8_lossy(v.as_ref()).into_owned()),
                        )
                    })
                    .collect();
                if let Some(id) = self.collecting(|w| match w {
                    Work::Id(id) => Some(id),
                    _ => None,
                }) {
                    *id = fields;
                }
            }
            Data::Namespace { personal, .. } => {
                let found: Vec<(String, Option<char>)> = personal
                    .iter()
                    .map(|n| {
                        (
                            String::from_utf8_lossy(n.prefix.as_ref()).into_owned(),
                            n.delimiter.as_ref().map(|d| d.inner()),
                        )
                    })
                    .collect();
                if let Some(namespaces) = self.collecting(|w| match w {
                    Work::Namespace(namespaces) => Some(namespaces),
                    _ => None,
                }) {
                    *namespaces = found;
                }
            }
            Data::Fetch { seq, items } => self.handle_fetch(seq, items.into_inner()),
            _ => {}
        }
    }

    /// A FETCH response is an answer to a pending FETCH or STORE when it carries what
    /// that request asked for; otherwise it is news (another client changed flags).
    fn handle_fetch(&mut self, seq: NonZeroU32, mut items: Vec<MessageDataItem<'static>>) {
        let uid = outcome::uid_of(&items);
        if items
            .iter()
            .any(|i| matches!(i, MessageDataItem::Envelope(_)))
        {
            let summary = outcome::summary(&items);
            if let (Some(rows), Some(summary)) = (
                self.collecting(|w| match w {
                    Work::Summaries(rows) => Some(rows),
                    _ => None,
                }),
                summary,
            ) {
                rows.push(summary);
                return;
            }
        }
        if let Some(structure) = items.iter().find_map(|i| match i {
            MessageDataItem::BodyStructure(s) => Some(s),
            _ => None,
        }) && let Some(slot) = self.collecting(|w| match w {
            Work::Structure { uid: wanted, part } if Some(*wanted) == uid => Some(part),
            _ => None,
        }) {
            *slot = Some(BodyPart::from_structure(structure));
            return;
        }
        if let Some(parts) = self.collecting(|w| match w {
            Work::Parts { uid: wanted, parts } if Some(*wanted) == uid => Some(parts),
            _ => None,
        }) {
            parts.extend(items.into_iter().filter_map(outcome::numbered_part));
            return;
        }
        // A body section moves out of the response: no copy of a 20 MB literal.
        let section_at = items.iter().position(|i| {
            matches!(
                i,
                MessageDataItem::BodyExt {
                    section: None
                        | Some(
                            Section::Part(_)
                                | Section::Text(_)
                                | Section::Header(_)
                                | Section::Mime(_)
                        ),
                    ..
                } | MessageDataItem::Binary { .. }
            )
        });
        if let Some(at) = section_at
            && self.section_slot(uid).is_some()
        {
            let bytes = match items.swap_remove(at) {
                MessageDataItem::BodyExt { data, .. } => {
                    data.0.map(|s| s.into_inner().into_owned())
                }
                MessageDataItem::Binary { value, .. } => outcome::nstring8_bytes(value),
                _ => unreachable!("position() matched a section item"),
            };
            if let Some(data) = self.section_slot(uid) {
                *data = bytes;
            }
            return;
        }
        let Some(update) = outcome::flag_update(seq, &items) else {
            return;
        };
        match self.collecting(|w| match w {
            Work::Flags(updates) => Some(updates),
            _ => None,
        }) {
            Some(updates) => updates.push(update),
            None => self
                .events
                .push_back(Event::Changed(MailboxChange::Flags(update))),
        }
    }
}

fn status_parts<'s>(
    status: &'s Status<'static>,
) -> (StatusKind, Option<&'s Code<'static>>, String) {
    match status {
        Status::Tagged(t) => (t.body.kind, t.body.code.as_ref(), t.body.text.to_string()),
        Status::Untagged(b) => (b.kind, b.code.as_ref(), b.text.to_string()),
        Status::Bye(b) => (StatusKind::No, b.code.as_ref(), b.text.to_string()),
    }
}

fn wire_name(mailbox: &Mailbox<'_>) -> String {
    match mailbox {
        Mailbox::Inbox => "INBOX".to_owned(),
        Mailbox::Other(other) => String::from_utf8_lossy(other.as_ref()).into_owned(),
    }
}

fn copy_uid(code: Option<&Code<'_>>) -> Option<CopyUid> {
    match code {
        Some(Code::CopyUid {
            uid_validity,
            source,
            destination,
        }) => Some(CopyUid {
            uid_validity: uid_validity.get(),
            source: outcome::uid_set_ranges(source),
            destination: outcome::uid_set_ranges(destination),
        }),
        _ => None,
    }
}

crate::engine::impl_engine!(
    Session,
    Event,
    ProtocolError,
    RequestId,
    Outcome,
    CommandError
);
