//! The reader on hostile input grows linearly: each step of showing a message is
//! timed on an adversarial input at 1×, 10× and 100× its base size, and printed as
//! time per megabyte with the ratio to the 1× run (linear growth keeps the ratio
//! near 1; a quadratic step would show about 10 at 10× and 100 at 100×).
//! Baseline in the same run: the same sizes of ordinary text, so a noisy machine
//! shows in both columns alike.
//!
//! Run: `cargo bench -p postern-shared --bench hostile_reader`

use std::hint::black_box;
use std::time::{Duration, Instant};

use postern_shared::reader::html::{InlineImage, sanitize};
use postern_shared::reader::html_shape::{nesting, plain_text};
use postern_shared::reader::text::{links, pieces};

/// The best of a few runs: the least disturbed by the rest of the machine.
fn best_of(runs: usize, mut work: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn per_mb(time: Duration, bytes: usize) -> f64 {
    time.as_secs_f64() * 1000.0 / (bytes as f64 / 1_048_576.0)
}

fn scale(name: &str, base: usize, input: impl Fn(usize) -> String, step: impl Fn(&str)) {
    let mut first = None;
    print!("{name:<44}");
    for factor in [1, 10, 100] {
        let text = input(base * factor);
        let runs = if factor == 100 { 2 } else { 5 };
        let time = best_of(runs, || step(black_box(&text)));
        let cost = per_mb(time, text.len());
        let ratio = cost / *first.get_or_insert(cost);
        print!("  {factor:>3}×: {cost:>8.1} ms/MB ({ratio:>4.2})");
    }
    println!();
}

fn main() {
    println!("time per MB at 1×, 10×, 100× the base size (ratio to 1×; linear ≈ 1)");
    let words = |n: usize| "ordinary words of a letter\n".repeat(n);
    scale("baseline: links in plain words", 2_000, words, |t| {
        black_box(links(t));
    });
    scale(
        "links: a body full of addresses",
        2_000,
        |n| "see https://example.com/page and\n".repeat(n),
        |t| {
            black_box(links(t));
        },
    );
    scale(
        "links: one link and a run of `)`",
        20_000,
        |n| format!("http://a.example/{}", ")".repeat(n)),
        |t| {
            black_box(links(t));
        },
    );
    scale(
        "links: `htt` that never becomes a link",
        20_000,
        |n| "htt".repeat(n),
        |t| {
            black_box(links(t));
        },
    );
    scale(
        "pieces: one line without breaks",
        50_000,
        |n| "word ".repeat(n),
        |t| {
            black_box(pieces(t, 64 * 1024));
        },
    );
    let paragraphs = |n: usize| "<p>An <b>ordinary</b> paragraph of a newsletter.</p>\n".repeat(n);
    scale(
        "baseline: sanitize ordinary paragraphs",
        200,
        paragraphs,
        |t| {
            black_box(sanitize(t, false, &[]));
        },
    );
    scale(
        "sanitize: nested <div> (shown as text)",
        1_000,
        |n| "<div>".repeat(n) + "x",
        |t| {
            black_box(sanitize(t, false, &[]));
        },
    );
    scale(
        "nesting: nested <div>",
        1_000,
        |n| "<div>".repeat(n),
        |t| {
            black_box(nesting(t));
        },
    );
    scale(
        "plain_text: nested <div>",
        1_000,
        |n| "<div>x".repeat(n),
        |t| {
            black_box(plain_text(t));
        },
    );
    let image = [InlineImage::new("a", "image/png", &[0; 64]).expect("a raster type")];
    scale(
        "sanitize: many cid: references",
        100,
        |n| "<img src=\"cid:a\">".repeat(n),
        |t| {
            black_box(sanitize(t, false, &image));
        },
    );
}
