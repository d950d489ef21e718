//! Which folder is the Trash, the Sent folder, the Drafts, Junk and Archive, and how
//! folder names look to the user: pure decisions over what LIST and NAMESPACE said.
//!
//! Rules, in order of precedence, for each role:
//! 1. the user's own choice for this account, if it names a listed folder;
//! 2. a folder the server flags with that SPECIAL-USE attribute (RFC 6154);
//! 3. a folder of the personal namespace whose name, after the namespace prefix
//!    (`INBOX.` on Courier), is one of the usual names of that role, compared without
//!    regard to case (servers without SPECIAL-USE: Courier, older Cyrus, many hosts).
//!
//! One folder plays at most one role, and a role goes to at most one folder. A role
//! left without a folder stays so: the caller must then ask the user (Delete without
//! a Trash deletes for good only after a confirmation).

use super::outcome::{MailboxInfo, SpecialUse};

/// The personal namespace (RFC 2342): where the user's folders live.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonalNamespace {
    /// `""` on most servers, `"INBOX."` on Courier and Cyrus in its default mode.
    pub prefix: String,
    pub delimiter: Option<char>,
}

impl PersonalNamespace {
    /// The first personal namespace NAMESPACE reported; the empty prefix when none.
    pub fn from_reply(personal: &[(String, Option<char>)]) -> PersonalNamespace {
        personal
            .first()
            .map(|(prefix, delimiter)| PersonalNamespace {
                prefix: super::utf7::decode(prefix).unwrap_or_else(|_| prefix.clone()),
                delimiter: *delimiter,
            })
            .unwrap_or_default()
    }

    /// What the user sees of a folder's name: without the namespace prefix
    /// (`INBOX.Trash` shows as `Trash`); the Inbox itself stays `INBOX`.
    pub fn display_name<'a>(&self, name: &'a str) -> &'a str {
        match name.get(..self.prefix.len()) {
            Some(head) if !self.prefix.is_empty() && head.eq_ignore_ascii_case(&self.prefix) => {
                let rest = &name[self.prefix.len()..];
                if rest.is_empty() { name } else { rest }
            }
            _ => name,
        }
    }

    /// The full name of a new top-level folder the user called `typed`: inside the
    /// personal namespace, where the server allows creating it (Courier refuses
    /// `Projects` and wants `INBOX.Projects`).
    pub fn full_name(&self, typed: &str) -> String {
        if self.prefix.is_empty() || self.display_name(typed) != typed {
            typed.to_owned()
        } else {
            format!("{}{typed}", self.prefix)
        }
    }
}

/// The roles a client looks for, with their usual names (English and the
/// localized defaults of common servers and clients), compared case-insensitively.
const USUAL_NAMES: [(SpecialUse, &[&str]); 5] = [
    (
        SpecialUse::Trash,
        &[
            "Trash",
            "Deleted Items",
            "Deleted Messages",
            "Deleted",
            "Bin",
            "Papierkorb",
            "Corbeille",
        ],
    ),
    (
        SpecialUse::Sent,
        &[
            "Sent",
            "Sent Items",
            "Sent Messages",
            "Sent Mail",
            "Gesendet",
            "Envoyés",
        ],
    ),
    (
        SpecialUse::Drafts,
        &["Drafts", "Draft", "Entwürfe", "Brouillons"],
    ),
    (
        SpecialUse::Junk,
        &["Junk", "Spam", "Junk E-mail", "Junk Email", "Bulk Mail"],
    ),
    (SpecialUse::Archive, &["Archive", "Archives", "Archiv"]),
];

