//! Anything a POP3 server might send: the engine must answer with events or a
//! `ProtocolError`, never a panic, a hang or unbounded memory. The first byte picks
//! how the input is cut into reads and whether commands are pipelined.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postern_shared::pop3::{Session, Step};

fuzz_target!(|input: &[u8]| {
    let Some((&control, bytes)) = input.split_first() else {
        return;
    };
    let piece = usize::from(control % 64) + 1;
    let mut session = Session::new(1 << 16);
    session.set_lockstep(control & 0x80 != 0);
    session.capa();
    session.login("alice", "secret").ok();
    session.stat();
    session.list(None).ok();
    session.uidl(Some(1)).ok();
    session.top(1, 0).ok();
    session.retr(2).ok();
    session.dele(2).ok();
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
