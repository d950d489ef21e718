//! The typed requests of [`Session`]: each builds its command from typed values and
//! says what the answer should be collected into.

use std::borrow::Cow;
use std::num::{NonZeroU32, NonZeroU64};

use chrono::{DateTime, FixedOffset};
use imap_next::imap_types::IntoStatic;
use imap_next::imap_types::auth::AuthMechanism;
use imap_next::imap_types::command::{CommandBody, FetchModifier, SelectParameter, StoreModifier};
use imap_next::imap_types::core::{AString, Charset, IString, Literal, NString, Vec1};
use imap_next::imap_types::extensions::binary::LiteralOrLiteral8;
use imap_next::imap_types::extensions::enable::CapabilityEnable;
use imap_next::imap_types::extensions::thread::ThreadingAlgorithm;
use imap_next::imap_types::extensions::utf8::Utf8Kind;
use imap_next::imap_types::fetch::{
    MacroOrMessageDataItemNames, MessageDataItemName, Part, Section,
};
use imap_next::imap_types::flag::{Flag, StoreResponse, StoreType};
use imap_next::imap_types::mailbox::Mailbox;
use imap_next::imap_types::response::Code;
use imap_next::imap_types::search::SearchKey;
use imap_next::imap_types::sequence::SequenceSet;
use imap_next::imap_types::status::StatusDataItemName;

use super::{MoveStep, RequestError, RequestId, Session, Work};
use crate::imap::outcome::{CopyUid, MailboxStatus, Outcome, SelectedMailbox};
use crate::imap::search::{SearchQuery, SortBy, search_keys, sort_criteria};
use crate::imap::uid_set::UidSet;
use crate::imap::utf7;

/// Whether a STORE adds, removes or replaces flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOperation {
    Add,
    Remove,
    Replace,
}

/// Extensions a client turns on with ENABLE (RFC 5161).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extension {
    CondStore,
    QResync,
    Utf8Accept,
}

/// What a client remembers of a mailbox to resynchronise it quickly (RFC 7162).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedState {
    pub uid_validity: u32,
    pub highest_modseq: u64,
    /// The UIDs the client has; `None` lets the server assume all up to UIDNEXT.
    pub known_uids: Option<UidSet>,
}

impl Session {
    pub fn capability(&mut self) -> RequestId {
        self.enqueue(CommandBody::Capability, Work::Capability)
    }

    pub fn noop(&mut self) -> RequestId {
        self.enqueue(CommandBody::Noop, Work::Plain)
    }

    pub fn logout(&mut self) -> RequestId {
        self.enqueue(CommandBody::Logout, Work::Plain)
    }

    /// ID (RFC 2971): tells the server who we are, learns who it is.
    pub fn id(&mut self, name: &str, version: &str) -> Result<RequestId, RequestError> {
        let field = |text: &str| {
            IString::try_from(text.to_owned())
                .map_err(|_| RequestError::InvalidArgument("this ID field"))
        };
        let parameters = vec![
            (field("name")?, NString(Some(field(name)?))),
            (field("version")?, NString(Some(field(version)?))),
        ];
        Ok(self.enqueue(
            CommandBody::Id {
                parameters: Some(parameters),
            },
            Work::Id(Vec::new()),
        ))
    }

    /// ENABLE the extensions the server offers among `wanted`; `None` when it offers
    /// none of them (nothing is sent).
    pub fn enable(&mut self, wanted: &[Extension]) -> Option<RequestId> {
        let offered: Vec<CapabilityEnable<'static>> = wanted
            .iter()
            .filter_map(|extension| match extension {
                Extension::CondStore if self.has_capability("CONDSTORE") => {
                    Some(CapabilityEnable::CondStore)
                }
                Extension::QResync if self.has_capability("QRESYNC") => {
                    CapabilityEnable::try_from("QRESYNC")
                        .ok()
                        .map(IntoStatic::into_static)
                }
                Extension::Utf8Accept if self.has_capability("UTF8=ACCEPT") => {
                    Some(CapabilityEnable::Utf8(Utf8Kind::Accept))
                }
                _ => None,
            })
            .collect();
        let capabilities = Vec1::try_from(offered).ok()?;
        Some(self.enqueue(
            CommandBody::Enable { capabilities },
            Work::Enable(Vec::new()),
        ))
    }

