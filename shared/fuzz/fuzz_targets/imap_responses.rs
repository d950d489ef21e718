//! Anything a server (or a man in the middle of a plaintext link) might send: the
//! engine must answer with events or a `ProtocolError`, never a panic, a hang or
//! unbounded memory. The first byte picks how the input is cut into reads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postern_shared::imap::{Session, Step, UidSet};

fuzz_target!(|input: &[u8]| {
    let Some((&cut, bytes)) = input.split_first() else {
        return;
    };
    let piece = usize::from(cut % 64) + 1;
    let mut session = Session::new(1 << 16);
    // Requests of every kind in flight, so responses route into each collector.
    session.login("alice", "secret").ok();
    session.list();
    session.select("INBOX", false).ok();
    session.fetch_summaries(&UidSet::range(1, None)).ok();
    session.fetch_section(2, &[1, 2], Some((0, 100))).ok();
    session.status("Sent").ok();
    session.noop();
    session.idle().ok();
    let mut pieces = bytes.chunks(piece);
    // Bounded: every turn either consumes input or yields output/events, and output
    // is limited by the requests above.
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
