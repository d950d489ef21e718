//! [`Session`]: the sans-IO IMAP client state machine.
//!
//! imap-next does the framing (literals, continuation requests, IDLE/DONE); this layer
//! adds what a mail client needs on top: typed requests, tag bookkeeping for pipelined
//! commands, collecting untagged data into each request's result, and telling
//! unsolicited mailbox changes apart from answers.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::num::NonZeroU32;

use imap_next::client::{Client, CommandHandle, Event as FlowEvent, Options};
use imap_next::imap_types::IntoStatic;
use imap_next::imap_types::auth::{AuthMechanism, AuthenticateData};
use imap_next::imap_types::command::{Command, CommandBody};
use imap_next::imap_types::core::{Tag, Vec1};
use imap_next::imap_types::fetch::{MessageDataItem, MessageDataItemName, Part, Section};
use imap_next::imap_types::flag::{Flag, StoreResponse, StoreType};
use imap_next::imap_types::mailbox::Mailbox;
use imap_next::imap_types::response::{Code, Data, GreetingKind, Status, StatusKind};
use imap_next::imap_types::secret::Secret;
use imap_next::imap_types::sequence::SequenceSet;
use imap_next::{Interrupt, Io, State};

use super::outcome::{
    self, CommandError, FlagUpdate, MailboxChange, MailboxInfo, Outcome, SelectedMailbox,
};
use super::utf7;
use crate::summary::MessageSummary;

/// Identifies one request until its [`Event::Completed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(u64);

/// What [`Session::progress`] asks of the caller next.
#[derive(Debug)]
pub enum Step {
    /// Write these bytes to the server, then call `progress` again.
    Send(Vec<u8>),
    /// Something happened; call `progress` again.
    Event(Event),
    /// Nothing to do until more bytes arrive ([`Session::receive`]).
    NeedInput,
}

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
    /// A value cannot be sent as IMAP (e.g. a user name with CR or LF): refused here
    /// instead of risking command injection.
    #[error("{0} cannot be sent to the server")]
    InvalidArgument(&'static str),
    #[error("the server does not allow LOGIN (LOGINDISABLED); the connection needs TLS")]
    LoginDisabled,
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

/// Whether a STORE adds, removes or replaces flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOperation {
    Add,
    Remove,
    Replace,
}

enum Work {
    Capability,
    Authenticate,
    List(Vec<MailboxInfo>),
    Select(SelectedMailbox),
    Summaries(Vec<MessageSummary>),
    Section { uid: u32, data: Option<Vec<u8>> },
    Store(Vec<FlagUpdate>),
    Plain,
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
    idle: Option<(CommandHandle, String)>,
    selected: Option<SelectedMailbox>,
    /// Credentials for an AUTHENTICATE PLAIN without SASL-IR, sent on continuation.
    auth_response: Option<Vec<u8>>,
}