    pub fn namespace(&mut self) -> RequestId {
        self.enqueue(CommandBody::Namespace, Work::Namespace(Vec::new()))
    }

    /// LOGIN; refused up front when the server said LOGINDISABLED.
    pub fn login(&mut self, user: &str, password: &str) -> Result<RequestId, RequestError> {
        if self.has_capability("LOGINDISABLED") {
            return Err(RequestError::LoginDisabled);
        }
        let body = CommandBody::login(user.to_owned(), password.to_owned())
            .map_err(|_| RequestError::InvalidArgument("this user name or password"))?;
        Ok(self.enqueue(body, Work::Login { announced: false }))
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
        Ok(self.enqueue(body, Work::Login { announced: false }))
    }

    /// LIST "" "*": every folder, with special-use attributes where the server gives them.
    pub fn list(&mut self) -> RequestId {
        let body = CommandBody::list("", "*").expect("\"\" and \"*\" are valid LIST arguments");
        self.enqueue(body, Work::List(Vec::new()))
    }

    /// STATUS of one folder. Issue one per folder right after LIST: pipelined, all the
    /// counts arrive in one round trip.
    pub fn status(&mut self, name: &str) -> Result<RequestId, RequestError> {
        let mailbox = mailbox(name)?;
        let items: Cow<'static, [StatusDataItemName]> = Cow::Owned(vec![
            StatusDataItemName::Messages,
            StatusDataItemName::Unseen,
            StatusDataItemName::UidNext,
            StatusDataItemName::UidValidity,
        ]);
        let status = MailboxStatus {
            name: utf7_wire(name),
            ..MailboxStatus::default()
        };
        Ok(self.enqueue(
            CommandBody::Status {
                mailbox,
                item_names: items,
            },
            Work::Status(status),
        ))
    }

    pub fn create(&mut self, name: &str) -> Result<RequestId, RequestError> {
        Ok(self.enqueue(
            CommandBody::Create {
                mailbox: mailbox(name)?,
            },
            Work::Plain,
        ))
    }

    pub fn delete(&mut self, name: &str) -> Result<RequestId, RequestError> {
        Ok(self.enqueue(
            CommandBody::Delete {
                mailbox: mailbox(name)?,
            },
            Work::Plain,
        ))
    }

    pub fn rename(&mut self, from: &str, to: &str) -> Result<RequestId, RequestError> {
        let body = CommandBody::Rename {
            from: mailbox(from)?,
            to: mailbox(to)?,
        };
        Ok(self.enqueue(body, Work::Plain))
    }

    pub fn subscribe(&mut self, name: &str) -> Result<RequestId, RequestError> {
        Ok(self.enqueue(
            CommandBody::Subscribe {
                mailbox: mailbox(name)?,
            },
            Work::Plain,
        ))
    }

    pub fn unsubscribe(&mut self, name: &str) -> Result<RequestId, RequestError> {
        Ok(self.enqueue(
            CommandBody::Unsubscribe {
                mailbox: mailbox(name)?,
            },
            Work::Plain,
        ))
    }

    /// SELECT (or EXAMINE when `read_only`) a folder by its display name.
    pub fn select(&mut self, name: &str, read_only: bool) -> Result<RequestId, RequestError> {
        self.select_with(name, read_only, Vec::new())
    }

    /// SELECT with QRESYNC (RFC 7162) from a cached state: the server reports what
    /// vanished since (`Changed(Vanished { earlier: true })`) and the flags that
    /// changed (`Changed(Flags)`), so the cache is current without refetching.
    /// Needs `enable(&[Extension::QResync])` first.
    pub fn select_qresync(
        &mut self,
        name: &str,
        cached: &CachedState,
    ) -> Result<RequestId, RequestError> {
        if !self.is_enabled("QRESYNC") {
            return Err(RequestError::Unsupported("QRESYNC (enable it first)"));
        }
        let parameter = SelectParameter::QResync {
            uid_validity: NonZeroU32::new(cached.uid_validity)
                .ok_or(RequestError::InvalidArgument("UIDVALIDITY 0"))?,
            mod_sequence_value: NonZeroU64::new(cached.highest_modseq)
                .ok_or(RequestError::InvalidArgument("MODSEQ 0"))?,
            known_uids: cached.known_uids.as_ref().map(sequence_set).transpose()?,
            seq_match_data: None,
        };
        self.select_with(name, false, vec![parameter])
    }

    fn select_with(
        &mut self,
        name: &str,
        read_only: bool,
        parameters: Vec<SelectParameter>,
    ) -> Result<RequestId, RequestError> {
        let mailbox = mailbox(name)?;
        let body = if read_only {
            CommandBody::Examine {
                mailbox,
                parameters,
            }
        } else {
            CommandBody::Select {
                mailbox,
                parameters,
            }
        };
        let selected = SelectedMailbox {
            name: name.to_owned(),
            read_only,
            ..SelectedMailbox::default()
        };
        Ok(self.enqueue(body, Work::Select(selected)))
    }

    /// Summaries (flags, envelope, dates, size, structure, References) of `uids`.
    pub fn fetch_summaries(&mut self, uids: &UidSet) -> Result<RequestId, RequestError> {
        self.fetch(
            uids,
            summary_items(),
            Vec::new(),
            Work::Summaries(Vec::new()),
        )
    }

    /// Summaries of the messages at sequence numbers `positions` (`1` is the oldest
    /// message of the selected folder): how a list shows any stretch of a big folder
    /// without knowing its UIDs first.
    pub fn fetch_summaries_at(
        &mut self,
        positions: std::ops::RangeInclusive<u32>,
    ) -> Result<RequestId, RequestError> {
        let (first, last) = positions.into_inner();
        if first == 0 || last < first {
            return Err(RequestError::InvalidArgument("this range of positions"));
        }
        self.fetch_with(
            false,
            &UidSet::range(first, Some(last)),
            summary_items(),
            Vec::new(),
            Work::Summaries(Vec::new()),
        )
    }

    /// The MIME structure of one message, to decide what to fetch to show it
    /// ([`crate::imap::structure::display_plan`]).
    pub fn fetch_structure(&mut self, uid: u32) -> Result<RequestId, RequestError> {
        let items = vec![MessageDataItemName::Uid, MessageDataItemName::BodyStructure];
        self.fetch(
            &UidSet::single(uid),
            items,
            Vec::new(),
            Work::Structure { uid, part: None },
        )
    }

    /// Flags of `uids` that changed after `modseq` (RFC 7162 CHANGEDSINCE).
    pub fn fetch_changed_since(
        &mut self,
        uids: &UidSet,
        modseq: u64,
    ) -> Result<RequestId, RequestError> {
        let modseq = NonZeroU64::new(modseq).ok_or(RequestError::InvalidArgument("MODSEQ 0"))?;
        let items = vec![MessageDataItemName::Uid, MessageDataItemName::Flags];
        self.fetch(
            uids,
            items,
            vec![FetchModifier::ChangedSince(modseq)],
            Work::Flags(Vec::new()),
        )
    }

    /// One body section (`[]`: the whole message; `[1, 2]`: part 1.2) without setting
    /// `\Seen`; `range` fetches only `length` bytes from `offset` (for big parts).
    pub fn fetch_section(
        &mut self,
        uid: u32,
        part: &[u32],
        range: Option<(u32, u32)>,
    ) -> Result<RequestId, RequestError> {
        let section = match part {
            [] => None,
            numbers => Some(Section::Part(Part(part_numbers(numbers)?))),
        };
        let items = vec![
            MessageDataItemName::Uid,
            MessageDataItemName::BodyExt {
                section,
                partial: partial(range)?,
                peek: true,
            },
        ];
        self.fetch(
            &UidSet::single(uid),
            items,
            Vec::new(),
            Work::Section { uid, data: None },
        )
    }

    /// A leaf part with its transfer encoding undone by the server (RFC 3516 BINARY);
    /// needs the BINARY capability. Whole parts only: the answer to a BINARY range
    /// (`BINARY[2]<0>`) is one imap-codec cannot read yet, so big parts are fetched
    /// in ranges with [`Session::fetch_section`] and decoded by the caller
    /// (`reader::text::decode_transfer`).
    pub fn fetch_binary(&mut self, uid: u32, part: &[u32]) -> Result<RequestId, RequestError> {
        if !self.has_capability("BINARY") {
            return Err(RequestError::Unsupported("BINARY"));
        }
        let items = vec![
            MessageDataItemName::Uid,
            MessageDataItemName::Binary {
                section: part_numbers(part)?.into_inner(),
                partial: None,
                peek: true,
            },
        ];
        self.fetch(
            &UidSet::single(uid),
            items,
            Vec::new(),
            Work::Section { uid, data: None },
        )
    }

    /// Several whole leaf parts of message `uid` in one FETCH (a message's inline
    /// images: one round trip, not one per image), decoded by the server with BINARY
    /// when `binary` (needs the capability), else as sent (`BODY.PEEK[n]`). Answers
    /// [`Outcome::Parts`].
    pub fn fetch_parts(
        &mut self,
        uid: u32,
        parts: &[Vec<u32>],
        binary: bool,
    ) -> Result<RequestId, RequestError> {
        if binary && !self.has_capability("BINARY") {
            return Err(RequestError::Unsupported("BINARY"));
        }
        let mut items = vec![MessageDataItemName::Uid];
        for part in parts {
            let numbers = part_numbers(part)?;
            items.push(if binary {
                MessageDataItemName::Binary {
                    section: numbers.into_inner(),
                    partial: None,
                    peek: true,
                }
            } else {
                MessageDataItemName::BodyExt {
                    section: Some(Section::Part(Part(numbers))),
                    partial: None,
                    peek: true,
                }
            });
        }
        self.fetch(
            &UidSet::single(uid),
            items,
            Vec::new(),
            Work::Parts {
                uid,
                parts: Vec::new(),
            },
        )
    }

    fn fetch(
        &mut self,
        uids: &UidSet,
        items: Vec<MessageDataItemName<'static>>,
        modifiers: Vec<FetchModifier>,
        work: Work,
    ) -> Result<RequestId, RequestError> {
        self.fetch_with(true, uids, items, modifiers, work)
    }

    /// UID FETCH (`by_uid`) or FETCH by sequence numbers (`numbers` holds those).
    fn fetch_with(
        &mut self,
        by_uid: bool,
        numbers: &UidSet,
        items: Vec<MessageDataItemName<'static>>,
        modifiers: Vec<FetchModifier>,
        work: Work,
    ) -> Result<RequestId, RequestError> {
        let body = CommandBody::Fetch {
            sequence_set: sequence_set(numbers)?,
            macro_or_item_names: MacroOrMessageDataItemNames::MessageDataItemNames(items),
            uid: by_uid,
            modifiers,
        };
        Ok(self.enqueue(body, work))
    }

    /// UID STORE of flags (`\Seen`, `\Flagged`, keywords...). With `unchanged_since`
    /// (CONDSTORE), messages changed after that MODSEQ are left alone and reported.
    pub fn store_flags(
        &mut self,
        uids: &UidSet,
        operation: FlagOperation,
        flags: &[&str],
        unchanged_since: Option<u64>,
    ) -> Result<RequestId, RequestError> {
        let body = CommandBody::Store {
            sequence_set: sequence_set(uids)?,
            kind: match operation {
                FlagOperation::Add => StoreType::Add,
                FlagOperation::Remove => StoreType::Remove,
                FlagOperation::Replace => StoreType::Replace,
            },
            response: StoreResponse::Answer,
            flags: flags_of(flags)?,
            uid: true,
            modifiers: unchanged_since
                .map(StoreModifier::UnchangedSince)
                .into_iter()
                .collect(),
        };
        Ok(self.enqueue(body, Work::Flags(Vec::new())))
    }

    pub fn copy(&mut self, uids: &UidSet, destination: &str) -> Result<RequestId, RequestError> {
        let body = CommandBody::Copy {
            sequence_set: sequence_set(uids)?,
            mailbox: mailbox(destination)?,
            uid: true,
        };
        Ok(self.enqueue(body, Work::Copy))
    }

    /// MOVE (RFC 6851); without the extension, COPY, then STORE `\Deleted`, then UID
    /// EXPUNGE (UIDPLUS) or, on a base IMAP server, EXPUNGE once UID SEARCH DELETED
    /// showed that no other message of the folder is marked `\Deleted` (it would go
    /// too). If others are, the originals stay marked and the outcome is
    /// [`Outcome::NotExpunged`]: never remove what the user did not pick.
    pub fn move_to(&mut self, uids: &UidSet, destination: &str) -> Result<RequestId, RequestError> {
        let sequence_set = sequence_set(uids)?;
        let mailbox = mailbox(destination)?;
        if self.has_capability("MOVE") {
            let body = CommandBody::Move {
                sequence_set,
                mailbox,
                uid: true,
            };
            return Ok(self.enqueue(body, Work::Copy));
        }
        let body = CommandBody::Copy {
            sequence_set,
            mailbox: mailbox.clone(),
            uid: true,
        };
        Ok(self.enqueue(
            body,
            Work::move_from(MoveStep::Copying, uids, Some(mailbox)),
        ))
    }

    /// Removes these messages, which the caller marked `\Deleted`: UID EXPUNGE (RFC
    /// 4315) with UIDPLUS; without it, EXPUNGE only when UID SEARCH DELETED finds no
    /// other message marked (else [`Outcome::NotExpunged`], nothing removed).
    pub fn expunge(&mut self, uids: &UidSet) -> Result<RequestId, RequestError> {
        let sequence_set = sequence_set(uids)?;
        let (body, step) = if self.has_capability("UIDPLUS") {
            (
                CommandBody::ExpungeUid { sequence_set },
                MoveStep::Expunging,
            )
        } else {
            (deleted_search(), MoveStep::CheckingDeleted)
        };
        Ok(self.enqueue(body, Work::move_from(step, uids, None)))
    }

    /// Runs the next step of a fallback MOVE or EXPUNGE; `Some` when it is finished.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn next_move_step(
        &mut self,
        id: RequestId,
        step: MoveStep,
        uids: UidSet,
        destination: Option<Mailbox<'static>>,
        copied: Option<CopyUid>,
        deleted: Vec<u32>,
        code: Option<&Code<'_>>,
    ) -> Option<Outcome> {
        let sequence_set = sequence_set(&uids).expect("checked when the move began");
        let finished = |copied| match destination.is_some() {
            true => Outcome::Copied(copied),
            false => Outcome::Done,
        };
        let (body, step, copied) = match step {
            MoveStep::Copying => (
                CommandBody::Store {
                    sequence_set,
                    kind: StoreType::Add,
                    response: StoreResponse::Silent,
                    flags: vec![Flag::Deleted],
                    uid: true,
                    modifiers: Vec::new(),
                },
                MoveStep::MarkingDeleted,
                super::copy_uid(code),
            ),
            MoveStep::MarkingDeleted if self.has_capability("UIDPLUS") => (
                CommandBody::ExpungeUid { sequence_set },
                MoveStep::Expunging,
                copied,
            ),
            MoveStep::MarkingDeleted => (deleted_search(), MoveStep::CheckingDeleted, copied),
            MoveStep::CheckingDeleted => {
                let others: Vec<u32> = deleted
                    .iter()
                    .copied()
                    .filter(|uid| !uids.contains(*uid))
                    .collect();
                if !others.is_empty() {
                    return Some(Outcome::NotExpunged { copied, others });
                }
                (CommandBody::Expunge, MoveStep::Expunging, copied)
            }
            MoveStep::Expunging => return Some(finished(copied)),
        };
        let work = Work::Move {
            step,
            uids,
            destination,
            copied,
            deleted: Vec::new(),
        };
        self.send_as(id, body, work);
        None
    }

    /// APPEND a message (for Drafts and Sent), sent as a non-synchronising literal
    /// when the server offers LITERAL+ (no round trip before the data).
    pub fn append(
        &mut self,
        destination: &str,
        message: &[u8],
        flags: &[&str],
        date: Option<DateTime<FixedOffset>>,
    ) -> Result<RequestId, RequestError> {
        let mut literal = Literal::try_from(message.to_vec())
            .map_err(|_| RequestError::InvalidArgument("a message with NUL bytes"))?;
        if self.has_capability("LITERAL+") {
            literal = literal.into_non_sync();
        }
        let date = date
            .map(imap_next::imap_types::datetime::DateTime::try_from)
            .transpose()
            .map_err(|_| RequestError::InvalidArgument("this date"))?;
        let body = CommandBody::Append {
            mailbox: mailbox(destination)?,
            flags: flags_of(flags)?,
            date,
            message: LiteralOrLiteral8::Literal(literal),
        };
        Ok(self.enqueue(body, Work::Append))
    }

    /// UID SEARCH: the UIDs of messages that match, ascending.
    pub fn search(&mut self, query: &SearchQuery) -> Result<RequestId, RequestError> {
        let criteria = search_keys(query).map_err(RequestError::InvalidArgument)?;
        let body = CommandBody::Search {
            charset: Some(utf8()),
            criteria,
            uid: true,
        };
        Ok(self.enqueue(body, Work::Search(Vec::new())))
    }

    /// UID SORT (RFC 5256): matching UIDs in the requested order. Needs SORT.
    pub fn sort(
        &mut self,
        by: SortBy,
        reverse: bool,
        query: &SearchQuery,
    ) -> Result<RequestId, RequestError> {
        if !self.has_capability("SORT") {
            return Err(RequestError::Unsupported("SORT"));
        }
        let body = CommandBody::Sort {
            sort_criteria: sort_criteria(by, reverse),
            charset: utf8(),
            search_criteria: search_keys(query).map_err(RequestError::InvalidArgument)?,
            uid: true,
        };
        Ok(self.enqueue(body, Work::Search(Vec::new())))
    }

    /// UID THREAD REFERENCES (RFC 5256). Without THREAD=REFERENCES, thread the
    /// summaries with [`crate::imap::threading::thread`] instead.
    pub fn thread(&mut self, query: &SearchQuery) -> Result<RequestId, RequestError> {
        if !self.has_capability("THREAD=REFERENCES") {
            return Err(RequestError::Unsupported("THREAD=REFERENCES"));
        }
        let body = CommandBody::Thread {
            algorithm: ThreadingAlgorithm::References,
            charset: utf8(),
            search_criteria: search_keys(query).map_err(RequestError::InvalidArgument)?,
            uid: true,
        };
        Ok(self.enqueue(body, Work::Threads(Vec::new())))
    }

    /// IDLE (RFC 2177): completes with [`Outcome::Done`] after [`Session::idle_done`].
    /// Without IDLE, call [`Session::noop`] periodically: the same changes arrive.
    pub fn idle(&mut self) -> Result<RequestId, RequestError> {
        if !self.capabilities.is_empty() && !self.has_capability("IDLE") {
            return Err(RequestError::Unsupported("IDLE"));
        }
        let id = self.new_id();
        let handle = self.send_as(id, CommandBody::Idle, Work::Plain);
        let tag = self.pending.last().expect("just queued").tag.clone();
        self.idle = Some((handle, tag));
        Ok(id)
    }

    /// Ends IDLE (sends DONE).
    pub fn idle_done(&mut self) -> Result<(), RequestError> {
        self.flow
            .set_idle_done()
            .map(|_| ())
            .ok_or(RequestError::NotIdling)
    }
}

