//! [`Session`]: the sans-IO POP3 client.
//!
//! Requests queue commands; the session sends them all at once when the server
//! announced PIPELINING (RFC 2449 §6.6) and one at a time otherwise (or when told to
//! with [`Session::set_lockstep`]). Responses are matched to commands in order, which
//! is all POP3 offers: there are no tags.

use std::collections::VecDeque;

use super::response::{ReadError, Reader, StatusLine};
use super::rfc1939::{Command, CommandError, apop_timestamp, numbered_line};
use super::rfc2449::{Capabilities, ResponseCode};
use super::rfc5034::auth_plain;

/// Identifies one request until its [`Event::Completed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(u64);

/// What [`Session::progress`] asks of the caller next.
pub type Step = crate::engine::Step<Event>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The server is ready. `apop_timestamp` is set when it offers APOP.
    Greeting {
        text: String,
        apop_timestamp: Option<String>,
    },
    /// The server refused the connection in its greeting.
    Rejected(Refusal),
    Completed {
        id: RequestId,
        result: Result<Outcome, Refusal>,
    },
}

/// What a successful request returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Capabilities(Capabilities),
    /// STAT: messages and their total size in octets.
    Stat {
        count: u32,
        size: u64,
    },
    /// LIST: message number and size.
    Sizes(Vec<(u32, u64)>),
    /// UIDL: message number and unique id (stable across sessions).
    UniqueIds(Vec<(u32, String)>),
    /// RETR or TOP: the message (or its top), unstuffed, CRLF line ends as sent.
    Message(Vec<u8>),
}

/// A `-ERR` answer, with its RFC 2449 response code when the server gave one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct Refusal {
    pub code: Option<ResponseCode>,
    pub text: String,
}

impl Refusal {
    fn from_text(text: &str) -> Refusal {
        let (code, text) = ResponseCode::split(text);
        Refusal {
            code,
            text: text.to_owned(),
        }
    }

    /// The server's text, with a plain explanation when the code says more.
    pub fn describe(&self) -> String {
        match self.code.as_ref().and_then(ResponseCode::explanation) {
            Some(explanation) => format!("{explanation} (the server said: {})", self.text),
            None => self.text.clone(),
        }
    }
}

/// The server sent something that is not POP3.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("the server sent {line:?} at byte {at}, where a +OK or -ERR line belongs")]
    NotAStatus { at: u64, line: String },
    #[error("the server sent a line of more than 8 KiB at byte {at}")]
    LineTooLong { at: u64 },
    #[error("a response at byte {at} exceeds the {limit}-byte limit")]
    TooLong { at: u64, limit: usize },
    #[error("the server answered a command nobody sent")]
    Unsolicited,
}

impl From<ReadError> for ProtocolError {
    fn from(error: ReadError) -> Self {
        match error {
            ReadError::NotAStatus { at, line } => ProtocolError::NotAStatus { at, line },
            ReadError::LineTooLong { at } => ProtocolError::LineTooLong { at },
            ReadError::BodyTooLong { at, limit } => ProtocolError::TooLong { at, limit },
        }
    }
}

/// A command on its way or on the wire, and the request it belongs to.
struct Exchange {
    id: RequestId,
    command: Command,
    /// The request's last command: its answer completes the request.
    last: bool,
}

pub struct Session {
    reader: Reader,
    max_response: usize,
    greeted: bool,
    capabilities: Option<Capabilities>,
    lockstep: bool,
    queue: VecDeque<Exchange>,
    in_flight: VecDeque<Exchange>,
    /// The status and body of the multi-line answer being read.
    reading: Option<Vec<u8>>,
    /// Requests that failed part-way: their later answers are read and dropped.
    failed: Vec<RequestId>,
    events: VecDeque<Event>,
    next_id: u64,
}

impl Session {
    /// A session waiting for the greeting; one message or listing may be at most
    /// `max_response` bytes.
    pub fn new(max_response: usize) -> Session {
        Session {
            reader: Reader::new(),
            max_response,
            greeted: false,
            capabilities: None,
            lockstep: false,
            queue: VecDeque::new(),
            in_flight: VecDeque::new(),
            reading: None,
            failed: Vec::new(),
            events: VecDeque::new(),
            next_id: 1,
        }
    }

