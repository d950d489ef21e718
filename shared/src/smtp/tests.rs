//! The session against recorded server transcripts, fed whole, byte by byte and
//! split at every position.

use super::*;
use crate::engine::transcript::every_split;

const GREETING: &[u8] = b"220 mail.postern.test ESMTP Postfix\r\n";
const EHLO: &[u8] = b"250-mail.postern.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n\
    250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";
const EHLO_LOCKSTEP: &[u8] = b"250-mail.postern.test\r\n250-SIZE 1000\r\n250 AUTH LOGIN\r\n";

fn mailbox(address: &str) -> Mailbox {
    Mailbox::parse(address).unwrap()
}

fn results(events: &[Event]) -> Vec<Result<Outcome, Refusal>> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Completed { result, .. } => Some(result.clone()),
            _ => None,
        })
        .collect()
}

/// A session that has seen the greeting and `ehlo`, with `then` queued.
fn session_after(ehlo: &[u8], then: impl Fn(&mut Session) + Clone) -> impl Fn() -> Session {
    let ehlo = ehlo.to_vec();
    move || {
        let mut session = Session::new();
        session.ehlo("postern").unwrap();
        session.receive(GREETING);
        session.receive(&ehlo);
        while !matches!(session.progress().unwrap(), Step::NeedInput) {}
        then(&mut session);
        session
    }
}

