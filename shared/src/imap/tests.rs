//! The engine against recorded server transcripts, each fed whole, one byte at a time,
//! and split in two at every position: the events must not depend on how bytes arrive.

use super::*;
use crate::summary::Address;

use crate::engine::transcript;

/// Runs `session` against `server` bytes delivered in the given pieces; returns what
/// the client sent and every event.
fn drive(session: &mut Session, pieces: &[&[u8]]) -> (Vec<u8>, Vec<Event>) {
    let (sent, events) = transcript::drive(session, pieces);
    (sent.concat(), events)
}

use transcript::every_split;

/// Progresses until the engine reports an error, or needs input (`None`).
fn first_error(session: &mut Session) -> Option<ProtocolError> {
    loop {
        match session.progress() {
            Ok(Step::NeedInput) => return None,
            Ok(_) => continue,
            Err(e) => return Some(e),
        }
    }
}

fn completed(events: &[Event], id: RequestId) -> &Result<Outcome, CommandError> {
    events
        .iter()
        .find_map(|e| match e {
            Event::Completed { id: done, result } if *done == id => Some(result),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{id:?} did not complete: {events:?}"))
}

const GREETING: &[u8] =
    b"* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ IDLE AUTH=PLAIN] Dovecot ready.\r\n";

#[test]
fn pipelined_session_from_login_to_logout() {
    let mut server = GREETING.to_vec();
    server.extend_from_slice(
        b"P1 OK [CAPABILITY IMAP4rev1 IDLE MOVE SPECIAL-USE] Logged in\r\n\
          * LIST (\\HasNoChildren) \"/\" INBOX\r\n\
          * LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n\
          * LIST (\\HasChildren \\Noselect) \"/\" Entw&APw-rfe\r\n\
          P2 OK List completed\r\n\
          * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n\
          * OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.\r\n\
          * 2 EXISTS\r\n\
          * 0 RECENT\r\n\
          * OK [UIDVALIDITY 1700000000] UIDs valid\r\n\
          * OK [UIDNEXT 3] Predicted next UID\r\n\
          P3 OK [READ-WRITE] Select completed\r\n\
          * 1 FETCH (UID 1 FLAGS (\\Seen) INTERNALDATE \"02-Mar-2026 09:15:00 +0100\" RFC822.SIZE 512 \
ENVELOPE (\"Mon, 02 Mar 2026 09:15:00 +0100\" \"=?UTF-8?B?R3LDvMOfZQ==?=\" \
((\"=?UTF-8?Q?Ren=C3=A9e?=\" NIL \"renee\" \"example.de\")) NIL NIL ((NIL NIL \"alice\" \"example.org\")) NIL NIL NIL \"<a@example.de>\") \
BODY[HEADER.FIELDS (REFERENCES CONTENT-TYPE)] {43}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n)\r\n\
          * 2 FETCH (UID 2 FLAGS () INTERNALDATE \"03-Mar-2026 10:00:00 +0000\" RFC822.SIZE 9000 \
ENVELOPE (NIL \"Report\" ((NIL NIL \"bob\" \"example.org\")) NIL NIL NIL NIL NIL \"<a@example.de>\" \"<b@example.org>\") \
BODY[HEADER.FIELDS (REFERENCES CONTENT-TYPE)] {77}\r\nReferences: <a@example.de>\r\nContent-Type: multipart/mixed;\r\n boundary=\"b\"\r\n\r\n)\r\n\
          P4 OK Fetch completed\r\n\
          * 2 FETCH (UID 2 BODY[1] {10}\r\nHi there\r\n)\r\n\
          P5 OK Fetch completed\r\n\
          * 2 FETCH (UID 2 FLAGS (\\Flagged))\r\n\
          P6 OK Store completed\r\n\
          * BYE Logging out\r\n\
          P7 OK Logout completed\r\n",
    );
    let ids = std::cell::RefCell::new(Vec::new());
    let make = || {
        let mut session = Session::new(1 << 20);
        let mut made = vec![
            session.login("alice", "alice-secret").unwrap(),
            session.list(),
            session.select("INBOX", false).unwrap(),
            session.fetch_summaries(&UidSet::range(1, None)).unwrap(),
            session.fetch_section(2, &[1], None).unwrap(),
            session
                .store_flags(&UidSet::single(2), FlagOperation::Add, &["\\Flagged"], None)
                .unwrap(),
            session.logout(),
        ];
        ids.replace(std::mem::take(&mut made));
        session
    };
    let (sent, events) = every_split(make, &server);
    let ids = ids.into_inner();

    assert_eq!(
        String::from_utf8(sent).unwrap(),
        "P1 LOGIN alice alice-secret\r\n\
         P2 LIST \"\" *\r\n\
         P3 SELECT INBOX\r\n\
         P4 UID FETCH 1:* (UID FLAGS ENVELOPE INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (References Content-Type)])\r\n\
         P5 UID FETCH 2 (UID BODY.PEEK[1])\r\n\
         P6 UID STORE 2 +FLAGS (\\Flagged)\r\n\
         P7 LOGOUT\r\n"
    );
    assert_eq!(
        events[0],
        Event::Greeting {
            text: "Dovecot ready.".into(),
            preauth: false
        }
    );

    assert_eq!(completed(&events, ids[0]), &Ok(Outcome::Done));
    let Ok(Outcome::Mailboxes(folders)) = completed(&events, ids[1]) else {
        panic!("{events:?}")
    };
    assert_eq!(folders.len(), 3);
    assert_eq!(folders[0].special_use, Some(SpecialUse::Inbox));
    assert_eq!(folders[1].special_use, Some(SpecialUse::Sent));
    assert_eq!(folders[2].name, "Entwürfe");
    assert_eq!(folders[2].wire_name, "Entw&APw-rfe");
    assert!(!folders[2].selectable);

    let Ok(Outcome::Selected(inbox)) = completed(&events, ids[2]) else {
        panic!("{events:?}")
    };
    assert_eq!(inbox.exists, 2);
    assert_eq!(inbox.uid_validity, Some(1_700_000_000));
    assert_eq!(inbox.uid_next, Some(3));
    assert!(!inbox.read_only);
    assert!(inbox.permanent_flags.contains(&"\\*".to_owned()));

    let Ok(Outcome::Summaries(rows)) = completed(&events, ids[3]) else {
        panic!("{events:?}")
    };
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].uid, 1);
    assert_eq!(rows[0].subject, "Grüße");
    assert_eq!(
        rows[0].from,
        vec![Address {
            name: "Renée".into(),
            email: "renee@example.de".into()
        }]
    );
    assert!(rows[0].is_seen());
    assert_eq!(rows[0].size, 512);
    assert_eq!(
        rows[0].received.as_deref(),
        Some("2026-03-02T09:15:00+01:00")
    );
    assert!(!rows[0].has_attachments);
    assert!(rows[1].has_attachments);
    assert_eq!(rows[1].in_reply_to.as_deref(), Some("<a@example.de>"));
    assert_eq!(rows[1].references, ["<a@example.de>"]);
    assert!(rows[0].references.is_empty());

    assert_eq!(
        completed(&events, ids[4]),
        &Ok(Outcome::Section(Some(b"Hi there\r\n".to_vec())))
    );
    let Ok(Outcome::FlagsChanged {
        updates: changed, ..
    }) = completed(&events, ids[5])
    else {
        panic!("{events:?}")
    };
    assert_eq!(changed[0].uid, Some(2));
    assert_eq!(changed[0].flags, vec!["\\Flagged".to_owned()]);
    assert!(events.contains(&Event::Bye("Logging out".into())));
    assert_eq!(completed(&events, ids[6]), &Ok(Outcome::Done));
    // Nothing was mistaken for news.
    assert!(!events.iter().any(|e| matches!(e, Event::Changed(_))));
}