impl Session {
    /// A session that waits for the server's greeting. `max_response` caps the size of
    /// one response (a FETCH of a big part included): larger ones are an error, never
    /// an unbounded buffer.
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
            idle: None,
            selected: None,
            auth_response: None,
        }
    }

    /// Capabilities as last announced, upper-case.
    pub fn capabilities(&self) -> &[String] {
        &self.capabilities
    }

    pub fn has_capability(&self, name: &str) -> bool {
        self.capabilities
            .iter()
            .any(|c| c.eq_ignore_ascii_case(name))
    }

    /// The selected mailbox, kept up to date by unsolicited EXISTS.
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

    // ---- requests -------------------------------------------------------------

    pub fn capability(&mut self) -> RequestId {
        self.enqueue(CommandBody::Capability, Work::Capability)
    }

    pub fn noop(&mut self) -> RequestId {
        self.enqueue(CommandBody::Noop, Work::Plain)
    }

    pub fn logout(&mut self) -> RequestId {
        self.enqueue(CommandBody::Logout, Work::Plain)
    }

    /// LOGIN; refused up front when the server said LOGINDISABLED.
    pub fn login(&mut self, user: &str, password: &str) -> Result<RequestId, RequestError> {
        if self.has_capability("LOGINDISABLED") {
            return Err(RequestError::LoginDisabled);
        }
        let body = CommandBody::login(user.to_owned(), password.to_owned())
            .map_err(|_| RequestError::InvalidArgument("this user name or password"))?;
        Ok(self.enqueue(body, Work::Authenticate))
    }

    /// AUTHENTICATE PLAIN (RFC 4616), with the initial response in the command when
    /// the server offers SASL-IR.
    pub fn authenticate_plain(
        &mut self,
        user: &str,
        password: &str,
    ) -> Result<RequestId, RequestError> {
        if user.contains('\0') || password.contains('\0') {
            return Err(RequestError::InvalidArgument(
                "a user name or password with NUL",
            ));
        }
        let response = format!("\0{user}\0{password}").into_bytes();
        let body = if self.has_capability("SASL-IR") {
            CommandBody::authenticate_with_ir(AuthMechanism::Plain, response)
        } else {
            self.auth_response = Some(response);
            CommandBody::authenticate(AuthMechanism::Plain)
        };
        Ok(self.enqueue(body, Work::Authenticate))
    }

    /// LIST "" "*": every folder, with special-use attributes where the server gives them.
    pub fn list(&mut self) -> RequestId {
        let body = CommandBody::list("", "*").expect("\"\" and \"*\" are valid LIST arguments");
        self.enqueue(body, Work::List(Vec::new()))
    }

    /// SELECT (or EXAMINE when `read_only`) a folder by its display name.
    pub fn select(&mut self, name: &str, read_only: bool) -> Result<RequestId, RequestError> {
        let mailbox = mailbox(name)?;
        let body = if read_only {
            CommandBody::Examine {
                mailbox,
                parameters: Vec::new(),
            }
        } else {
            CommandBody::Select {
                mailbox,
                parameters: Vec::new(),
            }
        };
        let selected = SelectedMailbox {
            name: name.to_owned(),
            read_only,
            ..SelectedMailbox::default()
        };
        Ok(self.enqueue(body, Work::Select(selected)))
    }

    /// Summaries (flags, envelope, dates, size, structure) of the messages with UIDs
    /// `first..=last` (`last = None`: to the newest).
    pub fn fetch_summaries(
        &mut self,
        first: u32,
        last: Option<u32>,
    ) -> Result<RequestId, RequestError> {
        let items = vec![
            MessageDataItemName::Uid,
            MessageDataItemName::Flags,
            MessageDataItemName::Envelope,
            MessageDataItemName::InternalDate,
            MessageDataItemName::Rfc822Size,
            MessageDataItemName::BodyStructure,
        ];
        let body = CommandBody::fetch(uid_range(first, last)?, items, true)
            .map_err(|_| RequestError::InvalidArgument("this UID range"))?;
        Ok(self.enqueue(body, Work::Summaries(Vec::new())))
    }

    /// One body section (`[]` for the whole message, `[1, 2]` for part 1.2) without
    /// setting `\Seen`.
    pub fn fetch_section(&mut self, uid: u32, part: &[u32]) -> Result<RequestId, RequestError> {
        let section = match part {
            [] => None,
            numbers => {
                let numbers: Vec<NonZeroU32> = numbers
                    .iter()
                    .map(|&n| NonZeroU32::new(n))
                    .collect::<Option<_>>()
                    .ok_or(RequestError::InvalidArgument("part number 0"))?;
                let numbers = Vec1::try_from(numbers).expect("checked non-empty above");
                Some(Section::Part(Part(numbers)))
            }
        };
        let items = vec![
            MessageDataItemName::Uid,
            MessageDataItemName::BodyExt {
                section,
                partial: None,
                peek: true,
            },
        ];
        let body = CommandBody::fetch(uid_range(uid, Some(uid))?, items, true)
            .map_err(|_| RequestError::InvalidArgument("this UID"))?;
        Ok(self.enqueue(body, Work::Section { uid, data: None }))
    }

    /// UID STORE of flags (`\Seen`, `\Flagged`, keywords...) on `first..=last`.
    pub fn store_flags(
        &mut self,
        first: u32,
        last: Option<u32>,
        operation: FlagOperation,
        flags: &[&str],
    ) -> Result<RequestId, RequestError> {
        let flags: Vec<Flag<'static>> = flags
            .iter()
            .map(|f| Flag::try_from(*f).map(IntoStatic::into_static))
            .collect::<Result<_, _>>()
            .map_err(|_| RequestError::InvalidArgument("this flag"))?;
        let kind = match operation {
            FlagOperation::Add => StoreType::Add,
            FlagOperation::Remove => StoreType::Remove,
            FlagOperation::Replace => StoreType::Replace,
        };
        let body = CommandBody::store(
            uid_range(first, last)?,
            kind,
            StoreResponse::Answer,
            flags,
            true,
        )
        .map_err(|_| RequestError::InvalidArgument("this UID range"))?;
        Ok(self.enqueue(body, Work::Store(Vec::new())))
    }

    /// IDLE: completes (with [`Outcome::Done`]) after [`Session::idle_done`].
    pub fn idle(&mut self) -> RequestId {
        let tag = self.tag();
        let command = Command::new(
            Tag::try_from(tag.clone()).expect("tags are atoms"),
            CommandBody::Idle,
        )
        .expect("generated tags are valid");
        let handle = self.flow.enqueue_command(command);
        self.idle = Some((handle, tag.clone()));
        let id = self.request_id();
        self.pending.push(Pending {
            id,
            tag,
            work: Work::Plain,
        });
        id
    }

    /// Ends IDLE (sends DONE).
    pub fn idle_done(&mut self) -> Result<(), RequestError> {
        self.flow
            .set_idle_done()
            .map(|_| ())
            .ok_or(RequestError::NotIdling)
    }

    // ---- bookkeeping ----------------------------------------------------------

    fn tag(&mut self) -> String {
        let tag = format!("P{}", self.next_tag);
        self.next_tag += 1;
        tag
    }

    fn request_id(&mut self) -> RequestId {
        let id = RequestId(self.next_id);
        self.next_id += 1;
        id
    }

    fn enqueue(&mut self, body: CommandBody<'static>, work: Work) -> RequestId {
        let tag = self.tag();
        let command = Command::new(Tag::try_from(tag.clone()).expect("tags are atoms"), body)
            .expect("generated tags are valid");
        self.flow.enqueue_command(command);
        let id = self.request_id();
        self.pending.push(Pending { id, tag, work });
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

    fn complete(&mut self, tag: &str, kind: StatusKind, code: Option<&Code<'_>>, text: String) {
        let Some(index) = self.pending.iter().position(|p| p.tag == tag) else {
            return; // a tag we never sent: nothing to complete
        };
        let pending = self.pending.remove(index);
        if self.idle.as_ref().is_some_and(|(_, t)| t == tag) {
            self.idle = None;
        }
        let result = if kind == StatusKind::Ok {
            Ok(match pending.work {
                Work::Capability => Outcome::Capabilities(self.capabilities.clone()),
                Work::Authenticate | Work::Plain => Outcome::Done,
                Work::List(mailboxes) => Outcome::Mailboxes(mailboxes),
                Work::Select(mut selected) => {
                    if let Some(code) = code {
                        selected.absorb_code(code);
                    }
                    self.selected = Some(selected.clone());
                    Outcome::Selected(selected)
                }
                Work::Summaries(rows) => Outcome::Summaries(rows),
                Work::Section { data, .. } => Outcome::Section(data),
                Work::Store(updates) => Outcome::FlagsChanged(updates),
            })
        } else {
            if matches!(pending.work, Work::Select(_)) {
                self.selected = None; // a failed SELECT leaves no mailbox selected
            }
            Err(CommandError::new(kind, code, text))
        };
        self.events.push_back(Event::Completed {
            id: pending.id,
            result,
        });
    }

    fn absorb_capability_code(&mut self, code: Option<&Code<'_>>) {
        if let Some(Code::Capability(capabilities)) = code {
            self.capabilities = capabilities
                .as_ref()
                .iter()
                .map(|c| c.to_string().to_ascii_uppercase())
                .collect();
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
            FlowEvent::StatusReceived { status } => self.handle_status(status),
            FlowEvent::AuthenticateStatusReceived { status, .. } => self.handle_status(status),
            FlowEvent::CommandRejected {
                command, status, ..
            } => {
                let (kind, code, text) = match &status {
                    Status::Tagged(t) => {
                        (t.body.kind, t.body.code.clone(), t.body.text.to_string())
                    }
                    Status::Untagged(b) => (b.kind, b.code.clone(), b.text.to_string()),
                    Status::Bye(b) => (StatusKind::No, b.code.clone(), b.text.to_string()),
                };
                self.complete(command.tag.inner(), kind, code.as_ref(), text);
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
                    let (kind, code, text) = match &status {
                        Status::Tagged(t) => {
                            (t.body.kind, t.body.code.clone(), t.body.text.to_string())
                        }
                        Status::Untagged(b) => (b.kind, b.code.clone(), b.text.to_string()),
                        Status::Bye(b) => (StatusKind::No, b.code.clone(), b.text.to_string()),
                    };
                    self.complete(&tag, kind, code.as_ref(), text);
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

    fn selecting(&mut self) -> Option<&mut SelectedMailbox> {
        self.pending.iter_mut().find_map(|p| match &mut p.work {
            Work::Select(selected) => Some(selected),
            _ => None,
        })
    }

    fn handle_data(&mut self, data: Data<'static>) {
        match data {
            Data::Capability(capabilities) => {
                self.capabilities = capabilities
                    .as_ref()
                    .iter()
                    .map(|c| c.to_string().to_ascii_uppercase())
                    .collect();
            }
            Data::List {
                items,
                delimiter,
                mailbox,
            } => {
                let wire_name = match &mailbox {
                    Mailbox::Inbox => "INBOX".to_owned(),
                    Mailbox::Other(other) => String::from_utf8_lossy(other.as_ref()).into_owned(),
                };
                let info = MailboxInfo::new(wire_name, delimiter.map(|d| d.inner()), &items);
                if let Some(list) = self.pending.iter_mut().find_map(|p| match &mut p.work {
                    Work::List(list) => Some(list),
                    _ => None,
                }) {
                    list.push(info);
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
                self.events
                    .push_back(Event::Changed(MailboxChange::Vanished {
                        uids: outcome::uid_ranges(&known_uids),
                        earlier,
                    }));
            }
            Data::Fetch { seq, items } => self.handle_fetch(seq, items.into_inner()),
            _ => {}
        }
    }

    /// A FETCH response is an answer to a pending FETCH or STORE when it carries what
    /// that request asked for; otherwise it is news (another client changed flags).
    fn handle_fetch(&mut self, seq: NonZeroU32, items: Vec<MessageDataItem<'static>>) {
        let uid = outcome::uid_of(&items);
        let section = items.iter().find_map(|i| match i {
            MessageDataItem::BodyExt { data, .. } => {
                Some(data.0.as_ref().map(|d| d.as_ref().to_vec()))
            }
            _ => None,
        });
        if let Some(section) = section {
            let wanted = self.pending.iter_mut().find_map(|p| match &mut p.work {
                Work::Section { uid: wanted, data } if Some(*wanted) == uid => Some(data),
                _ => None,
            });
            if let Some(data) = wanted {
                *data = section;
                return;
            }
        }
        if items
            .iter()
            .any(|i| matches!(i, MessageDataItem::Envelope(_)))
        {
            let rows = self.pending.iter_mut().find_map(|p| match &mut p.work {
                Work::Summaries(rows) => Some(rows),
                _ => None,
            });
            if let (Some(rows), Some(summary)) = (rows, outcome::summary(&items)) {
                rows.push(summary);
                return;
            }
        }
        let Some(update) = outcome::flag_update(seq, &items) else {
            return;
        };
        let store = self.pending.iter_mut().find_map(|p| match &mut p.work {
            Work::Store(updates) => Some(updates),
            _ => None,
        });
        match store {
            Some(updates) => updates.push(update),
            None => self
                .events
                .push_back(Event::Changed(MailboxChange::Flags(update))),
        }
    }
}

fn mailbox(name: &str) -> Result<Mailbox<'static>, RequestError> {
    if name.eq_ignore_ascii_case("INBOX") {
        return Ok(Mailbox::Inbox);
    }
    Mailbox::try_from(utf7::encode(name))
        .map_err(|_| RequestError::InvalidArgument("this folder name"))
}

fn uid_range(first: u32, last: Option<u32>) -> Result<SequenceSet, RequestError> {
    let text = match last {
        Some(last) => format!("{first}:{last}"),
        None => format!("{first}:*"),
    };
    SequenceSet::try_from(text.as_str())
        .map_err(|_| RequestError::InvalidArgument("this UID range"))
}
