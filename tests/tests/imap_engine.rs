//! The shared IMAP engine, natively, through the real tunnel to real Dovecot.

use base64::Engine;
use postern_shared::imap::{FlagOperation, MailboxChange, Outcome, SpecialUse, UidSet};
use postern_tests::client::Tunnel;
use postern_tests::corpus;
use postern_tests::dovecot::Dovecot;
use postern_tests::imap_client::ImapClient;
use postern_tests::server::{PosternServer, ServerConfig, upstream};

fn start() -> (Dovecot, PosternServer) {
    let dovecot = Dovecot::start().expect("dovecot starts");
    dovecot
        .seed("alice", "INBOX", &corpus::standard_mailbox())
        .unwrap();
    let server = PosternServer::start(&ServerConfig::for_dovecot(&dovecot)).unwrap();
    (dovecot, server)
}

async fn logged_in(server: &PosternServer, upstream: &str) -> ImapClient {
    let mut client = ImapClient::connect(&server.tunnel_url(), upstream)
        .await
        .unwrap();
    let login = client.session.login("alice", "alice-secret").unwrap();
    client.ok(login).await;
    client
}

#[tokio::test]
async fn list_select_fetch_and_store() {
    let (_dovecot, server) = start();
    let mut client = logged_in(&server, upstream::IMPLICIT).await;
    assert!(
        client.session.has_capability("IDLE"),
        "{:?}",
        client.session.capabilities()
    );

    let list = client.session.list();
    let Outcome::Mailboxes(folders) = client.ok(list).await else {
        panic!()
    };
    for (name, special) in [
        ("INBOX", SpecialUse::Inbox),
        ("Drafts", SpecialUse::Drafts),
        ("Sent", SpecialUse::Sent),
        ("Trash", SpecialUse::Trash),
        ("Junk", SpecialUse::Junk),
        ("Archive", SpecialUse::Archive),
    ] {
        let folder = folders
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("{name} missing: {folders:?}"));
        assert_eq!(folder.special_use, Some(special), "{folder:?}");
    }

    let select = client.session.select("INBOX", false).unwrap();
    let Outcome::Selected(inbox) = client.ok(select).await else {
        panic!()
    };
    assert_eq!(inbox.exists, 10);
    assert!(
        inbox.uid_validity.is_some() && inbox.uid_next == Some(11),
        "{inbox:?}"
    );

    let rows = client.all_summaries().await;
    let subjects: Vec<&str> = rows.iter().map(|r| r.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "Planning the spring release",
            "Re: Planning the spring release",
            "Re: Planning the spring release",
            "Grüße aus Köln — Planung 2026 ✓",
            "Votre facture de février",
            "Reunión mañana",
            "This week at Example",
            "Lunch on Friday?",
            "Site photos and agenda",
            "Survey data (5 MB)",
        ]
    );
    assert_eq!(rows[3].from[0].name, "Renée Müller");

    // By position: messages 4 to 6 of the folder, whatever their UIDs.
    let stretch = client.session.fetch_summaries_at(4..=6).unwrap();
    let Outcome::Summaries(middle) = client.ok(stretch).await else {
        panic!()
    };
    let middle: Vec<&str> = middle.iter().map(|r| r.subject.as_str()).collect();
    assert_eq!(middle, subjects[3..6]);
    assert!(client.session.fetch_summaries_at(0..=3).is_err());
    assert_eq!(rows[5].from[0].name, "José García");
    assert!(rows[0].is_seen() && !rows[1].is_seen());
    assert!(rows[2].has_flag("\\Flagged"));
    assert!(rows[8].has_attachments && rows[9].has_attachments);
    assert!(!rows[0].has_attachments && !rows[7].has_attachments);
    assert!(rows[9].size > 5_000_000);
    assert_eq!(
        rows[1].in_reply_to.as_deref(),
        Some(corpus::PLAIN_MESSAGE_ID)
    );

    // The 5 MB attachment is part 2 of message 10; fetched alone it decodes intact.
    let part = client.session.fetch_section(10, &[2], None).unwrap();
    let Outcome::Section(Some(encoded)) = client.ok(part).await else {
        panic!()
    };
    let cleaned: Vec<u8> = encoded
        .into_iter()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(cleaned)
        .unwrap();
    assert!(decoded == corpus::large_attachment_bytes());

    let store = client
        .session
        .store_flags(
            &UidSet::single(2),
            FlagOperation::Add,
            &["\\Seen", "\\Flagged"],
            None,
        )
        .unwrap();
    let Outcome::FlagsChanged {
        updates: changed, ..
    } = client.ok(store).await
    else {
        panic!()
    };
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].uid, Some(2));
    assert!(changed[0].flags.contains(&"\\Flagged".to_owned()));

    let logout = client.session.logout();
    client.ok(logout).await;
}