#[test]
fn idle_reports_changes_made_elsewhere() {
    let server = [
        GREETING,
        b"* 2 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\nP1 OK [READ-WRITE] selected\r\n",
        b"+ idling\r\n",
        b"* 3 EXISTS\r\n* 1 FETCH (FLAGS (\\Seen \\Flagged))\r\n* 2 EXPUNGE\r\n",
        b"P2 OK Idle completed\r\n",
    ]
    .concat();
    let make = || {
        let mut session = Session::new(1 << 20);
        session.select("INBOX", false).unwrap();
        session.idle().unwrap();
        session
    };
    let whole = drive(&mut make(), &[&server]);
    let changes: Vec<&MailboxChange> = whole
        .1
        .iter()
        .filter_map(|e| match e {
            Event::Changed(change) => Some(change),
            _ => None,
        })
        .collect();
    // DONE was never requested, so the IDLE is still open: its completion must wait.
    assert!(whole.1.contains(&Event::Idling));
    assert_eq!(changes.len(), 3, "{:?}", whole.1);
    assert_eq!(changes[0], &MailboxChange::Exists(3));
    assert_eq!(
        changes[1],
        &MailboxChange::Flags(FlagUpdate {
            seq: 1,
            uid: None,
            flags: vec!["\\Seen".into(), "\\Flagged".into()],
            modseq: None
        })
    );
    assert_eq!(changes[2], &MailboxChange::Expunged(2));

    // The same, with DONE sent after the changes, fed in every split.
    let make_done = || make();
    let (sent, events) = every_split(make_done, &server);
    assert!(String::from_utf8(sent).unwrap().ends_with("P2 IDLE\r\n"));
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Changed(_)))
            .count(),
        3
    );
}

