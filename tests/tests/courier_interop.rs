//! The IMAP engine and the client's decisions against a real Courier-IMAP through the
//! real tunnel: what Dovecot never shows (no UIDNEXT in SELECT, no capabilities in the
//! LOGIN answer, no SPECIAL-USE, the `INBOX.` namespace, no MOVE, and with
//! UIDPLUS hidden, base IMAP only).

use postern_shared::imap::folder_roles::{PersonalNamespace, assign_roles};
use postern_shared::imap::list_window::{NewestWindow, newest_window};
use postern_shared::imap::{FlagOperation, Outcome, SearchQuery, SortBy, SpecialUse, UidSet};
use postern_tests::corpus;
use postern_tests::courier::Courier;
use postern_tests::imap_client::ImapClient;
use postern_tests::mail_store::MailStore;
use postern_tests::server::{PosternServer, ServerConfig};

fn count(courier: &Courier, folder: &str) -> usize {
    courier.count("alice", folder)
}

fn start(capabilities: Option<&str>) -> (Courier, PosternServer) {
    let courier = match capabilities {
        Some(capabilities) => Courier::start_announcing(capabilities),
        None => Courier::start(),
    }
    .expect("Courier starts");
    courier
        .seed("alice", "INBOX", &corpus::standard_mailbox())
        .unwrap();
    let server = PosternServer::start(&ServerConfig::for_courier(&courier, None)).unwrap();
    (courier, server)
}

/// Signed in as the page signs in: LOGIN, then CAPABILITY when not announced.
async fn signed_in(server: &PosternServer, upstream: &str) -> ImapClient {
    let mut client = ImapClient::connect(&server.tunnel_url(), upstream)
        .await
        .unwrap();
    let login = client.session.login("alice", "alice-secret").unwrap();
    client.ok(login).await;
    if !client.session.capabilities_known() {
        let capability = client.session.capability();
        client.ok(capability).await;
    }
    client
}

#[tokio::test]
async fn capabilities_are_asked_after_login_and_after_starttls() {
    let (_courier, server) = start(None);
    for (upstream, in_greeting) in [("courier", true), ("courier-starttls", false)] {
        let mut client = ImapClient::connect(&server.tunnel_url(), upstream)
            .await
            .unwrap();
        // Behind the server's STARTTLS the replayed greeting has no capabilities.
        assert_eq!(
            client.session.capabilities_known(),
            in_greeting,
            "{upstream}"
        );
        let login = client.session.login("alice", "alice-secret").unwrap();
        client.ok(login).await;
        // Courier's LOGIN answer carries none: what the greeting said may not hold.
        assert!(!client.session.capabilities_known(), "{upstream}");
        let capability = client.session.capability();
        client.ok(capability).await;
        assert!(client.session.capabilities_known());
        for wanted in ["SORT", "IDLE", "UIDPLUS", "NAMESPACE"] {
            assert!(
                client.session.has_capability(wanted),
                "{upstream}: {wanted}"
            );
        }
    }
    let mut client = signed_in(&server, "courier-starttls").await;
    // And SORT, which the page then offers, works.
    let select = client.session.select("INBOX", false).unwrap();
    client.ok(select).await;
    let sort = client
        .session
        .sort(SortBy::Subject, false, &SearchQuery::default())
        .unwrap();
    let Outcome::Uids(order) = client.ok(sort).await else {
        panic!()
    };
    assert_eq!(order.len(), 10);
}

#[tokio::test]
async fn the_newest_messages_are_listed_without_uidnext() {
    let (_courier, server) = start(None);
    let mut client = signed_in(&server, "courier").await;
    let select = client.session.select("INBOX", false).unwrap();
    let Outcome::Selected(selected) = client.ok(select).await else {
        panic!()
    };
    assert_eq!(selected.exists, 10);
    assert_eq!(selected.uid_next, None, "Courier's SELECT has no UIDNEXT");
    // The window the list asks for: by position, never a UID made up from nothing.
    let window = newest_window(selected.exists, selected.uid_next, 4);
    assert_eq!(window, NewestWindow::Positions(7..=10));
    let NewestWindow::Positions(positions) = window else {
        unreachable!()
    };
    let fetch = client.session.fetch_summaries_at(positions).unwrap();
    let Outcome::Summaries(rows) = client.ok(fetch).await else {
        panic!()
    };
    assert_eq!(rows.len(), 4);
    // What the old arithmetic asked for finds nothing on Courier.
    let lost = client
        .session
        .fetch_summaries(&UidSet::range(u32::MAX - 200, None))
        .unwrap();
    let Outcome::Summaries(none) = client.ok(lost).await else {
        panic!()
    };
    assert!(none.is_empty(), "{none:?}");
}