#[test]
fn greets_ehlos_and_signs_in_with_plain() {
    let (sent, events) = every_split(
        || {
            let mut session = Session::new();
            session.ehlo("postern").unwrap();
            session.auth_plain("alice", "alice-secret").unwrap();
            session
        },
        &[GREETING, EHLO, b"235 2.7.0 Authentication successful\r\n"].concat(),
    );
    assert_eq!(
        sent,
        b"EHLO postern\r\nAUTH PLAIN AGFsaWNlAGFsaWNlLXNlY3JldA==\r\n".to_vec()
    );
    assert!(matches!(events[0], Event::Greeting(_)));
    match &results(&events)[..] {
        [Ok(Outcome::Extensions(extensions)), Ok(Outcome::Done)] => {
            assert_eq!(extensions.size, Some(1000));
            assert!(extensions.pipelining);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn signs_in_with_login_and_reports_a_wrong_password() {
    let make = session_after(EHLO_LOCKSTEP, |s: &mut Session| {
        s.authenticate("alice", "wrong").unwrap();
    });
    let (sent, events) = every_split(
        make,
        b"334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n535 5.7.8 Error: authentication failed\r\n",
    );
    assert_eq!(sent, b"AUTH LOGIN\r\nYWxpY2U=\r\nd3Jvbmc=\r\n".to_vec());
    let [Err(Refusal::Reply(reply))] = &results(&events)[..] else {
        panic!("{events:?}");
    };
    assert!(
        reply
            .describe()
            .starts_with("The user name or password is wrong.")
    );
}

#[test]
fn sends_a_message_pipelined_with_dot_stuffing() {
    let message = b"Subject: dots\r\n\r\n.hidden\r\nlast".to_vec();
    let make = session_after(EHLO, move |s: &mut Session| {
        s.send(
            &mailbox("alice@postern.test"),
            &[mailbox("bob@postern.test"), mailbox("carol@postern.test")],
            message.clone(),
        )
        .unwrap();
    });
    let (sent, events) = every_split(
        make,
        b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n\
          250 2.0.0 Ok: queued as 5613F9C4239\r\n",
    );
    assert_eq!(
        String::from_utf8(sent).unwrap(),
        "MAIL FROM:<alice@postern.test> SIZE=30\r\nRCPT TO:<bob@postern.test>\r\n\
         RCPT TO:<carol@postern.test>\r\nDATA\r\nSubject: dots\r\n\r\n..hidden\r\nlast\r\n.\r\n"
    );
    let [Ok(Outcome::Sent(reply))] = &results(&events)[..] else {
        panic!("{events:?}");
    };
    assert_eq!(reply.text(), "Ok: queued as 5613F9C4239");
}

#[test]
fn a_refused_recipient_stops_the_message_and_is_named() {
    let make = session_after(EHLO, |s: &mut Session| {
        s.send(
            &mailbox("alice@postern.test"),
            &[mailbox("bob@postern.test"), mailbox("nobody@postern.test")],
            b"Subject: x\r\n\r\nx\r\n".to_vec(),
        )
        .unwrap();
    });
    let (sent, events) = every_split(
        make,
        b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 <nobody@postern.test>: Recipient address \
          rejected: User unknown in virtual mailbox table\r\n250 2.0.0 Ok\r\n",
    );
    let sent = String::from_utf8(sent).unwrap();
    assert!(
        sent.ends_with("RCPT TO:<nobody@postern.test>\r\nRSET\r\n"),
        "{sent}"
    );
    assert!(!sent.contains("DATA"));
    let [Err(Refusal::Recipients(refused))] = &results(&events)[..] else {
        panic!("{events:?}");
    };
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].0.as_str(), "nobody@postern.test");
    let said = Refusal::Recipients(refused.clone()).to_string();
    assert!(
        said.contains("nobody@postern.test: There is no such mailbox."),
        "{said}"
    );
}

#[test]
fn a_size_refusal_after_the_text_is_reported() {
    let make = session_after(EHLO_LOCKSTEP, |s: &mut Session| {
        s.send(
            &mailbox("alice@postern.test"),
            &[mailbox("bob@postern.test")],
            b"Subject: big\r\n\r\nbig\r\n".to_vec(),
        )
        .unwrap();
    });
    let (sent, events) = every_split(
        make,
        b"250 Ok\r\n250 Ok\r\n354 go\r\n552 5.3.4 Message size exceeds fixed limit\r\n",
    );
    // Lockstep: each envelope command after the previous answer.
    assert!(String::from_utf8(sent).unwrap().starts_with(
        "MAIL FROM:<alice@postern.test> SIZE=21\r\nRCPT TO:<bob@postern.test>\r\nDATA\r\n"
    ));
    let [Err(Refusal::Reply(reply))] = &results(&events)[..] else {
        panic!("{events:?}");
    };
    assert_eq!(reply.code, 552);
    assert!(
        reply
            .describe()
            .starts_with("The message is too big for the server.")
    );
}

#[test]
fn a_message_over_the_announced_size_never_leaves() {
    let mut session = session_after(EHLO, |_: &mut Session| {})();
    let error = session
        .send(
            &mailbox("alice@postern.test"),
            &[mailbox("bob@postern.test")],
            vec![b'x'; 1001],
        )
        .unwrap_err();
    assert_eq!(
        error,
        CommandError::TooBig {
            size: 1001,
            limit: 1000
        }
    );
    let mut lockstep = session_after(EHLO_LOCKSTEP, |_: &mut Session| {})();
    assert_eq!(
        lockstep
            .send(
                &mailbox("jürgen@postern.test"),
                &[mailbox("bob@postern.test")],
                vec![]
            )
            .unwrap_err(),
        CommandError::NeedsSmtpUtf8("jürgen@postern.test".into())
    );
    assert!(matches!(session.progress().unwrap(), Step::NeedInput));
}

#[test]
fn a_refused_mail_from_sends_no_recipient_in_lockstep() {
    let make = session_after(EHLO_LOCKSTEP, |s: &mut Session| {
        s.send(
            &mailbox("mallory@postern.test"),
            &[mailbox("bob@postern.test")],
            b"x\r\n".to_vec(),
        )
        .unwrap();
    });
    let (sent, events) = every_split(
        make,
        b"553 5.7.1 <mallory@postern.test>: Sender address rejected: not owned by user alice\r\n",
    );
    assert_eq!(
        sent,
        b"MAIL FROM:<mallory@postern.test> SIZE=3\r\n".to_vec()
    );
    assert!(matches!(&results(&events)[..], [Err(Refusal::Reply(r))] if r.code == 553));
}

#[test]
fn falls_back_to_helo_and_reads_a_rejecting_greeting() {
    let (sent, events) = every_split(
        || {
            let mut session = Session::new();
            session.ehlo("postern").unwrap();
            session
        },
        b"220 old.example\r\n502 command not recognized\r\n250 old.example\r\n",
    );
    assert_eq!(sent, b"EHLO postern\r\nHELO postern\r\n".to_vec());
    assert!(matches!(&results(&events)[..], [Ok(Outcome::Extensions(e))] if e.size.is_none()));

    let (_, events) = every_split(Session::new, b"554 5.3.2 no service for you\r\n");
    assert!(matches!(&events[..], [Event::Rejected(r)] if r.code == 554));
}

#[test]
fn garbage_is_an_error_with_a_position() {
    let mut session = Session::new();
    session.receive(b"220 ok\r\nHTTP/1.1 400 Bad Request\r\n");
    assert!(matches!(
        session.progress().unwrap(),
        Step::Event(Event::Greeting(_))
    ));
    let error = session.progress().unwrap_err();
    assert_eq!(
        error.to_string(),
        "the server sent \"HTTP/1.1 400 Bad Request\" at byte 8, where an SMTP reply line belongs"
    );
}