#[test]
fn idle_done_ends_idle() {
    let mut session = Session::new(1 << 20);
    let id = session.idle().unwrap();
    let (_, events) = drive(&mut session, &[GREETING, b"+ idling\r\n"]);
    assert!(events.contains(&Event::Idling));
    session.idle_done().unwrap();
    let (sent, events) = drive(&mut session, &[b"P1 OK Idle completed\r\n"]);
    assert_eq!(sent, b"DONE\r\n");
    assert_eq!(completed(&events, id), &Ok(Outcome::Done));
    assert_eq!(session.idle_done(), Err(RequestError::NotIdling));
}

#[test]
fn refusals_carry_their_response_code() {
    let server = [
        GREETING,
        b"P1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\nP2 NO [TRYCREATE] Mailbox doesn't exist: Nope\r\n",
    ]
    .concat();
    let make = || {
        let mut session = Session::new(1 << 20);
        session.login("alice", "wrong").unwrap();
        session.select("Nope", false).unwrap();
        session
    };
    let (_, events) = every_split(make, &server);
    let errors: Vec<&CommandError> = events
        .iter()
        .filter_map(|e| match e {
            Event::Completed { result: Err(e), .. } => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].status, "NO");
    assert_eq!(errors[0].code.as_deref(), Some("AUTHENTICATIONFAILED"));
    assert_eq!(errors[1].code.as_deref(), Some("TRYCREATE"));
}

#[test]
fn authenticate_plain_uses_sasl_ir_when_offered() {
    let mut session = Session::new(1 << 20);
    let (_, _) = drive(&mut session, &[GREETING]);
    let id = session.authenticate_plain("alice", "secret").unwrap();
    let (sent, events) = drive(&mut session, &[b"P1 OK Logged in\r\n"]);
    // "\0alice\0secret" in base64, in the command itself.
    assert_eq!(sent, b"P1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n");
    assert_eq!(completed(&events, id), &Ok(Outcome::Done));

    let mut session = Session::new(1 << 20);
    drive(&mut session, &[b"* OK ready\r\n"]);
    let id = session.authenticate_plain("alice", "secret").unwrap();
    let (sent, events) = drive(&mut session, &[b"+ \r\n", b"P1 OK Logged in\r\n"]);
    assert_eq!(sent, b"P1 AUTHENTICATE PLAIN\r\nAGFsaWNlAHNlY3JldA==\r\n");
    assert_eq!(completed(&events, id), &Ok(Outcome::Done));
}

#[test]
fn values_that_could_inject_commands_are_refused() {
    let mut session = Session::new(1 << 20);
    // A password with CRLF goes as a literal: its bytes leave only once the server
    // asked for them, and the server reads them as data, never as a command.
    session.login("alice", "x\r\nP9 DELETE INBOX").unwrap();
    let (sent, _) = drive(&mut session, &[b"* OK ready\r\n"]);
    assert_eq!(sent, b"P1 LOGIN alice {18}\r\n");
    let (sent, _) = drive(&mut session, &[b"+ go on\r\n"]);
    assert_eq!(sent, b"x\r\nP9 DELETE INBOX\r\n");
    let mut session = Session::new(1 << 20);
    assert!(session.authenticate_plain("al\0ice", "x").is_err());
    assert!(session.fetch_section(1, &[0], None).is_err());
    assert!(session.fetch_summaries(&UidSet::of(&[])).is_err());
    assert!(
        session
            .store_flags(&UidSet::single(1), FlagOperation::Add, &["\\Seen)"], None)
            .is_err()
    );
    // A password with spaces and quotes is fine: it goes as a quoted string or literal.
    assert!(session.login("alice", "a \"quoted\" pass").is_ok());
}

#[test]
fn login_is_refused_when_disabled() {
    let mut session = Session::new(1 << 20);
    drive(
        &mut session,
        &[b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] hi\r\n"],
    );
    assert_eq!(session.login("a", "b"), Err(RequestError::LoginDisabled));
}

