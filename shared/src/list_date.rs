//! When a message list says a message is from, and how much of that date it shows.
//!
//! Rules, as people read dates:
//! - the instant is the message's Date header when it is sane (it parses, and is
//!   neither before 1990 nor more than a day after the server received the
//!   message), else when the server received it (INTERNALDATE), else the header as
//!   it is, if it parses at all;
//! - a message from today (in the reader's time zone) shows its time, one from this
//!   year its day and month, an older one its whole date; the full date and time are
//!   always there on hover. The words and order are the browser's locale's
//!   (`Intl.DateTimeFormat`); this module only decides.

use chrono::{DateTime, Datelike, FixedOffset, TimeZone};

use crate::summary::MessageSummary;

/// How much of the date a list row shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateStyle {
    /// Today: `09:15`.
    Time,
    /// This year: `2 Mar`.
    DayMonth,
    /// Before this year: `2 Mar 2025`.
    Full,
}

/// The earliest Date header believed (anything before is a broken clock).
const EARLIEST_SANE_MS: i64 = 631_152_000_000; // 1990-01-01T00:00:00Z
/// How far after its arrival a message's Date header may lie.
const FUTURE_TOLERANCE_MS: i64 = 24 * 60 * 60 * 1000;

fn parse_header(date: &str) -> Option<DateTime<FixedOffset>> {
    // Obsolete zone names and comments ("(UTC)") are common: mail-parser style
    // leniency is not needed beyond what RFC 2822 parsing accepts, minus comments.
    let cleaned = date.split('(').next().unwrap_or(date).trim();
    DateTime::parse_from_rfc2822(cleaned).ok()
}

/// The instant to show for `row`, in milliseconds since the epoch.
pub fn shown_instant(row: &MessageSummary) -> Option<i64> {
    let received = row
        .received
        .as_deref()
        .and_then(|r| DateTime::parse_from_rfc3339(r).ok())
        .map(|d| d.timestamp_millis());
    let header = row
        .date
        .as_deref()
        .and_then(parse_header)
        .map(|d| d.timestamp_millis());
    match (header, received) {
        (Some(header), Some(received))
            if header >= EARLIEST_SANE_MS && header <= received + FUTURE_TOLERANCE_MS =>
        {
            Some(header)
        }
        (_, Some(received)) => Some(received),
        (header, None) => header,
    }
}

/// How much of `message_ms` to show when it is now `now_ms`, for a reader whose
/// clock is `offset_minutes` east of UTC (`-new Date().getTimezoneOffset()`).
pub fn date_style(message_ms: i64, now_ms: i64, offset_minutes: i32) -> DateStyle {
    let Some(zone) = FixedOffset::east_opt(offset_minutes.saturating_mul(60)) else {
        return DateStyle::Full;
    };
    let (Some(message), Some(now)) = (
        zone.timestamp_millis_opt(message_ms).single(),
        zone.timestamp_millis_opt(now_ms).single(),
    ) else {
        return DateStyle::Full;
    };
    if message.date_naive() == now.date_naive() {
        DateStyle::Time
    } else if message.year() == now.year() {
        DateStyle::DayMonth
    } else {
        DateStyle::Full
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(date: Option<&str>, received: Option<&str>) -> MessageSummary {
        MessageSummary {
            uid: 1,
            flags: Vec::new(),
            subject: String::new(),
            from: Vec::new(),
            to: Vec::new(),
            cc: Vec::new(),
            date: date.map(str::to_owned),
            received: received.map(str::to_owned),
            size: 0,
            message_id: None,
            in_reply_to: None,
            references: Vec::new(),
            has_attachments: false,
        }
    }

    const RECEIVED: &str = "2026-03-02T09:20:00+01:00";

    #[test]
    fn the_date_header_when_sane_else_the_arrival() {
        let ms = |rfc3339: &str| {
            DateTime::parse_from_rfc3339(rfc3339)
                .unwrap()
                .timestamp_millis()
        };
        // Sane: sent five minutes before it arrived.
        assert_eq!(
            shown_instant(&row(
                Some("Mon, 2 Mar 2026 09:15:00 +0100 (CET)"),
                Some(RECEIVED)
            )),
            Some(ms("2026-03-02T09:15:00+01:00"))
        );
        // From the future, or from 1970: the arrival.
        for insane in [
            "Tue, 2 Mar 2027 09:15:00 +0100",
            "Thu, 1 Jan 1970 00:00:00 +0000",
            "soon",
        ] {
            assert_eq!(
                shown_instant(&row(Some(insane), Some(RECEIVED))),
                Some(ms(RECEIVED)),
                "{insane}"
            );
        }
        // No arrival known (POP3): the header as it is.
        assert_eq!(
            shown_instant(&row(Some("Mon, 2 Mar 2026 09:15:00 +0100"), None)),
            Some(ms("2026-03-02T09:15:00+01:00"))
        );
        assert_eq!(shown_instant(&row(None, None)), None);
    }

    #[test]
    fn today_by_time_this_year_by_day_older_by_date() {
        let ms = |rfc3339: &str| {
            DateTime::parse_from_rfc3339(rfc3339)
                .unwrap()
                .timestamp_millis()
        };
        let now = ms("2026-03-02T23:30:00+00:00");
        assert_eq!(
            date_style(ms("2026-03-02T00:10:00+00:00"), now, 0),
            DateStyle::Time
        );
        assert_eq!(
            date_style(ms("2026-03-01T23:59:00+00:00"), now, 0),
            DateStyle::DayMonth
        );
        assert_eq!(
            date_style(ms("2025-12-31T12:00:00+00:00"), now, 0),
            DateStyle::Full
        );
        // In Berlin (UTC+1) it is already 3 March: the 00:10 UTC message is yesterday's.
        assert_eq!(
            date_style(ms("2026-03-02T00:10:00+00:00"), now, 60),
            DateStyle::DayMonth
        );
        assert_eq!(
            date_style(ms("2026-03-02T23:10:00+00:00"), now, 60),
            DateStyle::Time
        );
    }
}
