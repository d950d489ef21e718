//! Anything an SMTP server might send: the engine must answer with events or a
//! `ProtocolError`, never a panic, a hang or unbounded memory. The first byte picks
//! how the input is cut into reads and whether the envelope is pipelined.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postern_shared::smtp::{Mailbox, Session, Step};

fuzz_target!(|input: &[u8]| {
    let Some((&control, bytes)) = input.split_first() else {
        return;
    };
    let piece = usize::from(control % 64) + 1;
    let mut session = Session::new();
    session.set_lockstep(control & 0x80 != 0);
    let mailbox = |a: &str| Mailbox::parse(a).expect("a valid address");
    session.ehlo("postern").ok();
    if control & 0x40 != 0 {
        session.auth_login("alice", "secret").ok();
    } else {
        session.auth_plain("alice", "secret").ok();
    }
    session
        .send(
            &mailbox("alice@postern.test"),
            &[mailbox("bob@postern.test"), mailbox("carol@postern.test")],
            b"Subject: x\r\n\r\n.dot\r\n".to_vec(),
        )
        .ok();
    session.noop();
    session.quit();
    let mut pieces = bytes.chunks(piece);
    for _ in 0..100_000 {
        match session.progress() {
            Ok(Step::Send(_)) | Ok(Step::Event(_)) => {}
            Ok(Step::NeedInput) => match pieces.next() {
                Some(piece) => session.receive(piece),
                None => return,
            },
            Err(_) => return,
        }
    }
});
