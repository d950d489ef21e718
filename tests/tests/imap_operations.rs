//! Every IMAP operation of the shared engine against real Dovecot through the tunnel,
//! including the fallbacks, exercised on a Dovecot that hides MOVE and IDLE.

use std::time::Duration;

use base64::Engine;
use postern_shared::imap::{
    CachedState, Event, Extension, FlagOperation, MailboxChange, Outcome, RequestError,
    SearchQuery, SortBy, SpecialUse, ThreadNode, UidSet, threading,
};
use postern_tests::client::Tunnel;
use postern_tests::corpus;
use postern_tests::dovecot::Dovecot;
use postern_tests::imap_client::ImapClient;
use postern_tests::server::{PosternServer, ServerConfig, upstream};

fn start_without(hidden: &[&str]) -> (Dovecot, PosternServer) {
    let dovecot = Dovecot::start_without(hidden).expect("dovecot starts");
    dovecot
        .seed("alice", "INBOX", &corpus::standard_mailbox())
        .unwrap();
    let server = PosternServer::start(&ServerConfig::for_dovecot(&dovecot)).unwrap();
    (dovecot, server)
}

async fn inbox(server: &PosternServer) -> ImapClient {
    let mut client = ImapClient::connect(&server.tunnel_url(), upstream::PLAIN)
        .await
        .unwrap();
    let login = client.session.login("alice", "alice-secret").unwrap();
    client.ok(login).await;
    let select = client.session.select("INBOX", false).unwrap();
    client.ok(select).await;
    client
}

