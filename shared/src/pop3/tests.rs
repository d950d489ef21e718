//! The POP3 engine against recorded transcripts, fed whole, byte by byte, and split
//! at every position.

use super::*;

use crate::engine::transcript::{drive, every_split};

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

fn completed(events: &[Event], id: RequestId) -> &Result<Outcome, Refusal> {
    events
        .iter()
        .find_map(|e| match e {
            Event::Completed { id: done, result } if *done == id => Some(result),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{id:?} did not complete: {events:?}"))
}

const SESSION: &[u8] = b"+OK Dovecot ready.\r\n\
+OK\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nUSER\r\nSASL PLAIN\r\n.\r\n\
+OK\r\n+OK Logged in.\r\n\
+OK 2 320\r\n\
+OK 2 messages:\r\n1 120\r\n2 200\r\n.\r\n\
+OK\r\n1 000000017a1b2c3d\r\n2 000000027a1b2c3d\r\n.\r\n\
+OK\r\nSubject: first\r\n\r\n.\r\n\
+OK 200 octets\r\nSubject: second\r\n\r\n..a line that began with a dot\r\n.\r\n\
+OK Marked to be deleted.\r\n\
+OK\r\n\
+OK\r\n\
+OK Logging out, messages deleted.\r\n";

fn full_session(lockstep: bool) -> (Session, Vec<RequestId>) {
    let mut session = Session::new(1 << 20);
    session.set_lockstep(lockstep);
    let ids = vec![
        session.capa(),
        session.login("alice", "two words").unwrap(),
        session.stat(),
        session.list(None).unwrap(),
        session.uidl(None).unwrap(),
        session.top(1, 0).unwrap(),
        session.retr(2).unwrap(),
        session.dele(1).unwrap(),
        session.rset(),
        session.noop(),
        session.quit(),
    ];
    (session, ids)
}

#[test]
fn a_pipelined_session_from_greeting_to_quit() {
    let ids = std::cell::RefCell::new(Vec::new());
    let make = || {
        let (session, made) = full_session(false);
        ids.replace(made);
        session
    };
    let (sent, events) = every_split(make, SESSION);
    let ids = ids.into_inner();
    assert_eq!(
        String::from_utf8(sent).unwrap(),
        "CAPA\r\nUSER alice\r\nPASS two words\r\nSTAT\r\nLIST\r\nUIDL\r\nTOP 1 0\r\nRETR 2\r\nDELE 1\r\nRSET\r\nNOOP\r\nQUIT\r\n"
    );
    assert_eq!(
        events[0],
        Event::Greeting {
            text: "Dovecot ready.".into(),
            apop_timestamp: None
        }
    );
    let Ok(Outcome::Capabilities(capabilities)) = completed(&events, ids[0]) else {
        panic!()
    };
    assert!(capabilities.pipelining && capabilities.top);
    assert_eq!(completed(&events, ids[1]), &Ok(Outcome::Done));
    assert_eq!(
        completed(&events, ids[2]),
        &Ok(Outcome::Stat {
            count: 2,
            size: 320
        })
    );
    assert_eq!(
        completed(&events, ids[3]),
        &Ok(Outcome::Sizes(vec![(1, 120), (2, 200)]))
    );
    assert_eq!(
        completed(&events, ids[4]),
        &Ok(Outcome::UniqueIds(vec![
            (1, "000000017a1b2c3d".into()),
            (2, "000000027a1b2c3d".into())
        ]))
    );
    assert_eq!(
        completed(&events, ids[5]),
        &Ok(Outcome::Message(b"Subject: first\r\n\r\n".to_vec()))
    );
    assert_eq!(
        completed(&events, ids[6]),
        &Ok(Outcome::Message(
            b"Subject: second\r\n\r\n.a line that began with a dot\r\n".to_vec()
        ))
    );
    for id in &ids[7..] {
        assert_eq!(completed(&events, *id), &Ok(Outcome::Done));
    }
}

#[test]
fn pipelining_sends_at_once_and_lockstep_one_by_one() {
    let (mut session, _) = full_session(false);
    let (sent, _) = drive(&mut session, &[SESSION]);
    // CAPA alone (PIPELINING is not known yet), then everything else together.
    assert_eq!(sent.len(), 2);
    assert!(session.pipelining());

    let (mut session, _) = full_session(true);
    let (sent, events) = drive(&mut session, &[SESSION]);
    assert_eq!(sent.len(), 12, "one write per command");
    assert!(!session.pipelining());
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Completed { result: Ok(_), .. }))
            .count(),
        11
    );
}