fn utf8() -> Charset<'static> {
    Charset::try_from("UTF-8").expect("UTF-8 is a valid charset atom")
}

/// The wire form of a folder name (modified UTF-7), as the server echoes it.
fn utf7_wire(name: &str) -> String {
    if name.eq_ignore_ascii_case("INBOX") {
        "INBOX".to_owned()
    } else {
        utf7::encode(name)
    }
}

fn mailbox(name: &str) -> Result<Mailbox<'static>, RequestError> {
    if name.eq_ignore_ascii_case("INBOX") {
        return Ok(Mailbox::Inbox);
    }
    Mailbox::try_from(utf7::encode(name))
        .map_err(|_| RequestError::InvalidArgument("this folder name"))
}

fn sequence_set(uids: &UidSet) -> Result<SequenceSet, RequestError> {
    uids.to_sequence_set().ok_or(RequestError::InvalidArgument(
        "this UID set (empty, or UID 0)",
    ))
}

fn part_numbers(numbers: &[u32]) -> Result<Vec1<NonZeroU32>, RequestError> {
    let numbers: Vec<NonZeroU32> = numbers
        .iter()
        .map(|&n| NonZeroU32::new(n))
        .collect::<Option<_>>()
        .ok_or(RequestError::InvalidArgument("part number 0"))?;
    Vec1::try_from(numbers).map_err(|_| RequestError::InvalidArgument("an empty part number"))
}