#[tokio::test]
async fn trash_is_found_by_name_and_folders_are_made_inside_the_namespace() {
    let (courier, server) = start(None);
    let mut client = signed_in(&server, "courier").await;
    let namespace = client.session.namespace();
    let Outcome::Namespaces(personal) = client.ok(namespace).await else {
        panic!()
    };
    let namespace = PersonalNamespace::from_reply(&personal);
    assert_eq!(namespace.prefix, "INBOX.");
    let list = client.session.list();
    let Outcome::Mailboxes(mut folders) = client.ok(list).await else {
        panic!()
    };
    assert!(
        folders
            .iter()
            .all(|f| f.special_use.is_none() || f.special_use == Some(SpecialUse::Inbox)),
        "Courier flags no folder: {folders:?}"
    );
    assign_roles(&mut folders, &namespace, &[]);
    let role = |use_| {
        folders
            .iter()
            .find(|f| f.special_use == Some(use_))
            .map(|f| f.name.clone())
    };
    assert_eq!(role(SpecialUse::Trash).as_deref(), Some("INBOX.Trash"));
    assert_eq!(role(SpecialUse::Sent).as_deref(), Some("INBOX.Sent"));
    assert_eq!(role(SpecialUse::Drafts).as_deref(), Some("INBOX.Drafts"));
    assert_eq!(namespace.display_name("INBOX.Trash"), "Trash");

    // A top-level name is refused; inside the namespace it is made.
    let outside = client.session.create("Projects").unwrap();
    assert!(client.run(outside).await.unwrap().is_err());
    let inside = client
        .session
        .create(&namespace.full_name("Projects"))
        .unwrap();
    client.ok(inside).await;
    assert!(courier.has_folder("alice", "INBOX.Projects"));
}

#[tokio::test]
async fn move_without_move_keeps_mail_and_base_imap_expunges_only_what_was_picked() {
    // Courier without UIDPLUS (as announced): base IMAP only.
    let (courier, server) = start(Some(
        "IMAP4rev1 CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT IDLE",
    ));
    let mut client = signed_in(&server, "courier").await;
    assert!(!client.session.has_capability("UIDPLUS"));
    let select = client.session.select("INBOX", false).unwrap();
    client.ok(select).await;
    let search = client.session.search(&SearchQuery::default()).unwrap();
    let Outcome::Uids(uids) = client.ok(search).await else {
        panic!()
    };

    // Delete = move to the Trash: COPY, \Deleted, SEARCH DELETED, EXPUNGE.
    let moved = client
        .session
        .move_to(&UidSet::single(uids[0]), "INBOX.Trash")
        .unwrap();
    assert!(matches!(client.ok(moved).await, Outcome::Copied(_)));
    assert_eq!(count(&courier, "INBOX.Trash"), 1);
    assert_eq!(count(&courier, "INBOX"), 9);

    // Another program marked a message \Deleted and left it: a move must not take it.
    let mark = client
        .session
        .store_flags(
            &UidSet::single(uids[1]),
            FlagOperation::Add,
            &["\\Deleted"],
            None,
        )
        .unwrap();
    client.ok(mark).await;
    let moved = client
        .session
        .move_to(&UidSet::single(uids[2]), "INBOX.Trash")
        .unwrap();
    match client.ok(moved).await {
        Outcome::NotExpunged { others, .. } => assert_eq!(others, [uids[1]]),
        other => panic!("{other:?}"),
    }
    assert_eq!(count(&courier, "INBOX.Trash"), 2, "the copy is there");
    assert_eq!(count(&courier, "INBOX"), 9, "nothing was expunged");
}
