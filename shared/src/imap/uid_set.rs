//! [`UidSet`]: which messages a request is about, built from numbers, never from text.

use imap_next::imap_types::sequence::SequenceSet;

/// A set of UIDs as inclusive ranges; `None` as an upper bound means "to the newest".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UidSet(Vec<(u32, Option<u32>)>);

impl UidSet {
    pub fn single(uid: u32) -> UidSet {
        UidSet(vec![(uid, Some(uid))])
    }

    /// `first..=last`, or `first..` to the newest when `last` is `None`.
    pub fn range(first: u32, last: Option<u32>) -> UidSet {
        UidSet(vec![(first, last)])
    }

    /// The given UIDs, compressed into ranges (`1,2,3,7` becomes `1:3,7`).
    pub fn of(uids: &[u32]) -> UidSet {
        let mut sorted = uids.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut ranges: Vec<(u32, Option<u32>)> = Vec::new();
        for uid in sorted {
            match ranges.last_mut() {
                Some((_, Some(last))) if last.checked_add(1) == Some(uid) => *last = uid,
                _ => ranges.push((uid, Some(uid))),
            }
        }
        UidSet(ranges)
    }

    /// Whether `uid` is in the set (`n:*` holds every UID from `n` on).
    pub fn contains(&self, uid: u32) -> bool {
        self.0
            .iter()
            .any(|&(first, last)| uid >= first && last.is_none_or(|last| uid <= last))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The IMAP form: `1:3,7`, `5:*`.
    pub fn to_imap(&self) -> String {
        self.0
            .iter()
            .map(|&(first, last)| match last {
                Some(last) if last == first => first.to_string(),
                Some(last) => format!("{first}:{last}"),
                None => format!("{first}:*"),
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    pub(crate) fn to_sequence_set(&self) -> Option<SequenceSet> {
        SequenceSet::try_from(self.to_imap().as_str()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(UidSet::of(&[7, 1, 3, 2, 2]).to_imap(), "1:3,7");
        assert_eq!(UidSet::range(5, None).to_imap(), "5:*");
        assert_eq!(UidSet::single(9).to_imap(), "9");
        assert!(UidSet::of(&[]).is_empty());
        assert!(UidSet::of(&[1, 2, 3, 7]).contains(2));
        assert!(!UidSet::of(&[1, 2, 3, 7]).contains(5));
        assert!(UidSet::range(5, None).contains(u32::MAX));
        assert!(!UidSet::range(5, None).contains(4));
        assert!(UidSet::of(&[]).to_sequence_set().is_none());
        assert!(UidSet::single(0).to_sequence_set().is_none());
        assert!(
            UidSet::of(&[u32::MAX - 1, u32::MAX])
                .to_sequence_set()
                .is_some()
        );
    }
}