fn partial(range: Option<(u32, u32)>) -> Result<Option<(u32, NonZeroU32)>, RequestError> {
    range
        .map(|(offset, length)| {
            NonZeroU32::new(length)
                .map(|length| (offset, length))
                .ok_or(RequestError::InvalidArgument("a zero-length range"))
        })
        .transpose()
}

fn flags_of(flags: &[&str]) -> Result<Vec<Flag<'static>>, RequestError> {
    flags
        .iter()
        .map(|f| Flag::try_from(*f).map(IntoStatic::into_static))
        .collect::<Result<_, _>>()
        .map_err(|_| RequestError::InvalidArgument("this flag"))
}

/// What a list row needs: flags, envelope, dates, size, structure, References.
/// What a list row needs. No BODYSTRUCTURE: one message whose structure the parser
/// cannot read (nested past its depth limit) would make the whole window's answer
/// unreadable; the attachment mark comes from the Content-Type header instead, and
/// the structure is fetched when a message is opened.
fn summary_items() -> Vec<MessageDataItemName<'static>> {
    let fields =
        ["References", "Content-Type"].map(|name| AString::try_from(name).expect("an atom"));
    vec![
        MessageDataItemName::Uid,
        MessageDataItemName::Flags,
        MessageDataItemName::Envelope,
        MessageDataItemName::InternalDate,
        MessageDataItemName::Rfc822Size,
        MessageDataItemName::BodyExt {
            section: Some(Section::HeaderFields(
                None,
                Vec1::try_from(fields.to_vec()).expect("two fields"),
            )),
            partial: None,
            peek: true,
        },
    ]
}

/// UID SEARCH DELETED: which messages of the selected folder are marked `\Deleted`.
fn deleted_search() -> CommandBody<'static> {
    CommandBody::Search {
        charset: None,
        criteria: Vec1::from(SearchKey::Deleted),
        uid: true,
    }
}