#[test]
fn malformed_input_is_an_error_that_shows_what() {
    let mut session = Session::new(1 << 20);
    session.receive(GREETING);
    session.receive(b"* 1 FETCH (UID banana)\r\n");
    let error = first_error(&mut session);
    match error {
        Some(ProtocolError::Malformed(text)) => assert!(text.contains("banana"), "{text}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn oversized_responses_hit_the_cap() {
    let mut session = Session::new(1024);
    session.receive(GREETING);
    session.receive(b"* 1 FETCH (UID 1 BODY[] {4096}\r\n");
    // The excess is dropped as it arrives (imap-next's fragmentizer), not buffered;
    // the error comes once the response ends.
    session.receive(&[b'x'; 4096]);
    session.receive(b")\r\n");
    let error = first_error(&mut session);
    assert_eq!(error, Some(ProtocolError::TooLong { limit: 1024 }));
}

#[test]
fn bye_greeting_is_reported() {
    let mut session = Session::new(1 << 20);
    let (_, events) = drive(&mut session, &[b"* BYE Too many connections\r\n"]);
    assert_eq!(events, vec![Event::Bye("Too many connections".into())]);
}

#[test]
fn move_without_the_extension_copies_marks_and_expunges_in_turn() {
    let caps = b"* OK [CAPABILITY IMAP4rev1 UIDPLUS] ready\r\n";
    let mut session = Session::new(1 << 20);
    drive(&mut session, &[caps]);
    let id = session.move_to(&UidSet::of(&[4, 5]), "Archive").unwrap();
    let (sent, events) = drive(&mut session, &[b"P1 OK [COPYUID 9 4:5 20:21] Copied\r\n"]);
    // The next step goes out only after the copy succeeded.
    assert_eq!(
        String::from_utf8(sent).unwrap(),
        "P1 UID COPY 4:5 Archive\r\nP2 UID STORE 4:5 +FLAGS.SILENT (\\Deleted)\r\n"
    );
    assert!(events.is_empty());
    let (sent, _) = drive(&mut session, &[b"P2 OK Stored\r\n"]);
    assert_eq!(sent, b"P3 UID EXPUNGE 4:5\r\n");
    let (_, events) = drive(
        &mut session,
        &[b"* 4 EXPUNGE\r\n* 4 EXPUNGE\r\nP3 OK Expunged\r\n"],
    );
    assert_eq!(
        completed(&events, id),
        &Ok(Outcome::Copied(Some(CopyUid {
            uid_validity: 9,
            source: vec![(4, 5)],
            destination: vec![(20, 21)]
        })))
    );

    // A failed copy stops there: nothing is marked or expunged.
    let id = session.move_to(&UidSet::single(6), "Nope").unwrap();
    let (sent, events) = drive(&mut session, &[b"P4 NO [TRYCREATE] No such folder\r\n"]);
    assert_eq!(sent, b"P4 UID COPY 6 Nope\r\n");
    assert!(completed(&events, id).is_err());
    let (sent, _) = drive(&mut session, &[]);
    assert!(sent.is_empty());
}

#[test]
fn move_and_delete_on_base_imap_expunge_only_what_was_picked() {
    // Courier-like: neither MOVE nor UIDPLUS.
    let caps = b"* OK [CAPABILITY IMAP4rev1 CHILDREN NAMESPACE] ready\r\n";
    let mut session = Session::new(1 << 20);
    drive(&mut session, &[caps]);
    let id = session
        .move_to(&UidSet::of(&[4, 5]), "INBOX.Trash")
        .unwrap();
    let (sent, _) = drive(&mut session, &[b"P1 OK Copied\r\n"]);
    assert_eq!(
        String::from_utf8(sent).unwrap(),
        "P1 UID COPY 4:5 INBOX.Trash\r\nP2 UID STORE 4:5 +FLAGS.SILENT (\\Deleted)\r\n"
    );
    // Before EXPUNGE, which would remove every \Deleted message: who else is marked?
    let (sent, _) = drive(&mut session, &[b"P2 OK Stored\r\n"]);
    assert_eq!(sent, b"P3 UID SEARCH DELETED\r\n");
    let (sent, _) = drive(&mut session, &[b"* SEARCH 4 5\r\nP3 OK Search done\r\n"]);
    assert_eq!(sent, b"P4 EXPUNGE\r\n");
    let (_, events) = drive(
        &mut session,
        &[b"* 4 EXPUNGE\r\n* 4 EXPUNGE\r\nP4 OK Expunged\r\n"],
    );
    assert_eq!(completed(&events, id), &Ok(Outcome::Copied(None)));

    // Another message (UID 2) is marked \Deleted already: no EXPUNGE, and the caller
    // learns which message stood in the way.
    let id = session.move_to(&UidSet::single(6), "INBOX.Trash").unwrap();
    drive(&mut session, &[b"P5 OK Copied\r\n"]);
    drive(&mut session, &[b"P6 OK Stored\r\n"]);
    let (sent, events) = drive(&mut session, &[b"* SEARCH 2 6\r\nP7 OK Search done\r\n"]);
    assert!(sent.is_empty(), "nothing more is sent: {sent:?}");
    assert_eq!(
        completed(&events, id),
        &Ok(Outcome::NotExpunged {
            copied: None,
            others: vec![2]
        })
    );

    // Deleting for good (in the Trash) checks the same way.
    let id = session.expunge(&UidSet::single(9)).unwrap();
    let (sent, _) = drive(&mut session, &[]);
    assert_eq!(sent, b"P8 UID SEARCH DELETED\r\n");
    let (sent, _) = drive(&mut session, &[b"* SEARCH 9\r\nP8 OK done\r\n"]);
    assert_eq!(sent, b"P9 EXPUNGE\r\n");
    let (_, events) = drive(&mut session, &[b"* 3 EXPUNGE\r\nP9 OK done\r\n"]);
    assert_eq!(completed(&events, id), &Ok(Outcome::Done));

    // With UIDPLUS, expunge is one UID EXPUNGE.
    let mut session = Session::new(1 << 20);
    drive(
        &mut session,
        &[b"* OK [CAPABILITY IMAP4rev1 UIDPLUS] ready\r\n"],
    );
    session.expunge(&UidSet::single(9)).unwrap();
    let (sent, _) = drive(&mut session, &[]);
    assert_eq!(sent, b"P1 UID EXPUNGE 9\r\n");
}

#[test]
fn capabilities_are_unknown_until_announced_for_the_current_state() {
    // A greeting replayed after STARTTLS carries no capabilities.
    let mut session = Session::new(1 << 20);
    drive(&mut session, &[b"* OK Courier-IMAP ready.\r\n"]);
    assert!(!session.capabilities_known());
    session.login("alice", "secret").unwrap();
    drive(&mut session, &[b"P1 OK LOGIN Ok.\r\n"]);
    assert!(!session.capabilities_known(), "LOGIN said nothing");
    let id = session.capability();
    let (sent, events) = drive(
        &mut session,
        &[b"* CAPABILITY IMAP4rev1 UIDPLUS SORT IDLE\r\nP2 OK done\r\n"],
    );
    assert_eq!(sent, b"P2 CAPABILITY\r\n");
    assert!(completed(&events, id).is_ok());
    assert!(session.capabilities_known());
    assert!(session.has_capability("SORT"));

    // Announced in the greeting, but not in the LOGIN answer: they may have changed.
    let mut session = Session::new(1 << 20);
    drive(&mut session, &[GREETING]);
    assert!(session.capabilities_known());
    session.login("alice", "secret").unwrap();
    drive(&mut session, &[b"P1 OK Logged in\r\n"]);
    assert!(!session.capabilities_known());

    // Announced in the LOGIN answer (Dovecot), or untagged during it: known.
    for answer in [
        b"P1 OK [CAPABILITY IMAP4rev1 MOVE] Logged in\r\n".as_slice(),
        b"* CAPABILITY IMAP4rev1 MOVE\r\nP1 OK Logged in\r\n".as_slice(),
    ] {
        let mut session = Session::new(1 << 20);
        drive(&mut session, &[GREETING]);
        session.login("alice", "secret").unwrap();
        drive(&mut session, &[answer]);
        assert!(session.capabilities_known());
        assert!(session.has_capability("MOVE"));
    }
}

#[test]
fn search_sort_thread_status_and_append() {
    let server = [
        b"* OK [CAPABILITY IMAP4rev1 SORT THREAD=REFERENCES LITERAL+ UIDPLUS ENABLE QRESYNC ID NAMESPACE] hi\r\n".as_slice(),
        b"* SEARCH 2 5 9\r\nP1 OK done\r\n",
        b"* SORT 9 2 5\r\nP2 OK done\r\n",
        b"* THREAD (1 2 (3)(4))(5)((6)(7))\r\nP3 OK done\r\n",
        b"* STATUS Entw&APw-rfe (MESSAGES 3 UNSEEN 1 UIDNEXT 4 UIDVALIDITY 77)\r\nP4 OK done\r\n",
        b"P5 OK [APPENDUID 77 4] Appended\r\n",
        b"* ENABLED QRESYNC\r\nP6 OK enabled\r\n",
        b"* ID (\"name\" \"Dovecot\")\r\nP7 OK id\r\n",
        b"* NAMESPACE ((\"\" \"/\")) NIL NIL\r\nP8 OK ns\r\n",
    ]
    .concat();
    let ids = std::cell::RefCell::new(Vec::new());
    let make = || {
        let mut session = Session::new(1 << 20);
        // Capabilities come with the greeting: feed it first so requests can check.
        drive(
            &mut session,
            &[&server[..server.iter().position(|&b| b == b'\n').unwrap() + 1]],
        );
        let query = SearchQuery {
            from: Some("Carol Baker".into()),
            unseen: true,
            uids: Some(UidSet::range(5, None)),
            ..SearchQuery::default()
        };
        ids.replace(vec![
            session.search(&query).unwrap(),
            session
                .sort(SortBy::Size, true, &SearchQuery::default())
                .unwrap(),
            session.thread(&SearchQuery::default()).unwrap(),
            session.status("Entwürfe").unwrap(),
            session
                .append("Drafts", b"Subject: x\r\n\r\nhi\r\n", &["\\Draft"], None)
                .unwrap(),
            session
                .enable(&[Extension::QResync, Extension::Utf8Accept])
                .unwrap(),
            session.id("Postern", "0.1").unwrap(),
            session.namespace(),
        ]);
        session
    };
    let greeting_end = server.iter().position(|&b| b == b'\n').unwrap() + 1;
    let (sent, events) = every_split(make, &server[greeting_end..]);
    let ids = ids.into_inner();
    let sent = String::from_utf8(sent).unwrap();
    assert!(
        sent.starts_with(
            "P1 UID SEARCH CHARSET UTF-8 FROM \"Carol Baker\" UNSEEN UID 5:*\r\n\
             P2 UID SORT (REVERSE SIZE) UTF-8 ALL\r\n\
             P3 UID THREAD REFERENCES UTF-8 ALL\r\n\
             P4 STATUS Entw&APw-rfe (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)\r\n\
             P5 APPEND Drafts (\\Draft) {18+}\r\nSubject: x\r\n\r\nhi\r\n\r\n\
             P6 ENABLE QRESYNC\r\n"
        ),
        "{sent}"
    );
    assert_eq!(
        completed(&events, ids[0]),
        &Ok(Outcome::Uids(vec![2, 5, 9]))
    );
    assert_eq!(
        completed(&events, ids[1]),
        &Ok(Outcome::Uids(vec![9, 2, 5]))
    );
    let Ok(Outcome::Threads(threads)) = completed(&events, ids[2]) else {
        panic!()
    };
    let leaf = |uid| ThreadNode {
        uid: Some(uid),
        children: vec![],
    };
    assert_eq!(
        threads,
        &vec![
            ThreadNode {
                uid: Some(1),
                children: vec![ThreadNode {
                    uid: Some(2),
                    children: vec![leaf(3), leaf(4)]
                }]
            },
            leaf(5),
            ThreadNode {
                uid: None,
                children: vec![leaf(6), leaf(7)]
            },
        ]
    );
    assert_eq!(
        completed(&events, ids[3]),
        &Ok(Outcome::Status(MailboxStatus {
            name: "Entw&APw-rfe".into(),
            messages: Some(3),
            unseen: Some(1),
            uid_next: Some(4),
            uid_validity: Some(77),
        }))
    );
    assert_eq!(
        completed(&events, ids[4]),
        &Ok(Outcome::Appended(Some(AppendUid {
            uid_validity: 77,
            uid: 4
        })))
    );
    assert_eq!(
        completed(&events, ids[5]),
        &Ok(Outcome::Enabled(vec!["QRESYNC".into()]))
    );
    assert_eq!(
        completed(&events, ids[6]),
        &Ok(Outcome::ServerId(vec![(
            "name".into(),
            Some("Dovecot".into())
        )]))
    );
    assert_eq!(
        completed(&events, ids[7]),
        &Ok(Outcome::Namespaces(vec![(String::new(), Some('/'))]))
    );
}

#[test]
fn qresync_select_reports_what_changed_while_away() {
    let mut session = Session::new(1 << 20);
    drive(
        &mut session,
        &[b"* OK [CAPABILITY IMAP4rev1 ENABLE QRESYNC CONDSTORE] hi\r\n"],
    );
    let cached = CachedState {
        uid_validity: 5,
        highest_modseq: 100,
        known_uids: Some(UidSet::range(1, Some(20))),
    };
    assert!(
        session.select_qresync("INBOX", &cached).is_err(),
        "needs ENABLE first"
    );
    let enable = session.enable(&[Extension::QResync]).unwrap();
    let (_, events) = drive(&mut session, &[b"* ENABLED QRESYNC\r\nP1 OK enabled\r\n"]);
    assert!(completed(&events, enable).is_ok());
    let select = session.select_qresync("INBOX", &cached).unwrap();
    let (sent, events) = drive(
        &mut session,
        &[b"* 18 EXISTS\r\n* OK [UIDVALIDITY 5] x\r\n* OK [HIGHESTMODSEQ 120] x\r\n\
* VANISHED (EARLIER) 3:4,9\r\n* 2 FETCH (UID 2 FLAGS (\\Seen) MODSEQ (110))\r\nP2 OK [READ-WRITE] selected\r\n"],
    );
    assert_eq!(sent, b"P2 SELECT INBOX (QRESYNC (5 100 1:20))\r\n");
    assert!(events.contains(&Event::Changed(MailboxChange::Vanished {
        uids: vec![(3, 4), (9, 9)],
        earlier: true
    })));
    assert!(
        events.contains(&Event::Changed(MailboxChange::Flags(FlagUpdate {
            seq: 2,
            uid: Some(2),
            flags: vec!["\\Seen".into()],
            modseq: Some(110)
        })))
    );
    let Ok(Outcome::Selected(selected)) = completed(&events, select) else {
        panic!()
    };
    assert_eq!(selected.highest_modseq, Some(120));
    assert_eq!(selected.exists, 18);
}

#[test]
fn a_malformed_response_is_skipped_and_the_session_goes_on() {
    let mut session = Session::new(1 << 20);
    let noop = session.noop();
    session.receive(GREETING);
    session.receive(b"* 1 FETCH (UID banana)\r\nP1 OK NOOP completed\r\n");
    let mut outcomes = Vec::new();
    let mut errors = 0;
    for _ in 0..20 {
        match session.progress() {
            Ok(Step::NeedInput) => break,
            Ok(Step::Event(event)) => outcomes.push(event),
            Ok(Step::Send(_)) => {}
            Err(_) => errors += 1,
        }
    }
    assert_eq!(errors, 1);
    assert_eq!(completed(&outcomes, noop), &Ok(Outcome::Done));
}

#[test]
fn structure_tells_what_to_fetch_to_show_a_message() {
    use crate::imap::structure::display_plan;
    let server = [
        GREETING,
        b"* 9 FETCH (UID 9 BODYSTRUCTURE ((((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 48 1 NIL NIL NIL NIL)\
(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 120 1 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"alt-2\") NIL NIL NIL)\
(\"image\" \"png\" (\"name\" \"site.png\") \"<site-photo@example.org>\" NIL \"base64\" 96 NIL (\"inline\" (\"filename\" \"site.png\")) NIL NIL) \
\"related\" (\"boundary\" \"related-1\") NIL NIL NIL)\
(\"application\" \"pdf\" (\"name\" \"agenda.pdf\") NIL NIL \"base64\" 76 NIL (\"attachment\" (\"filename\" \"=?UTF-8?Q?Tagesordnung_=C3=BC?=\")) NIL NIL) \
\"mixed\" (\"boundary\" \"mixed-1\") NIL NIL NIL))\r\nP1 OK done\r\n\
* 1 FETCH (UID 1 BODYSTRUCTURE (\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 300 8 NIL NIL NIL NIL))\r\nP2 OK done\r\n",
    ]
    .concat();
    let ids = std::cell::RefCell::new(Vec::new());
    let make = || {
        let mut session = Session::new(1 << 20);
        ids.replace(vec![
            session.fetch_structure(9).unwrap(),
            session.fetch_structure(1).unwrap(),
        ]);
        session
    };
    let (_, events) = every_split(make, &server);
    let ids = ids.into_inner();
    let Ok(Outcome::Structure(nested)) = completed(&events, ids[0]) else {
        panic!("{events:?}")
    };
    let plan = display_plan(nested);
    assert_eq!(plan.text.unwrap().section, [1, 1, 1]);
    assert_eq!(plan.html.unwrap().section, [1, 1, 2]);
    assert_eq!(plan.inline_images.len(), 1);
    assert_eq!(plan.inline_images[0].section, [1, 2]);
    assert_eq!(
        plan.inline_images[0].content_id.as_deref(),
        Some("site-photo@example.org")
    );
    assert_eq!(plan.attachments.len(), 1);
    assert_eq!(plan.attachments[0].section, [2]);
    assert_eq!(
        plan.attachments[0].filename.as_deref(),
        Some("Tagesordnung ü")
    );
    assert_eq!(plan.attachments[0].mime_type, "application/pdf");

    let Ok(Outcome::Structure(single)) = completed(&events, ids[1]) else {
        panic!()
    };
    let plan = display_plan(single);
    let html = plan.html.unwrap();
    assert_eq!(html.section, [1], "a single part is part 1");
    assert_eq!(html.encoding, "quoted-printable");
    assert_eq!(html.charset.as_deref(), Some("utf-8"));
    assert!(plan.text.is_none() && plan.attachments.is_empty());
}

#[test]
fn attachment_names_in_rfc_2231_form_are_decoded() {
    // As Dovecot and Cyrus pass them through: extended, continued, and continued with
    // a Latin-1 charset; a Content-Type `name*` when the disposition has none.
    let server = b"* OK [CAPABILITY IMAP4rev1] hi\r\n\
* 3 FETCH (UID 3 BODYSTRUCTURE ((\"text\" \"plain\" NIL NIL NIL \"7bit\" 4 1 NIL NIL NIL NIL)\
(\"text\" \"csv\" NIL NIL NIL \"base64\" 10 1 NIL (\"attachment\" (\"filename*\" \"utf-8''tabelle-%C3%BC.csv\")) NIL NIL)\
(\"application\" \"pdf\" NIL NIL NIL \"base64\" 10 NIL (\"attachment\" (\"filename*0*\" \"utf-8''Jahres\" \"filename*1*\" \"bericht-%E2%82%AC\" \"filename*2\" \".pdf\")) NIL NIL)\
(\"application\" \"octet-stream\" (\"name*0*\" \"iso-8859-1'de'gr%FC\" \"name*1*\" \"%DFe.bin\") NIL NIL \"base64\" 10 NIL NIL NIL NIL) \
\"mixed\" (\"boundary\" \"b\") NIL NIL NIL))\r\nP1 OK done\r\n";
    let mut session = Session::new(1 << 20);
    let id = session.fetch_structure(3).unwrap();
    let (_, events) = drive(&mut session, &[server]);
    let Ok(Outcome::Structure(root)) = completed(&events, id) else {
        panic!("{events:?}")
    };
    let plan = crate::imap::structure::display_plan(root);
    let names: Vec<Option<&str>> = plan
        .attachments
        .iter()
        .map(|a| a.filename.as_deref())
        .collect();
    assert_eq!(
        names,
        [
            Some("tabelle-ü.csv"),
            Some("Jahresbericht-€.pdf"),
            Some("grüße.bin")
        ]
    );
}

/// Defects of hosted servers from public lists (modern-email/defects), which the
/// tests cannot reach: each answer as the service sends it must still be read.
#[test]
fn known_server_defects_are_read() {
    // Gmail: `[HIGHESTMODSEQ n]` with no text after it.
    let mut session = Session::new(1 << 20);
    drive(&mut session, &[GREETING]);
    let id = session.select("INBOX", false).unwrap();
    let (_, events) = drive(
        &mut session,
        &[b"* 3 EXISTS\r\n* OK [UIDVALIDITY 5] UIDs valid\r\n* OK [HIGHESTMODSEQ 9012]\r\nP1 OK [READ-WRITE] done\r\n"],
    );
    let Ok(Outcome::Selected(selected)) = completed(&events, id) else {
        panic!("{events:?}")
    };
    assert_eq!(selected.highest_modseq, Some(9012));

    // Exchange: a trailing space in an untagged STATUS.
    let id = session.status("Archive").unwrap();
    let (_, events) = drive(
        &mut session,
        &[b"* STATUS Archive (MESSAGES 4 UNSEEN 1) \r\nP2 OK done\r\n"],
    );
    let Ok(Outcome::Status(status)) = completed(&events, id) else {
        panic!("{events:?}")
    };
    assert_eq!((status.messages, status.unseen), (Some(4), Some(1)));

    // Dovecot (observed elsewhere): a negative size in BODYSTRUCTURE.
    let id = session.fetch_structure(7).unwrap();
    let (_, events) = drive(
        &mut session,
        &[b"* 1 FETCH (UID 7 BODYSTRUCTURE (\"text\" \"plain\" NIL NIL NIL \"7bit\" -1 2 NIL NIL NIL NIL))\r\nP3 OK done\r\n"],
    );
    assert!(
        matches!(completed(&events, id), Ok(Outcome::Structure(_))),
        "{events:?}"
    );
}

#[test]
fn inline_images_come_in_one_fetch() {
    let mut session = Session::new(1 << 20);
    drive(
        &mut session,
        &[b"* OK [CAPABILITY IMAP4rev1 BINARY] hi\r\n"],
    );
    let binary = session
        .fetch_parts(7, &[vec![2], vec![3, 1]], true)
        .unwrap();
    let (sent, _) = drive(&mut session, &[]);
    assert_eq!(
        String::from_utf8(sent).unwrap(),
        "P1 UID FETCH 7 (UID BINARY.PEEK[2] BINARY.PEEK[3.1])\r\n"
    );
    let (_, events) = drive(
        &mut session,
        &[b"* 4 FETCH (UID 7 BINARY[2] {3}\r\nabc BINARY[3.1] ~{2}\r\n\0z)\r\nP1 OK done\r\n"],
    );
    assert_eq!(
        completed(&events, binary),
        &Ok(Outcome::Parts(vec![
            (vec![2], b"abc".to_vec()),
            (vec![3, 1], b"\0z".to_vec())
        ]))
    );
    // Without BINARY: the parts as sent; NIL leaves a part out.
    let plain = session.fetch_parts(7, &[vec![2], vec![4]], false).unwrap();
    let (sent, events) = drive(
        &mut session,
        &[b"* 4 FETCH (UID 7 BODY[2] \"YWJj\" BODY[4] NIL)\r\nP2 OK done\r\n"],
    );
    assert_eq!(
        String::from_utf8(sent).unwrap(),
        "P2 UID FETCH 7 (UID BODY.PEEK[2] BODY.PEEK[4])\r\n"
    );
    assert_eq!(
        completed(&events, plain),
        &Ok(Outcome::Parts(vec![(vec![2], b"YWJj".to_vec())]))
    );
    let mut bare = Session::new(1 << 20);
    drive(&mut bare, &[b"* OK [CAPABILITY IMAP4rev1] hi\r\n"]);
    assert_eq!(
        bare.fetch_parts(7, &[vec![2]], true),
        Err(RequestError::Unsupported("BINARY"))
    );
}