    /// Capabilities from the last CAPA, if asked.
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.capabilities.as_ref()
    }

    /// Sends one command at a time even when the server offers PIPELINING.
    pub fn set_lockstep(&mut self, lockstep: bool) {
        self.lockstep = lockstep;
    }

    /// Whether commands are currently pipelined.
    pub fn pipelining(&self) -> bool {
        !self.lockstep && self.capabilities.as_ref().is_some_and(|c| c.pipelining)
    }

    pub fn receive(&mut self, bytes: &[u8]) {
        self.reader.push(bytes);
    }

    pub fn progress(&mut self) -> Result<Step, ProtocolError> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Ok(Step::Event(event));
            }
            if let Some(bytes) = self.commands_to_send() {
                return Ok(Step::Send(bytes));
            }
            if !self.read_one()? {
                return Ok(Step::NeedInput);
            }
        }
    }

    // ---- requests ---------------------------------------------------------------

    pub fn capa(&mut self) -> RequestId {
        self.request(vec![Command::Capa])
    }

    /// USER then PASS.
    pub fn login(&mut self, user: &str, password: &str) -> Result<RequestId, CommandError> {
        Ok(self.request(vec![Command::user(user)?, Command::pass(password)?]))
    }

    /// AUTH PLAIN with an initial response (RFC 5034).
    pub fn auth_plain(&mut self, user: &str, password: &str) -> Result<RequestId, CommandError> {
        Ok(self.request(vec![auth_plain(user, password)?]))
    }

    pub fn apop(&mut self, name: &str, digest: &str) -> Result<RequestId, CommandError> {
        Ok(self.request(vec![Command::apop(name, digest)?]))
    }

    pub fn stat(&mut self) -> RequestId {
        self.request(vec![Command::Stat])
    }

    /// LIST (all messages), or LIST n.
    pub fn list(&mut self, message: Option<u32>) -> Result<RequestId, CommandError> {
        Ok(self.request(vec![Command::list(message)?]))
    }

    /// UIDL (all messages), or UIDL n.
    pub fn uidl(&mut self, message: Option<u32>) -> Result<RequestId, CommandError> {
        Ok(self.request(vec![Command::uidl(message)?]))
    }

    /// TOP n lines: headers and the first `lines` body lines (0: headers only).
    pub fn top(&mut self, message: u32, lines: u32) -> Result<RequestId, CommandError> {
        Ok(self.request(vec![Command::top(message, lines)?]))
    }

    pub fn retr(&mut self, message: u32) -> Result<RequestId, CommandError> {
        Ok(self.request(vec![Command::retr(message)?]))
    }

    /// Marks a message deleted; the server removes it only at QUIT.
    pub fn dele(&mut self, message: u32) -> Result<RequestId, CommandError> {
        Ok(self.request(vec![Command::dele(message)?]))
    }

    /// Unmarks every message marked deleted in this session.
    pub fn rset(&mut self) -> RequestId {
        self.request(vec![Command::Rset])
    }

    pub fn noop(&mut self) -> RequestId {
        self.request(vec![Command::Noop])
    }

    /// Ends the session; deletions take effect now (RFC 1939 §6, UPDATE state).
    pub fn quit(&mut self) -> RequestId {
        self.request(vec![Command::Quit])
    }

    // ---- machinery --------------------------------------------------------------

    fn request(&mut self, commands: Vec<Command>) -> RequestId {
        let id = RequestId(self.next_id);
        self.next_id += 1;
        let count = commands.len();
        for (i, command) in commands.into_iter().enumerate() {
            self.queue.push_back(Exchange {
                id,
                command,
                last: i + 1 == count,
            });
        }
        id
    }

    /// The commands that may go out now: all queued ones when pipelining, else the
    /// next one once nothing is in flight. Nothing before the greeting.
    fn commands_to_send(&mut self) -> Option<Vec<u8>> {
        if !self.greeted || self.queue.is_empty() {
            return None;
        }
        let mut bytes = Vec::new();
        if self.pipelining() {
            while let Some(exchange) = self.queue.pop_front() {
                bytes.extend(exchange.command.encode());
                self.in_flight.push_back(exchange);
            }
        } else if self.in_flight.is_empty() {
            let exchange = self.queue.pop_front().expect("checked non-empty");
            bytes.extend(exchange.command.encode());
            self.in_flight.push_back(exchange);
        }
        (!bytes.is_empty()).then_some(bytes)
    }

    /// Reads one status line or one piece of body; false when more input is needed.
    fn read_one(&mut self) -> Result<bool, ProtocolError> {
        if !self.greeted {
            let Some(status) = self.reader.status()? else {
                return Ok(false);
            };
            self.greeted = status.ok;
            self.events.push_back(if status.ok {
                Event::Greeting {
                    apop_timestamp: apop_timestamp(&status.text).map(str::to_owned),
                    text: status.text,
                }
            } else {
                Event::Rejected(Refusal::from_text(&status.text))
            });
            return Ok(true);
        }
        if let Some(mut body) = self.reading.take() {
            let done = self.reader.body(&mut body, self.max_response)?;
            if !done {
                self.reading = Some(body);
                return Ok(false);
            }
            let exchange = self
                .in_flight
                .pop_front()
                .expect("a body belongs to a command in flight");
            self.answered(exchange, Ok(body));
            return Ok(true);
        }
        let Some(status) = self.reader.status()? else {
            return Ok(false);
        };
        let Some(exchange) = self.in_flight.front() else {
            return Err(ProtocolError::Unsolicited);
        };
        if status.ok && exchange.command.is_multiline() {
            // The answer goes on in a body; the status line of CAPA, LIST, UIDL, TOP
            // and RETR carries nothing the caller needs.
            self.reading = Some(Vec::new());
            return Ok(true);
        }
        let exchange = self.in_flight.pop_front().expect("checked above");
        self.answered(
            exchange,
            if status.ok {
                Ok(status_body(&status))
            } else {
                Err(status)
            },
        );
        Ok(true)
    }

    /// One command's answer: completes its request, or moves it along.
    fn answered(&mut self, exchange: Exchange, answer: Result<Vec<u8>, StatusLine>) {
        if self.failed.contains(&exchange.id) {
            if exchange.last {
                self.failed.retain(|id| *id != exchange.id);
            }
            return;
        }
        let result = match answer {
            Err(status) => {
                if !exchange.last {
                    // Later commands of this request must not run (PASS after a failed
                    // USER): drop them if unsent, ignore their answers if pipelined.
                    self.queue.retain(|e| e.id != exchange.id);
                    if self.in_flight.iter().any(|e| e.id == exchange.id) {
                        self.failed.push(exchange.id);
                    }
                }
                Err(Refusal::from_text(&status.text))
            }
            Ok(_) if !exchange.last => return,
            Ok(body) => Ok(self.outcome(&exchange.command, body)),
        };
        self.events.push_back(Event::Completed {
            id: exchange.id,
            result,
        });
    }

    fn outcome(&mut self, command: &Command, body: Vec<u8>) -> Outcome {
        let text = || String::from_utf8_lossy(&body).into_owned();
        match command {
            Command::Capa => {
                let text = text();
                let lines: Vec<&str> = text.lines().collect();
                let capabilities = Capabilities::parse(&lines);
                self.capabilities = Some(capabilities.clone());
                Outcome::Capabilities(capabilities)
            }
            Command::Stat => {
                let text = text();
                let mut words = text.split_whitespace();
                let count = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
                let size = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
                Outcome::Stat { count, size }
            }
            Command::List(_) => Outcome::Sizes(
                text()
                    .lines()
                    .filter_map(numbered_line)
                    .filter_map(|(n, size)| {
                        Some((n, size.split_whitespace().next()?.parse().ok()?))
                    })
                    .collect(),
            ),
            Command::Uidl(_) => Outcome::UniqueIds(
                text()
                    .lines()
                    .filter_map(numbered_line)
                    .map(|(n, uid)| (n, uid.split_whitespace().next().unwrap_or(uid).to_owned()))
                    .collect(),
            ),
            Command::Top { .. } | Command::Retr(_) => Outcome::Message(body),
            _ => Outcome::Done,
        }
    }
}

/// For single-line answers that carry data (`+OK 2 320`, `+OK 1 whqtswO00WBw418f9t5JxYwZ`)
/// the text is the data.
fn status_body(status: &StatusLine) -> Vec<u8> {
    status.text.clone().into_bytes()
}

crate::engine::impl_engine!(Session, Event, ProtocolError, RequestId, Outcome, Refusal);
