//! Which messages a folder's list asks for first: the newest `size` of them.
//!
//! Rules:
//! - with UIDNEXT from SELECT, the window is the UIDs from `UIDNEXT - size` on, asked
//!   as `UID FETCH first:*` (new mail later falls inside it too);
//! - without UIDNEXT (Courier's SELECT has none; RFC 3501 only says SHOULD), the
//!   window is the last `size` sequence numbers, from EXISTS; the caller then keeps
//!   the lowest UID it received as the window's start. Never a UID computed from a
//!   missing value: `UID FETCH 4294967095:*` finds nothing on most servers;
//! - an empty folder asks for nothing.

use std::ops::RangeInclusive;

/// The first window of a folder's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewestWindow {
    /// `UID FETCH first:*`.
    FromUid(u32),
    /// `FETCH` these sequence numbers (1 is the oldest message).
    Positions(RangeInclusive<u32>),
    Empty,
}

/// The newest `size` messages of a folder holding `exists`, whose next UID is
/// `uid_next` when the server said.
pub fn newest_window(exists: u32, uid_next: Option<u32>, size: u32) -> NewestWindow {
    let size = size.max(1);
    if exists == 0 {
        return NewestWindow::Empty;
    }
    match uid_next {
        Some(next) if next > 1 => {
            let last = next - 1;
            NewestWindow::FromUid(last.saturating_sub(size - 1).max(1))
        }
        _ => NewestWindow::Positions(exists.saturating_sub(size - 1).max(1)..=exists),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uidnext_gives_a_uid_window() {
        assert_eq!(
            newest_window(500, Some(1001), 200),
            NewestWindow::FromUid(801)
        );
        assert_eq!(newest_window(3, Some(4), 200), NewestWindow::FromUid(1));
    }

    #[test]
    fn without_uidnext_the_window_is_the_last_positions() {
        assert_eq!(
            newest_window(500, None, 200),
            NewestWindow::Positions(301..=500)
        );
        assert_eq!(newest_window(7, None, 200), NewestWindow::Positions(1..=7));
        // A nonsensical UIDNEXT (1 with messages present) is treated as missing.
        assert_eq!(
            newest_window(2, Some(1), 200),
            NewestWindow::Positions(1..=2)
        );
    }

    #[test]
    fn an_empty_folder_asks_nothing() {
        assert_eq!(newest_window(0, None, 200), NewestWindow::Empty);
        assert_eq!(newest_window(0, Some(57), 200), NewestWindow::Empty);
    }
}