#[tokio::test]
async fn authentication_paths() {
    let (_dovecot, server) = start();
    // AUTHENTICATE PLAIN, with SASL-IR as Dovecot offers it, over STARTTLS.
    let mut client = ImapClient::connect(&server.tunnel_url(), upstream::STARTTLS)
        .await
        .unwrap();
    // The greeting replayed after the server's STARTTLS has no capabilities: the
    // session knows it does not know them.
    assert!(!client.session.capabilities_known());
    let capability = client.session.capability();
    client.ok(capability).await;
    assert!(client.session.capabilities_known());
    assert!(client.session.has_capability("SASL-IR"));
    let auth = client
        .session
        .authenticate_plain("alice", "alice-secret")
        .unwrap();
    client.ok(auth).await;
    // Dovecot announces the signed-in capabilities in its answer.
    assert!(client.session.capabilities_known());
    assert!(client.session.has_capability("MOVE"));

    // A wrong password is a typed refusal, and the session stays usable.
    let mut client = ImapClient::connect(&server.tunnel_url(), upstream::PLAIN)
        .await
        .unwrap();
    let login = client.session.login("alice", "wrong").unwrap();
    let error = client.run(login).await.unwrap().unwrap_err();
    assert_eq!(
        error.code.as_deref(),
        Some("AUTHENTICATIONFAILED"),
        "{error}"
    );
    let login = client.session.login("alice", "alice-secret").unwrap();
    client.ok(login).await;

    // A password that needs a literal.
    let login = client.session.login("bob", "not \"this\"\r\none").unwrap();
    assert!(client.run(login).await.unwrap().is_err());
}

/// IMAP's defining property: many clients on one mailbox, each seeing the others'
/// changes live.
#[tokio::test]
async fn an_idling_session_sees_another_clients_changes() {
    let (_dovecot, server) = start();
    let mut watcher = logged_in(&server, upstream::PLAIN).await;
    let select = watcher.session.select("INBOX", false).unwrap();
    watcher.ok(select).await;
    let idle = watcher.session.idle().unwrap();
    watcher.idling().await.unwrap();

    let mut other = logged_in(&server, upstream::IMPLICIT).await;
    let select = other.session.select("INBOX", false).unwrap();
    other.ok(select).await;

    // A flag change.
    let store = other
        .session
        .store_flags(&UidSet::single(1), FlagOperation::Add, &["\\Flagged"], None)
        .unwrap();
    other.ok(store).await;
    match watcher.next_change().await.unwrap() {
        MailboxChange::Flags(update) => {
            assert_eq!(update.seq, 1);
            assert!(update.flags.contains(&"\\Flagged".to_owned()), "{update:?}");
        }
        change => panic!("{change:?}"),
    }

    // A new message, appended by a third connection speaking raw IMAP.
    let url = server.tunnel_url();
    let mut raw = Tunnel::imap_signed_in(&url, upstream::PLAIN, "alice", "alice-secret")
        .await
        .unwrap();
    let appended = raw
        .imap_append("b", "INBOX", &corpus::plain_text().raw)
        .await
        .unwrap();
    assert!(appended.starts_with("b OK"), "{appended}");
    assert_eq!(
        watcher.next_change().await.unwrap(),
        MailboxChange::Exists(11)
    );

    // A move out of the folder expunges the message here.
    let moved = raw.imap("d", "SELECT INBOX").await.unwrap();
    assert!(moved.last().unwrap().starts_with("d OK"));
    let moved = raw.imap("e", "UID MOVE 2 Archive").await.unwrap();
    assert!(moved.last().unwrap().starts_with("e OK"), "{moved:?}");
    assert_eq!(
        watcher.next_change().await.unwrap(),
        MailboxChange::Expunged(2)
    );
    assert_eq!(watcher.session.selected().unwrap().exists, 10);

    watcher.session.idle_done().unwrap();
    watcher.ok(idle).await;
}