/// Gives each role its folder, by the rules in the module doc, writing the result
/// into `special_use`. `chosen` are the user's choices, as (role, folder name).
pub fn assign_roles(
    folders: &mut [MailboxInfo],
    namespace: &PersonalNamespace,
    chosen: &[(SpecialUse, String)],
) {
    for (role, names) in USUAL_NAMES {
        let by_choice = chosen
            .iter()
            .filter(|(r, _)| *r == role)
            .find_map(|(_, name)| folders.iter().position(|f| f.selectable && f.name == *name));
        let by_attribute = || folders.iter().position(|f| f.special_use == Some(role));
        let by_name = || {
            folders.iter().position(|f| {
                f.selectable
                    && f.special_use.is_none()
                    && names
                        .iter()
                        .any(|usual| namespace.display_name(&f.name).eq_ignore_ascii_case(usual))
            })
        };
        let Some(at) = by_choice.or_else(by_attribute).or_else(by_name) else {
            continue;
        };
        // The role is this folder's alone.
        for (index, folder) in folders.iter_mut().enumerate() {
            if index != at && folder.special_use == Some(role) {
                folder.special_use = None;
            }
        }
        if folders[at].special_use != Some(SpecialUse::Inbox) {
            folders[at].special_use = Some(role);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str, special_use: Option<SpecialUse>) -> MailboxInfo {
        MailboxInfo {
            name: name.to_owned(),
            wire_name: name.to_owned(),
            delimiter: Some('.'),
            attributes: Vec::new(),
            special_use,
            selectable: true,
        }
    }

    fn roles(folders: &[MailboxInfo]) -> Vec<(&str, Option<SpecialUse>)> {
        folders
            .iter()
            .map(|f| (f.name.as_str(), f.special_use))
            .collect()
    }

    fn courier() -> PersonalNamespace {
        PersonalNamespace::from_reply(&[("INBOX.".to_owned(), Some('.'))])
    }

    #[test]
    fn usual_names_inside_the_namespace_stand_in_for_special_use() {
        let mut folders = vec![
            folder("INBOX", Some(SpecialUse::Inbox)),
            folder("INBOX.Trash", None),
            folder("INBOX.Sent Items", None),
            folder("INBOX.drafts", None),
            folder("INBOX.Spam", None),
            folder("INBOX.Projects", None),
        ];
        assign_roles(&mut folders, &courier(), &[]);
        assert_eq!(
            roles(&folders),
            [
                ("INBOX", Some(SpecialUse::Inbox)),
                ("INBOX.Trash", Some(SpecialUse::Trash)),
                ("INBOX.Sent Items", Some(SpecialUse::Sent)),
                ("INBOX.drafts", Some(SpecialUse::Drafts)),
                ("INBOX.Spam", Some(SpecialUse::Junk)),
                ("INBOX.Projects", None),
            ]
        );
    }

    #[test]
    fn a_flag_from_the_server_wins_over_a_name_and_a_choice_over_both() {
        let mut folders = vec![
            folder("Trash", None),
            folder("Papierkorb", Some(SpecialUse::Trash)),
            folder("Old", None),
        ];
        assign_roles(&mut folders, &PersonalNamespace::default(), &[]);
        assert_eq!(folders[0].special_use, None);
        assert_eq!(folders[1].special_use, Some(SpecialUse::Trash));

        let chosen = [(SpecialUse::Trash, "Old".to_owned())];
        assign_roles(&mut folders, &PersonalNamespace::default(), &chosen);
        assert_eq!(
            roles(&folders),
            [
                ("Trash", None),
                ("Papierkorb", None),
                ("Old", Some(SpecialUse::Trash))
            ]
        );
        // A choice naming a folder that is gone falls back to the rules.
        let chosen = [(SpecialUse::Trash, "Gone".to_owned())];
        let mut folders = vec![folder("Trash", None)];
        assign_roles(&mut folders, &PersonalNamespace::default(), &chosen);
        assert_eq!(folders[0].special_use, Some(SpecialUse::Trash));
    }

    #[test]
    fn no_role_without_a_fitting_folder_and_never_outside_the_namespace() {
        let mut folders = vec![
            folder("INBOX", Some(SpecialUse::Inbox)),
            folder("#shared.Trash", None),
            folder("INBOX.Bin Liners", None),
        ];
        assign_roles(&mut folders, &courier(), &[]);
        assert!(folders[1..].iter().all(|f| f.special_use.is_none()));
        let mut unselectable = vec![MailboxInfo {
            selectable: false,
            ..folder("Trash", None)
        }];
        assign_roles(&mut unselectable, &PersonalNamespace::default(), &[]);
        assert_eq!(unselectable[0].special_use, None);
    }

    #[test]
    fn names_show_without_the_prefix_and_new_folders_get_it() {
        let ns = courier();
        assert_eq!(ns.display_name("INBOX.Trash"), "Trash");
        assert_eq!(ns.display_name("inbox.Work.2026"), "Work.2026");
        assert_eq!(ns.display_name("INBOX"), "INBOX");
        assert_eq!(ns.display_name("#shared.x"), "#shared.x");
        assert_eq!(ns.full_name("Projects"), "INBOX.Projects");
        assert_eq!(ns.full_name("INBOX.Projects"), "INBOX.Projects");
        let plain = PersonalNamespace::default();
        assert_eq!(plain.display_name("Trash"), "Trash");
        assert_eq!(plain.full_name("Projects"), "Projects");
    }
}
