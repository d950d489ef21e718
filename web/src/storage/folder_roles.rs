//! Which folder the user chose as the Trash, Sent, Drafts, Junk and Archive of an
//! account, kept in localStorage (a preference, no secret) under the account's key.

use postern_shared::imap::SpecialUse;

/// The roles a user may choose, with their key in storage and their label.
pub(crate) const ROLES: [(SpecialUse, &str, &str); 5] = [
    (SpecialUse::Trash, "trash", "Trash"),
    (SpecialUse::Sent, "sent", "Sent"),
    (SpecialUse::Drafts, "drafts", "Drafts"),
    (SpecialUse::Junk, "junk", "Junk"),
    (SpecialUse::Archive, "archive", "Archive"),
];

type Choices = serde_json::Map<String, serde_json::Value>;

fn storage_key(account: &str) -> String {
    format!("postern.folder-roles.{account}")
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The folders the user chose for `account` (`upstream/user`), as (role, name).
pub(crate) fn chosen(account: &str) -> Vec<(SpecialUse, String)> {
    let Some(map) = local_storage()
        .and_then(|s| s.get_item(&storage_key(account)).ok().flatten())
        .and_then(|text| serde_json::from_str::<Choices>(&text).ok())
    else {
        return Vec::new();
    };
    ROLES
        .iter()
        .filter_map(|(role, key, _)| Some((*role, map.get(*key)?.as_str()?.to_owned())))
        .collect()
}

/// Keeps `choices` (role key, folder name; an empty name is "automatic").
pub(crate) fn save(account: &str, choices: &[(&str, String)]) {
    let map: Choices = choices
        .iter()
        .filter(|(_, name)| !name.is_empty())
        .map(|(key, name)| ((*key).to_owned(), serde_json::Value::from(name.as_str())))
        .collect();
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(
            &storage_key(account),
            &serde_json::Value::Object(map).to_string(),
        );
    }
}