#[test]
fn a_failed_user_stops_the_login() {
    let server = b"+OK ready\r\n-ERR [AUTH] Unknown user.\r\n";
    let mut session = Session::new(1 << 20);
    let login = session.login("mallory", "x").unwrap();
    let (sent, events) = drive(&mut session, &[server]);
    // Lockstep before CAPA: PASS never leaves.
    assert_eq!(sent.concat(), b"USER mallory\r\n");
    let Err(refusal) = completed(&events, login) else {
        panic!()
    };
    assert_eq!(refusal.code, Some(ResponseCode::Auth));

    // Pipelined: PASS went out, and its answer is read and dropped.
    let server =
        b"+OK ready\r\n+OK\r\nPIPELINING\r\n.\r\n-ERR no\r\n-ERR [AUTH] bad\r\n+OK 0 0\r\n";
    let mut session = Session::new(1 << 20);
    session.capa();
    let login = session.login("mallory", "x").unwrap();
    let stat = session.stat();
    let (_, events) = drive(&mut session, &[server]);
    assert_eq!(completed(&events, login).as_ref().unwrap_err().text, "no");
    assert_eq!(
        completed(&events, stat),
        &Ok(Outcome::Stat { count: 0, size: 0 })
    );
}

#[test]
fn response_codes_become_typed_refusals() {
    let server = b"+OK <1896.697170952@dbc.mtview.ca.us>\r\n-ERR [IN-USE] Mailbox is locked\r\n-ERR [LOGIN-DELAY] Wait\r\n";
    let mut session = Session::new(1 << 20);
    let first = session.auth_plain("alice", "x").unwrap();
    let second = session.auth_plain("alice", "x").unwrap();
    let (_, events) = drive(&mut session, &[server]);
    assert_eq!(
        events[0],
        Event::Greeting {
            text: "<1896.697170952@dbc.mtview.ca.us>".into(),
            apop_timestamp: Some("<1896.697170952@dbc.mtview.ca.us>".into())
        }
    );
    let Err(in_use) = completed(&events, first) else {
        panic!()
    };
    assert_eq!(in_use.code, Some(ResponseCode::InUse));
    assert!(
        in_use
            .describe()
            .contains("Another program is reading this mailbox")
    );
    assert_eq!(
        completed(&events, second).as_ref().unwrap_err().code,
        Some(ResponseCode::LoginDelay)
    );
}

#[test]
fn a_greeting_refusal_is_reported() {
    let mut session = Session::new(1 << 20);
    let (_, events) = drive(&mut session, &[b"-ERR [SYS/TEMP] Try later\r\n"]);
    assert_eq!(
        events,
        vec![Event::Rejected(Refusal {
            code: Some(ResponseCode::SysTemp),
            text: "Try later".into()
        })]
    );
}

#[test]
fn bad_input_says_what_and_where() {
    let mut session = Session::new(1 << 20);
    session.noop();
    session.receive(b"+OK hi\r\nHELLO THERE\r\n");
    let error = first_error(&mut session).expect("an error");
    assert_eq!(
        error,
        ProtocolError::NotAStatus {
            at: 8,
            line: "HELLO THERE".into()
        }
    );

    let mut session = Session::new(16);
    session.retr(1).unwrap();
    session.receive(b"+OK hi\r\n+OK\r\n0123456789\r\n0123456789\r\n.\r\n");
    let error = first_error(&mut session).expect("an error");
    assert!(
        matches!(error, ProtocolError::TooLong { limit: 16, .. }),
        "{error:?}"
    );

    let mut session = Session::new(16);
    session.receive(b"+OK hi\r\n+OK unasked\r\n");
    let error = first_error(&mut session).expect("an error");
    assert_eq!(error, ProtocolError::Unsolicited);
}