async fn count(client: &mut ImapClient, folder: &str) -> u32 {
    let status = client.session.status(folder).unwrap();
    match client.ok(status).await {
        Outcome::Status(status) => status.messages.unwrap(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn folders_are_created_renamed_counted_and_deleted() {
    let (_dovecot, server) = start_without(&[]);
    let mut client = inbox(&server).await;

    let create = client.session.create("Projekte/2026 ✓").unwrap();
    client.ok(create).await;
    let subscribe = client.session.subscribe("Projekte/2026 ✓").unwrap();
    client.ok(subscribe).await;
    let rename = client
        .session
        .rename("Projekte/2026 ✓", "Projekte/Erledigt")
        .unwrap();
    client.ok(rename).await;

    let list = client.session.list();
    let Outcome::Mailboxes(folders) = client.ok(list).await else {
        panic!()
    };
    let names: Vec<&str> = folders.iter().map(|f| f.name.as_str()).collect();
    assert!(names.contains(&"Projekte/Erledigt"), "{names:?}");
    assert!(!names.contains(&"Projekte/2026 ✓"), "{names:?}");

    // Counts for every folder, pipelined: all requests go out before any answer.
    let requests: Vec<_> = folders
        .iter()
        .filter(|f| f.selectable)
        .map(|f| (f.name.clone(), client.session.status(&f.name).unwrap()))
        .collect();
    for (name, id) in requests {
        let Outcome::Status(status) = client.ok(id).await else {
            panic!()
        };
        let expected = if name == "INBOX" { 10 } else { 0 };
        assert_eq!(status.messages, Some(expected), "{name}");
        if name == "INBOX" {
            assert_eq!(status.unseen, Some(8)); // two of the corpus are seen
        }
    }

    let unsubscribe = client.session.unsubscribe("Projekte/Erledigt").unwrap();
    client.ok(unsubscribe).await;
    let delete = client.session.delete("Projekte/Erledigt").unwrap();
    client.ok(delete).await;
    let delete_again = client.session.delete("Projekte/Erledigt").unwrap();
    let error = client.run(delete_again).await.unwrap().unwrap_err();
    assert_eq!(error.status, "NO");

    let namespace = client.session.namespace();
    assert_eq!(
        client.ok(namespace).await,
        Outcome::Namespaces(vec![(String::new(), Some('/'))])
    );
    let id = client
        .session
        .id("Postern", env!("CARGO_PKG_VERSION"))
        .unwrap();
    let Outcome::ServerId(fields) = client.ok(id).await else {
        panic!()
    };
    assert!(
        fields
            .iter()
            .any(|(k, v)| k == "name" && v.as_deref() == Some("Dovecot")),
        "{fields:?}"
    );
}

#[tokio::test]
async fn search_sort_and_threads_server_and_client_side() {
    let (_dovecot, server) = start_without(&[]);
    let mut client = inbox(&server).await;

    let search = |query: SearchQuery| query;
    let cases = [
        (
            search(SearchQuery {
                from: Some("carol".into()),
                ..Default::default()
            }),
            vec![1, 3],
        ),
        (
            search(SearchQuery {
                subject: Some("Grüße".into()),
                ..Default::default()
            }),
            vec![4],
        ),
        (
            search(SearchQuery {
                body: Some("Thursday".into()),
                ..Default::default()
            }),
            vec![1, 2],
        ),
        (
            search(SearchQuery {
                flagged: true,
                ..Default::default()
            }),
            vec![3],
        ),
        (
            search(SearchQuery {
                unseen: true,
                text: Some("planning".into()),
                ..Default::default()
            }),
            vec![2, 3],
        ),
    ];
    for (query, expected) in cases {
        let id = client.session.search(&query).unwrap();
        assert_eq!(client.ok(id).await, Outcome::Uids(expected), "{query:?}");
    }

    let sort = client
        .session
        .sort(SortBy::Size, true, &SearchQuery::default())
        .unwrap();
    let Outcome::Uids(by_size) = client.ok(sort).await else {
        panic!()
    };
    assert_eq!(by_size.len(), 10);
    assert_eq!(by_size[0], 10, "the 5 MB message is the largest");

    // The server's threads and the client's own agree on the spring-release thread.
    let thread = client.session.thread(&SearchQuery::default()).unwrap();
    let Outcome::Threads(server_threads) = client.ok(thread).await else {
        panic!()
    };
    let rows = client.all_summaries().await;
    let client_threads = threading::thread(&rows);
    let chain = ThreadNode {
        uid: Some(1),
        children: vec![ThreadNode {
            uid: Some(2),
            children: vec![ThreadNode {
                uid: Some(3),
                children: vec![],
            }],
        }],
    };
    assert!(server_threads.contains(&chain), "{server_threads:?}");
    assert!(client_threads.contains(&chain), "{client_threads:?}");
    assert_eq!(client_threads.len(), 8);
}

#[tokio::test]
async fn copy_move_expunge_and_append() {
    let (_dovecot, server) = start_without(&[]);
    let mut client = inbox(&server).await;

    let draft = b"From: alice@example.org\r\nSubject: Draft\r\n\r\nunfinished\r\n";
    let append = client
        .session
        .append("Drafts", draft, &["\\Draft", "\\Seen"], None)
        .unwrap();
    let Outcome::Appended(Some(appended)) = client.ok(append).await else {
        panic!()
    };
    assert_eq!(appended.uid, 1);
    assert_eq!(count(&mut client, "Drafts").await, 1);

    let copy = client
        .session
        .copy(&UidSet::of(&[1, 2]), "Archive")
        .unwrap();
    let Outcome::Copied(Some(copied)) = client.ok(copy).await else {
        panic!()
    };
    assert_eq!(copied.source, vec![(1, 2)]);
    assert_eq!(count(&mut client, "Archive").await, 2);

    let moved = client.session.move_to(&UidSet::single(3), "Trash").unwrap();
    client.ok(moved).await;
    assert_eq!(count(&mut client, "Trash").await, 1);
    assert_eq!(client.session.selected().unwrap().exists, 9);

    let mark = client
        .session
        .store_flags(
            &UidSet::of(&[4, 5]),
            FlagOperation::Add,
            &["\\Deleted"],
            None,
        )
        .unwrap();
    client.ok(mark).await;
    // Only UID 4 goes, though 5 is marked too: UID EXPUNGE is precise.
    let expunge = client.session.expunge(&UidSet::single(4)).unwrap();
    client.ok(expunge).await;
    assert_eq!(client.session.selected().unwrap().exists, 8);
    let search = client.session.search(&SearchQuery::default()).unwrap();
    assert_eq!(
        client.ok(search).await,
        Outcome::Uids(vec![1, 2, 5, 6, 7, 8, 9, 10])
    );
}

#[tokio::test]
async fn move_falls_back_safely_without_the_move_extension() {
    let (_dovecot, server) = start_without(&["MOVE"]);
    let mut client = inbox(&server).await;
    assert!(!client.session.has_capability("MOVE"));

    let moved = client
        .session
        .move_to(&UidSet::of(&[1, 2]), "Archive")
        .unwrap();
    let Outcome::Copied(Some(copied)) = client.ok(moved).await else {
        panic!()
    };
    assert_eq!(copied.destination, vec![(1, 2)]);
    assert_eq!(count(&mut client, "Archive").await, 2);
    assert_eq!(count(&mut client, "INBOX").await, 8);

    // A move to a folder that does not exist fails at the copy and deletes nothing.
    let moved = client
        .session
        .move_to(&UidSet::single(3), "Nowhere")
        .unwrap();
    let error = client.run(moved).await.unwrap().unwrap_err();
    assert_eq!(error.code.as_deref(), Some("TRYCREATE"), "{error}");
    assert_eq!(count(&mut client, "INBOX").await, 8);
}

#[tokio::test]
async fn noop_polling_sees_changes_when_idle_is_missing() {
    let (_dovecot, server) = start_without(&["IDLE"]);
    let mut client = inbox(&server).await;
    assert_eq!(
        client.session.idle(),
        Err(RequestError::Unsupported("IDLE"))
    );

    let url = server.tunnel_url();
    let mut other = Tunnel::imap_signed_in(&url, upstream::PLAIN, "alice", "alice-secret")
        .await
        .unwrap();
    let appended = other
        .imap_append("b", "INBOX", &corpus::alternative().raw)
        .await
        .unwrap();
    assert!(appended.starts_with("b OK"), "{appended}");

    // Poll as a client without IDLE would, until the news arrives.
    let mut seen = None;
    for _ in 0..20 {
        let noop = client.session.noop();
        client.ok(noop).await;
        if let Some(Event::Changed(change)) = client
            .backlog
            .iter()
            .find(|e| matches!(e, Event::Changed(_)))
        {
            seen = Some(change.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen, Some(MailboxChange::Exists(11)));
}

#[tokio::test]
async fn qresync_brings_a_cache_up_to_date() {
    let (_dovecot, server) = start_without(&[]);
    let mut client = inbox(&server).await;
    let enable = client.session.enable(&[Extension::QResync]).unwrap();
    assert_eq!(
        client.ok(enable).await,
        Outcome::Enabled(vec!["QRESYNC".into()])
    );
    let select = client.session.select("INBOX", false).unwrap();
    let Outcome::Selected(before) = client.ok(select).await else {
        panic!()
    };
    let cached = CachedState {
        uid_validity: before.uid_validity.unwrap(),
        highest_modseq: before.highest_modseq.expect("QRESYNC gives HIGHESTMODSEQ"),
        known_uids: Some(UidSet::range(1, Some(10))),
    };
    let logout = client.session.logout();
    client.ok(logout).await;

    // Meanwhile, another client flags one message and deletes another.
    let mut other = inbox(&server).await;
    let flag = other
        .session
        .store_flags(
            &UidSet::single(6),
            FlagOperation::Add,
            &["\\Flagged"],
            Some(cached.highest_modseq),
        )
        .unwrap();
    let Outcome::FlagsChanged { not_modified, .. } = other.ok(flag).await else {
        panic!()
    };
    assert!(not_modified.is_empty());
    let moved = other.session.move_to(&UidSet::single(7), "Trash").unwrap();
    other.ok(moved).await;

    // The cached client comes back and learns exactly that.
    let mut client = ImapClient::connect(&server.tunnel_url(), upstream::IMPLICIT)
        .await
        .unwrap();
    let login = client.session.login("alice", "alice-secret").unwrap();
    client.ok(login).await;
    let enable = client.session.enable(&[Extension::QResync]).unwrap();
    client.ok(enable).await;
    let select = client.session.select_qresync("INBOX", &cached).unwrap();
    let Outcome::Selected(after) = client.ok(select).await else {
        panic!()
    };
    assert!(after.highest_modseq > before.highest_modseq);
    let changes: Vec<&MailboxChange> = client
        .backlog
        .iter()
        .filter_map(|e| match e {
            Event::Changed(change) => Some(change),
            _ => None,
        })
        .collect();
    assert!(
        changes.contains(&&MailboxChange::Vanished {
            uids: vec![(7, 7)],
            earlier: true
        }),
        "{changes:?}"
    );
    assert!(
        changes.iter().any(|c| matches!(c, MailboxChange::Flags(f) if f.uid == Some(6) && f.flags.contains(&"\\Flagged".to_owned()))),
        "{changes:?}"
    );

    // CHANGEDSINCE gives the same flags to a client that only asks.
    let changed = client
        .session
        .fetch_changed_since(&UidSet::range(1, None), cached.highest_modseq)
        .unwrap();
    let Outcome::FlagsChanged { updates, .. } = client.ok(changed).await else {
        panic!()
    };
    assert_eq!(
        updates.iter().filter_map(|u| u.uid).collect::<Vec<_>>(),
        vec![6]
    );
}

#[tokio::test]
async fn big_parts_in_pieces_and_decoded_by_the_server() {
    let (_dovecot, server) = start_without(&[]);
    let mut client = inbox(&server).await;
    let attachment = corpus::large_attachment_bytes();

    // BINARY: the server undoes the base64.
    let binary = client.session.fetch_binary(10, &[2]).unwrap();
    let Outcome::Section(Some(bytes)) = client.ok(binary).await else {
        panic!()
    };
    assert!(bytes == attachment);

    // A range of the encoded part, as a progress bar would fetch it.
    let mut encoded = Vec::new();
    let piece = 1 << 20;
    loop {
        let offset = encoded.len() as u32;
        let part = client
            .session
            .fetch_section(10, &[2], Some((offset, piece)))
            .unwrap();
        let Outcome::Section(Some(bytes)) = client.ok(part).await else {
            panic!()
        };
        let done = bytes.len() < piece as usize;
        encoded.extend(bytes);
        if done {
            break;
        }
    }
    let cleaned: Vec<u8> = encoded
        .into_iter()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    assert!(
        base64::engine::general_purpose::STANDARD
            .decode(cleaned)
            .unwrap()
            == attachment
    );

    let list = client.session.list();
    let Outcome::Mailboxes(folders) = client.ok(list).await else {
        panic!()
    };
    assert!(
        folders
            .iter()
            .any(|f| f.special_use == Some(SpecialUse::Junk))
    );
}

#[tokio::test]
async fn opening_a_message_fetches_only_what_is_shown() {
    use postern_shared::imap::structure::display_plan;
    let (_dovecot, server) = start_without(&[]);
    let mut client = inbox(&server).await;

    // Nested multipart with an inline image and a PDF.
    let structure = client.session.fetch_structure(9).unwrap();
    let Outcome::Structure(root) = client.ok(structure).await else {
        panic!()
    };
    let plan = display_plan(&root);
    let html = plan.html.expect("an HTML body");
    assert_eq!(plan.text.expect("a text body").section, [1, 1, 1]);
    assert_eq!(
        plan.inline_images[0].content_id.as_deref(),
        Some("site-photo@example.org")
    );
    assert_eq!(plan.attachments[0].filename.as_deref(), Some("agenda.pdf"));
    let body = client
        .session
        .fetch_section(9, &html.section, None)
        .unwrap();
    let Outcome::Section(Some(html)) = client.ok(body).await else {
        panic!()
    };
    assert!(
        String::from_utf8(html)
            .unwrap()
            .contains("cid:site-photo@example.org")
    );

    // The 5 MB message: its text is small, its attachment is left on the server.
    let structure = client.session.fetch_structure(10).unwrap();
    let Outcome::Structure(root) = client.ok(structure).await else {
        panic!()
    };
    let plan = display_plan(&root);
    assert_eq!(plan.attachments.len(), 1);
    assert!(plan.attachments[0].size > 5_000_000);
    let text = plan.text.unwrap();
    assert!(text.size < 100);

    // A single-part HTML message and a Latin-1 one.
    let structure = client.session.fetch_structure(7).unwrap();
    let Outcome::Structure(root) = client.ok(structure).await else {
        panic!()
    };
    assert_eq!(display_plan(&root).html.unwrap().section, [1]);
    let structure = client.session.fetch_structure(6).unwrap();
    let Outcome::Structure(root) = client.ok(structure).await else {
        panic!()
    };
    assert_eq!(
        display_plan(&root).text.unwrap().charset.as_deref(),
        Some("iso-8859-1")
    );

    let gone = client.session.fetch_structure(99).unwrap();
    assert!(client.run(gone).await.unwrap().is_err());
}

/// Dovecot passes RFC 2231 parameters through in BODYSTRUCTURE as the sender wrote
/// them (`filename*=utf-8''…`, continuations): the engine decodes them.
#[tokio::test]
async fn attachment_names_in_rfc_2231_form_from_a_real_server() {
    use postern_shared::imap::structure::display_plan;
    let (dovecot, server) = start_without(&[]);
    let message = [
        "From: Carol <carol@example.org>",
        "To: alice@example.org",
        "Subject: Tables",
        "MIME-Version: 1.0",
        "Content-Type: multipart/mixed; boundary=\"b\"",
        "",
        "--b",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Two files.",
        "--b",
        "Content-Type: text/csv",
        "Content-Disposition: attachment; filename*=utf-8''tabelle-%C3%BC.csv",
        "Content-Transfer-Encoding: base64",
        "",
        "YSxiCg==",
        "--b",
        "Content-Type: application/pdf",
        "Content-Disposition: attachment;",
        " filename*0*=utf-8''Jahres;",
        " filename*1*=bericht-%E2%82%AC;",
        " filename*2=\".pdf\"",
        "Content-Transfer-Encoding: base64",
        "",
        "JVBERg==",
        "--b--",
        "",
    ]
    .join("\r\n");
    dovecot
        .seed("alice", "INBOX", &[corpus::Message::new(message)])
        .unwrap();
    let mut client = inbox(&server).await;
    let query = SearchQuery {
        subject: Some("Tables".into()),
        ..SearchQuery::default()
    };
    let search = client.session.search(&query).unwrap();
    let Outcome::Uids(found) = client.ok(search).await else {
        panic!()
    };
    let structure = client.session.fetch_structure(found[0]).unwrap();
    let Outcome::Structure(root) = client.ok(structure).await else {
        panic!()
    };
    let names: Vec<Option<String>> = display_plan(&root)
        .attachments
        .into_iter()
        .map(|a| a.filename)
        .collect();
    assert_eq!(
        names,
        [
            Some("tabelle-ü.csv".to_owned()),
            Some("Jahresbericht-€.pdf".to_owned())
        ]
    );
}

/// One message nested deeper than the parser reads BODYSTRUCTURE (a forward of a
/// forward of ...) must not take the folder's list with it: the list asks for no
/// structure, only the Content-Type header for the attachment mark.
#[tokio::test]
async fn a_deeply_nested_message_does_not_break_the_list() {
    let (dovecot, server) = start_without(&[]);
    dovecot
        .seed("alice", "INBOX", &[corpus::deeply_nested(12)])
        .unwrap();
    let mut client = inbox(&server).await;
    let rows = client.all_summaries().await;
    assert_eq!(rows.len(), 11, "every row, the deep one included");
    let deep = rows
        .iter()
        .find(|r| r.subject == "Fwd: Fwd: Fwd: deep")
        .expect("the deep message is listed");
    assert!(deep.has_attachments, "multipart/mixed is marked");
    let plain = rows
        .iter()
        .find(|r| r.subject == "Planning the spring release")
        .unwrap();
    assert!(!plain.has_attachments);
}
