//! [`Session`]: the sans-IO SMTP submission client.
//!
//! Requests run one after another. Sending a message is one request: MAIL FROM and
//! every RCPT TO go out together when the server offers PIPELINING (RFC 2920), one by
//! one otherwise; DATA waits until every recipient was answered, so a message is
//! never sent when a recipient was refused (the transaction is reset instead, and
//! the refusal names each refused recipient).

use std::collections::VecDeque;

use super::extensions::Extensions;
use super::reply::{Reply, ReplyError, ReplyReader};
use super::rfc4954;
use super::rfc5321::{Command, CommandError, DotStuffer, MailParameters, Mailbox};

/// How much of a message goes into one write: big messages go out in pieces the
/// transport can pace.
const CHUNK: usize = 64 << 10;

/// Identifies one request until its [`Event::Completed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(u64);

/// What [`Session::progress`] asks of the caller next.
pub type Step = crate::engine::Step<Event>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The server is ready (220).
    Greeting(Reply),
    /// The server refused the connection in its greeting (554).
    Rejected(Reply),
    /// The server is closing the connection (421) while no request was running.
    Closing(Reply),
    Completed {
        id: RequestId,
        result: Result<Outcome, Refusal>,
    },
}

/// What a successful request returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// EHLO: what the server offers.
    Extensions(Extensions),
    /// The message was accepted for every recipient; the reply usually names the
    /// server's queue id.
    Sent(Reply),
    Done,
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The server refused a command.
    #[error("{}", .0.describe())]
    Reply(Reply),
    /// The server refused these recipients; nothing was sent to anyone.
    #[error("{}", describe_recipients(.0))]
    Recipients(Vec<(Mailbox, Reply)>),
}

fn describe_recipients(refused: &[(Mailbox, Reply)]) -> String {
    let each: Vec<String> = refused
        .iter()
        .map(|(to, reply)| format!("{to}: {}", reply.describe()))
        .collect();
    format!(
        "The message was not sent: the server refused {} recipient(s). {}",
        refused.len(),
        each.join(" ")
    )
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error(transparent)]
    Reply(#[from] ReplyError),
    #[error("the server sent a reply nobody asked for: {0}")]
    Unsolicited(String),
}

/// A message to send: envelope and content.
#[derive(Debug, Clone)]
struct Transaction {
    from: Mailbox,
    to: Vec<Mailbox>,
    parameters: MailParameters,
    message: Vec<u8>,
}

/// A request waiting its turn.
#[derive(Debug)]
enum Work {
    Ehlo(String),
    AuthPlain(String),
    AuthLogin { user: String, password: String },
    Send(Transaction),
    Single(Command),
}

/// Where the running request is.
#[derive(Debug)]
enum Stage {
    /// One command sent; its reply completes the request.
    Single,
    Ehlo {
        domain: String,
        tried_helo: bool,
    },
    /// AUTH LOGIN: the user name, then the password, each after a 334.
    AuthLogin {
        answers: VecDeque<String>,
    },
    Envelope {
        transaction: Transaction,
        /// Envelope commands not sent yet (lockstep).
        unsent: VecDeque<Command>,
        mail: Option<Reply>,
        replies: Vec<(Mailbox, Reply)>,
    },
    /// Waiting for 354.
    Data {
        message: Vec<u8>,
    },
    /// The text is out; waiting for the verdict.
    Body,
    /// A RSET after a refusal; its reply ends the request with the refusal.
    Reset(Refusal),
}

