//! Typed search and sort requests (RFC 3501 §6.4.4, RFC 5256), turned into imap-types
//! search keys so no user text is ever pasted into a command.

use chrono::NaiveDate;
use imap_next::imap_types::IntoStatic;
use imap_next::imap_types::core::{AString, Vec1};
use imap_next::imap_types::extensions::sort::{SortCriterion, SortKey};
use imap_next::imap_types::search::SearchKey;

use super::UidSet;

/// Conditions a message must all meet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Anywhere in headers or body.
    pub text: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub unseen: bool,
    pub flagged: bool,
    /// Received on or after this day.
    pub since: Option<NaiveDate>,
    /// Received before this day.
    pub before: Option<NaiveDate>,
    /// Only these UIDs (e.g. the window a cached list covers).
    pub uids: Option<UidSet>,
}

/// What a message list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    /// The Date header.
    Date,
    /// When the server received it.
    Arrival,
    From,
    Subject,
    Size,
}

pub(crate) fn search_keys(query: &SearchQuery) -> Result<Vec1<SearchKey<'static>>, &'static str> {
    let text = |value: &str| -> Result<AString<'static>, &'static str> {
        AString::try_from(value.to_owned())
            .map(IntoStatic::into_static)
            .map_err(|_| "this search text")
    };
    let day = |date: &NaiveDate| {
        imap_next::imap_types::datetime::NaiveDate::try_from(*date).map_err(|_| "this date")
    };
    let mut keys = Vec::new();
    if let Some(value) = &query.text {
        keys.push(SearchKey::Text(text(value)?));
    }
    if let Some(value) = &query.from {
        keys.push(SearchKey::From(text(value)?));
    }
    if let Some(value) = &query.to {
        keys.push(SearchKey::To(text(value)?));
    }
    if let Some(value) = &query.subject {
        keys.push(SearchKey::Subject(text(value)?));
    }
    if let Some(value) = &query.body {
        keys.push(SearchKey::Body(text(value)?));
    }
    if query.unseen {
        keys.push(SearchKey::Unseen);
    }
    if query.flagged {
        keys.push(SearchKey::Flagged);
    }
    if let Some(date) = &query.since {
        keys.push(SearchKey::Since(day(date)?));
    }
    if let Some(date) = &query.before {
        keys.push(SearchKey::Before(day(date)?));
    }
    if let Some(uids) = &query.uids {
        keys.push(SearchKey::Uid(
            uids.to_sequence_set()
                .ok_or("this UID set (empty, or UID 0)")?,
        ));
    }
    if keys.is_empty() {
        keys.push(SearchKey::All);
    }
    Ok(Vec1::try_from(keys).expect("at least ALL is present"))
}

pub(crate) fn sort_criteria(by: SortBy, reverse: bool) -> Vec1<SortCriterion> {
    let key = match by {
        SortBy::Date => SortKey::Date,
        SortBy::Arrival => SortKey::Arrival,
        SortBy::From => SortKey::From,
        SortBy::Subject => SortKey::Subject,
        SortBy::Size => SortKey::Size,
    };
    Vec1::from(SortCriterion { reverse, key })
}
