//! How fast the IMAP engine reads what a big mailbox sends:
//! - a FETCH of 10,000 envelopes (opening a large folder's list);
//! - one 20 MB BODY[] literal (opening a message with a big attachment).
//!
//! Each is measured twice in the same run: through the whole engine (`Session`:
//! framing, decoding, routing, building summaries) and through imap-codec's bare
//! response decoder as the baseline, so the engine's own cost shows as a ratio.
//!
//! Run: `cargo bench -p postern-shared --bench imap_parse`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use imap_codec::ResponseCodec;
use imap_codec::decode::Decoder;
use imap_next::imap_types::fetch::MessageDataItem;
use imap_next::imap_types::response::{Data, Response};
use postern_shared::imap::{Event, Outcome, Session, Step, UidSet};

const GREETING: &[u8] = b"* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n";

fn envelopes(count: u32) -> Vec<u8> {
    let mut out = Vec::new();
    for uid in 1..=count {
        out.extend_from_slice(format!(
            "* {uid} FETCH (UID {uid} FLAGS (\\Seen) INTERNALDATE \"02-Mar-2026 09:15:00 +0100\" RFC822.SIZE 4312 \
ENVELOPE (\"Mon, 02 Mar 2026 09:15:00 +0100\" \"=?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?= #{uid}\" \
((\"Carol Baker\" NIL \"carol\" \"example.org\")) ((\"Carol Baker\" NIL \"carol\" \"example.org\")) \
((\"Carol Baker\" NIL \"carol\" \"example.org\")) ((\"Alice Smith\" NIL \"alice\" \"example.org\")) NIL NIL \
\"<prev-{uid}@example.org>\" \"<msg-{uid}@example.org>\") \
BODY[HEADER.FIELDS (REFERENCES CONTENT-TYPE)] {{103}}\r\nReferences: <a@example.org> <prev-{uid:05}@ex.org>\r\n\
Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n)\r\n"
        ).as_bytes());
    }
    out.extend_from_slice(b"P1 OK Fetch completed\r\n");
    out
}

fn big_literal(size: usize) -> Vec<u8> {
    let mut out = format!("* 1 FETCH (UID 1 BODY[] {{{size}}}\r\n").into_bytes();
    out.extend((0..size).map(|i| {
        if i % 78 == 77 {
            b'\n'
        } else {
            b'a' + (i % 26) as u8
        }
    }));
    out.extend_from_slice(b")\r\nP1 OK Fetch completed\r\n");
    out
}

/// Feeds `response` in 64 KiB pieces, as a socket would deliver it; returns the outcome.
fn through_engine(response: &[u8], request: impl Fn(&mut Session)) -> Outcome {
    let mut session = Session::new(64 << 20);
    session.receive(GREETING);
    request(&mut session);
    let mut pieces = response.chunks(64 * 1024);
    loop {
        match session.progress().expect("well-formed") {
            Step::Event(Event::Completed { result, .. }) => return result.expect("OK"),
            Step::Event(_) | Step::Send(_) => {}
            Step::NeedInput => session.receive(pieces.next().expect("the response completes")),
        }
    }
}

/// imap-codec alone: decode every response in the buffer, touching each item.
fn through_codec(mut bytes: &[u8]) -> usize {
    let codec = ResponseCodec::default();
    let mut items = 0;
    while !bytes.is_empty() {
        let (rest, response) = codec.decode(bytes).expect("well-formed");
        if let Response::Data(Data::Fetch { items: fetched, .. }) = &response {
            items += fetched
                .as_ref()
                .iter()
                .filter(|i| !matches!(i, MessageDataItem::Uid(_)))
                .count();
        }
        black_box(response);
        bytes = rest;
    }
    items
}

fn benches(c: &mut Criterion) {
    let list = envelopes(10_000);
    let mut group = c.benchmark_group("10k envelopes");
    group.throughput(Throughput::Bytes(list.len() as u64));
    group.sample_size(10);
    group.bench_function("engine (Session)", |b| {
        b.iter(|| {
            let outcome = through_engine(&list, |s| {
                s.fetch_summaries(&UidSet::range(1, None)).unwrap();
            });
            assert!(matches!(outcome, Outcome::Summaries(ref rows) if rows.len() == 10_000));
        })
    });
    group.bench_function("baseline (imap-codec decode)", |b| {
        b.iter(|| through_codec(&list))
    });
    group.finish();

    let body = big_literal(20 << 20);
    let mut group = c.benchmark_group("20 MB literal");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.sample_size(10);
    group.bench_function("engine (Session)", |b| {
        b.iter(|| {
            let outcome = through_engine(&body, |s| {
                s.fetch_section(1, &[], None).unwrap();
            });
            assert!(matches!(outcome, Outcome::Section(Some(ref data)) if data.len() == 20 << 20));
        })
    });
    group.bench_function("baseline (imap-codec decode)", |b| {
        b.iter(|| through_codec(&body))
    });
    group.finish();
}

criterion_group!(parse, benches);
criterion_main!(parse);