pub struct Session {
    reader: ReplyReader,
    greeted: bool,
    extensions: Option<Extensions>,
    lockstep: bool,
    queue: VecDeque<(RequestId, Work)>,
    active: Option<(RequestId, Stage)>,
    out: VecDeque<Vec<u8>>,
    events: VecDeque<Event>,
    next_id: u64,
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl Session {
    /// A session waiting for the greeting.
    pub fn new() -> Session {
        Session {
            reader: ReplyReader::default(),
            greeted: false,
            extensions: None,
            lockstep: false,
            queue: VecDeque::new(),
            active: None,
            out: VecDeque::new(),
            events: VecDeque::new(),
            next_id: 1,
        }
    }

    /// What the last EHLO announced.
    pub fn extensions(&self) -> Option<&Extensions> {
        self.extensions.as_ref()
    }

    /// Sends envelope commands one at a time even when the server pipelines.
    pub fn set_lockstep(&mut self, lockstep: bool) {
        self.lockstep = lockstep;
    }

    fn pipelining(&self) -> bool {
        !self.lockstep && self.extensions.as_ref().is_some_and(|e| e.pipelining)
    }

    pub fn receive(&mut self, bytes: &[u8]) {
        self.reader.push(bytes);
    }

    pub fn progress(&mut self) -> Result<Step, ProtocolError> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Ok(Step::Event(event));
            }
            if let Some(bytes) = self.out.pop_front() {
                return Ok(Step::Send(bytes));
            }
            if self.greeted && self.active.is_none() && self.start_next() {
                continue;
            }
            let Some(reply) = self.reader.next_reply()? else {
                return Ok(Step::NeedInput);
            };
            self.handle(reply)?;
        }
    }

    // ---- requests ---------------------------------------------------------------

    /// EHLO (falling back to HELO for a server that knows no EHLO).
    pub fn ehlo(&mut self, domain: &str) -> Result<RequestId, CommandError> {
        Command::ehlo(domain)?;
        Ok(self.request(Work::Ehlo(domain.to_owned())))
    }

    /// AUTH PLAIN with an initial response.
    pub fn auth_plain(&mut self, user: &str, password: &str) -> Result<RequestId, CommandError> {
        Ok(self.request(Work::AuthPlain(rfc4954::plain(user, password)?)))
    }

    /// AUTH LOGIN.
    pub fn auth_login(&mut self, user: &str, password: &str) -> Result<RequestId, CommandError> {
        Ok(self.request(Work::AuthLogin {
            user: rfc4954::login_step(user)?,
            password: rfc4954::login_step(password)?,
        }))
    }

    /// Signs in with the best mechanism the server offers (PLAIN, else LOGIN).
    pub fn authenticate(&mut self, user: &str, password: &str) -> Result<RequestId, CommandError> {
        let offers = |m: &str| {
            self.extensions
                .as_ref()
                .is_some_and(|e| e.auth.iter().any(|a| a == m))
        };
        if !offers("PLAIN") && offers("LOGIN") {
            self.auth_login(user, password)
        } else {
            self.auth_plain(user, password)
        }
    }

    /// Sends `message` (CRLF line ends; dot-stuffed here) from `from` to every
    /// address in `to`. Checked now against what EHLO announced: a message over the
    /// server's SIZE, or a non-ASCII address without SMTPUTF8, is refused before
    /// anything goes on the wire.
    pub fn send(
        &mut self,
        from: &Mailbox,
        to: &[Mailbox],
        message: Vec<u8>,
    ) -> Result<RequestId, CommandError> {
        if to.is_empty() {
            return Err(CommandError::NoRecipients);
        }
        let extensions = self.extensions.clone().unwrap_or_default();
        let size = message.len() as u64;
        if let Some(limit) = extensions.size
            && size > limit
        {
            return Err(CommandError::TooBig { size, limit });
        }
        let needs_utf8 = std::iter::once(from).chain(to).find(|m| !m.is_ascii());
        if let Some(address) = needs_utf8
            && !extensions.smtputf8
        {
            return Err(CommandError::NeedsSmtpUtf8(address.to_string()));
        }
        let parameters = MailParameters {
            size: extensions.size.map(|_| size),
            eight_bit: extensions.eight_bit_mime && !message.is_ascii(),
            smtputf8: needs_utf8.is_some(),
        };
        Ok(self.request(Work::Send(Transaction {
            from: from.clone(),
            to: to.to_vec(),
            parameters,
            message,
        })))
    }

    pub fn rset(&mut self) -> RequestId {
        self.request(Work::Single(Command::Rset))
    }

    pub fn noop(&mut self) -> RequestId {
        self.request(Work::Single(Command::Noop))
    }

    pub fn quit(&mut self) -> RequestId {
        self.request(Work::Single(Command::Quit))
    }

    // ---- machinery --------------------------------------------------------------

    fn request(&mut self, work: Work) -> RequestId {
        let id = RequestId(self.next_id);
        self.next_id += 1;
        self.queue.push_back((id, work));
        id
    }

    fn write(&mut self, command: &Command) {
        self.out.push_back(command.encode());
    }

    /// Starts the next queued request; false if there is none.
    fn start_next(&mut self) -> bool {
        let Some((id, work)) = self.queue.pop_front() else {
            return false;
        };
        let stage = match work {
            Work::Ehlo(domain) => {
                self.write(&Command::Ehlo(domain.clone()));
                Stage::Ehlo {
                    domain,
                    tried_helo: false,
                }
            }
            Work::AuthPlain(initial) => {
                self.write(&Command::Auth {
                    mechanism: "PLAIN",
                    initial: Some(initial),
                });
                Stage::Single
            }
            Work::AuthLogin { user, password } => {
                self.write(&Command::Auth {
                    mechanism: "LOGIN",
                    initial: None,
                });
                Stage::AuthLogin {
                    answers: VecDeque::from([user, password]),
                }
            }
            Work::Send(transaction) => {
                let mut unsent: VecDeque<Command> = std::iter::once(Command::MailFrom {
                    from: transaction.from.clone(),
                    parameters: transaction.parameters.clone(),
                })
                .chain(transaction.to.iter().cloned().map(Command::RcptTo))
                .collect();
                if self.pipelining() {
                    let group: Vec<u8> = unsent.drain(..).flat_map(|c| c.encode()).collect();
                    self.out.push_back(group);
                } else if let Some(first) = unsent.pop_front() {
                    self.write(&first);
                }
                Stage::Envelope {
                    transaction,
                    unsent,
                    mail: None,
                    replies: Vec::new(),
                }
            }
            Work::Single(command) => {
                self.write(&command);
                Stage::Single
            }
        };
        self.active = Some((id, stage));
        true
    }

    fn complete(&mut self, id: RequestId, result: Result<Outcome, Refusal>) {
        self.active = None;
        self.events.push_back(Event::Completed { id, result });
    }

    fn handle(&mut self, reply: Reply) -> Result<(), ProtocolError> {
        if !self.greeted {
            if reply.code == 220 {
                self.greeted = true;
                self.events.push_back(Event::Greeting(reply));
            } else {
                self.events.push_back(Event::Rejected(reply));
            }
            return Ok(());
        }
        let Some((id, stage)) = self.active.take() else {
            if reply.code == 421 {
                self.events.push_back(Event::Closing(reply));
                return Ok(());
            }
            return Err(ProtocolError::Unsolicited(format!(
                "{} {}",
                reply.code,
                reply.text()
            )));
        };
        match stage {
            Stage::Single => {
                let result = if reply.is_positive() {
                    Ok(Outcome::Done)
                } else {
                    Err(Refusal::Reply(reply))
                };
                self.complete(id, result);
            }
            Stage::Ehlo { domain, tried_helo } => {
                if reply.is_positive() {
                    let extensions = if tried_helo {
                        Extensions::default()
                    } else {
                        Extensions::parse(&reply.lines)
                    };
                    self.extensions = Some(extensions.clone());
                    self.complete(id, Ok(Outcome::Extensions(extensions)));
                } else if !tried_helo && matches!(reply.code, 500 | 502) {
                    self.write(&Command::Helo(domain.clone()));
                    self.active = Some((
                        id,
                        Stage::Ehlo {
                            domain,
                            tried_helo: true,
                        },
                    ));
                } else {
                    self.complete(id, Err(Refusal::Reply(reply)));
                }
            }
            Stage::AuthLogin { mut answers } => {
                if reply.code == 334
                    && let Some(answer) = answers.pop_front()
                {
                    self.write(&Command::AuthResponse(answer));
                    self.active = Some((id, Stage::AuthLogin { answers }));
                } else if reply.is_positive() && answers.is_empty() {
                    self.complete(id, Ok(Outcome::Done));
                } else if reply.code == 334 {
                    // A third prompt: cancel the exchange (RFC 4954 §4).
                    self.write(&Command::AuthResponse("*".into()));
                    self.active = Some((id, Stage::AuthLogin { answers }));
                } else {
                    self.complete(id, Err(Refusal::Reply(reply)));
                }
            }
            Stage::Envelope {
                transaction,
                mut unsent,
                mut mail,
                mut replies,
            } => {
                if mail.is_none() {
                    let refused = !reply.is_positive();
                    mail = Some(reply);
                    if refused && !unsent.is_empty() {
                        // Lockstep: no RCPT after a refused MAIL.
                        unsent.clear();
                        let mail = mail.expect("just set");
                        self.complete(id, Err(Refusal::Reply(mail)));
                        return Ok(());
                    }
                } else {
                    let to = transaction.to[replies.len()].clone();
                    replies.push((to, reply));
                }
                if replies.len() < transaction.to.len() {
                    if let Some(next) = unsent.pop_front() {
                        self.write(&next);
                    }
                    self.active = Some((
                        id,
                        Stage::Envelope {
                            transaction,
                            unsent,
                            mail,
                            replies,
                        },
                    ));
                    return Ok(());
                }
                let mail = mail.expect("the first reply is MAIL's");
                if !mail.is_positive() {
                    // Pipelined RCPTs after a refused MAIL were refused too; no
                    // transaction is open.
                    self.complete(id, Err(Refusal::Reply(mail)));
                    return Ok(());
                }
                let refused: Vec<(Mailbox, Reply)> = replies
                    .into_iter()
                    .filter(|(_, r)| !r.is_positive())
                    .collect();
                if refused.is_empty() {
                    self.write(&Command::Data);
                    self.active = Some((
                        id,
                        Stage::Data {
                            message: transaction.message,
                        },
                    ));
                } else {
                    self.write(&Command::Rset);
                    self.active = Some((id, Stage::Reset(Refusal::Recipients(refused))));
                }
            }
            Stage::Data { message } => {
                if reply.code == 354 {
                    let mut stuffer = DotStuffer::default();
                    for piece in message.chunks(CHUNK) {
                        let mut bytes = Vec::new();
                        stuffer.stuff(piece, &mut bytes);
                        self.out.push_back(bytes);
                    }
                    let mut end = Vec::new();
                    stuffer.finish(&mut end);
                    self.out.push_back(end);
                    self.active = Some((id, Stage::Body));
                } else {
                    self.write(&Command::Rset);
                    self.active = Some((id, Stage::Reset(Refusal::Reply(reply))));
                }
            }
            Stage::Body => {
                let result = if reply.is_positive() {
                    Ok(Outcome::Sent(reply))
                } else {
                    Err(Refusal::Reply(reply))
                };
                self.complete(id, result);
            }
            Stage::Reset(refusal) => self.complete(id, Err(refusal)),
        }
        Ok(())
    }
}

crate::engine::impl_engine!(Session, Event, ProtocolError, RequestId, Outcome, Refusal);
