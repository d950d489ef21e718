//! Conversations on the client (RFC 5256 REFERENCES), for servers without THREAD, and
//! for a cached list that should not ask the server again.
//!
//! Messages are linked through their References (or In-Reply-To) chains; a parent
//! that is not in the list stays as an empty node while it has several replies, and
//! is dropped otherwise; threads whose first message is missing are joined by base
//! subject ("Re: x" goes under "x"). Siblings are ordered by arrival.
//!
//! Hostile input is bounded: a message contributes at most [`MAX_REFERENCES`] ids
//! (the first and the last ones, as RFC 5322 §3.6.4 suggests for trimming), and
//! every walk over a tree is iterative, so no header and no conversation depth can
//! exhaust the stack (the browser's is small).

use std::collections::HashMap;

use super::outcome::ThreadNode;
use crate::summary::MessageSummary;

/// How many ids of one message's References are used: the first (the thread's
/// root) and the last ones (the nearest parents).
pub const MAX_REFERENCES: usize = 64;

#[derive(Default)]
struct Container {
    uid: Option<u32>,
    received: Option<String>,
    parent: Option<usize>,
    children: Vec<usize>,
}

/// Groups `messages` into conversations, oldest first.
pub fn thread(messages: &[MessageSummary]) -> Vec<ThreadNode> {
    let mut containers: Vec<Container> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut container_for = |id: &str, containers: &mut Vec<Container>| -> usize {
        *by_id.entry(id.to_owned()).or_insert_with(|| {
            containers.push(Container::default());
            containers.len() - 1
        })
    };

    for message in messages {
        // A message without a Message-ID gets a container of its own.
        let own = match &message.message_id {
            Some(id) => container_for(id, &mut containers),
            None => {
                containers.push(Container::default());
                containers.len() - 1
            }
        };
        if containers[own].uid.is_some() {
            // A duplicate Message-ID: keep it as a separate message.
            containers.push(Container::default());
            let copy = containers.len() - 1;
            fill(&mut containers[copy], message);
            continue;
        }
        fill(&mut containers[own], message);

        let mut chain: Vec<&str> = if message.references.is_empty() {
            message.in_reply_to.iter().map(String::as_str).collect()
        } else {
            message.references.iter().map(String::as_str).collect()
        };
        if chain.len() > MAX_REFERENCES {
            chain.drain(1..chain.len() - (MAX_REFERENCES - 1));
        }
        let mut previous: Option<usize> = None;
        for id in chain {
            let current = container_for(id, &mut containers);
            if let Some(parent) = previous
                && containers[current].parent.is_none()
                && !reaches(&containers, parent, current)
                && parent != current
            {
                link(&mut containers, parent, current);
            }
            previous = Some(current);
        }
        // The last reference is the parent, whatever earlier messages claimed.
        if let Some(parent) = previous
            && parent != own
            && !reaches(&containers, parent, own)
        {
            unlink(&mut containers, own);
            link(&mut containers, parent, own);
        }
    }

    let roots: Vec<usize> = (0..containers.len())
        .filter(|&c| containers[c].parent.is_none())
        .collect();
    let mut trees: Vec<(Option<String>, String, ThreadNode)> = roots
        .into_iter()
        .filter_map(|root| prune(&containers, root))
        .map(|node| {
            let first = first_message(&node, messages);
            let key = first.map(|m| base_subject(&m.subject)).unwrap_or_default();
            let received = first.and_then(|m| m.received.clone());
            (received, key, node)
        })
        .collect();
    trees.sort_by(|a, b| a.0.cmp(&b.0));

    // Join threads whose head is missing by base subject: a reply-subject thread goes
    // under the thread that has the original subject.
    let mut joined: Vec<(String, ThreadNode)> = Vec::new();
    for (_, key, node) in trees {
        let is_reply = first_message(&node, messages).is_some_and(|m| is_reply_subject(&m.subject));
        match joined
            .iter_mut()
            .find(|(k, _)| !key.is_empty() && *k == key)
        {
            Some((_, head)) if is_reply => head.children.push(node),
            _ => joined.push((key, node)),
        }
    }
    joined.into_iter().map(|(_, node)| node).collect()
}

fn fill(container: &mut Container, message: &MessageSummary) {
    container.uid = Some(message.uid);
    container.received = message.received.clone().or_else(|| message.date.clone());
}

fn link(containers: &mut [Container], parent: usize, child: usize) {
    containers[child].parent = Some(parent);
    containers[parent].children.push(child);
}

fn unlink(containers: &mut [Container], child: usize) {
    if let Some(parent) = containers[child].parent.take() {
        containers[parent].children.retain(|&c| c != child);
    }
}

/// Whether `to` is `from` or one of its ancestors (linking would make a loop).
fn reaches(containers: &[Container], from: usize, to: usize) -> bool {
    let mut at = Some(from);
    let mut steps = 0;
    while let Some(current) = at {
        if current == to {
            return true;
        }
        at = containers[current].parent;
        steps += 1;
        if steps > containers.len() {
            return true; // a loop already: refuse to add to it
        }
    }
    false
}

/// The tree under `root` without empty containers that carry nothing: an empty
/// container with one child is replaced by that child; an empty root with several
/// children stays as the missing parent. Walked with an explicit stack.
fn prune(containers: &[Container], root: usize) -> Option<ThreadNode> {
    struct Frame {
        index: usize,
        is_root: bool,
        /// Children in arrival order, and how many were visited.
        order: Vec<usize>,
        next: usize,
        children: Vec<ThreadNode>,
    }
    let frame = |index: usize, is_root: bool| {
        let mut order = containers[index].children.clone();
        order.sort_by(|a, b| containers[*a].received.cmp(&containers[*b].received));
        Frame {
            index,
            is_root,
            order,
            next: 0,
            children: Vec::new(),
        }
    };
    let mut stack = vec![frame(root, true)];
    loop {
        let top = stack.last_mut().expect("the root frame is popped last");
        if let Some(&child) = top.order.get(top.next) {
            top.next += 1;
            stack.push(frame(child, false));
            continue;
        }
        let done = stack.pop().expect("just looked at it");
        let mut children = done.children;
        let node = match (containers[done.index].uid, children.len()) {
            (None, 0) => None,
            (None, 1) if done.is_root => children.pop(),
            (uid, _) => Some(ThreadNode { uid, children }),
        };
        let Some(parent) = stack.last_mut() else {
            return node;
        };
        match node {
            // An empty non-root container gives its children to its parent.
            Some(node) if node.uid.is_none() && !parent.is_root => {
                parent.children.extend(node.children)
            }
            Some(node) => parent.children.push(node),
            None => {}
        }
    }
}

fn first_message<'m>(
    node: &ThreadNode,
    messages: &'m [MessageSummary],
) -> Option<&'m MessageSummary> {
    let mut node = node;
    loop {
        match node.uid {
            Some(uid) => return messages.iter().find(|m| m.uid == uid),
            None => node = node.children.first()?,
        }
    }
}

/// The messages in conversation order, each with its depth in its thread: the
/// conversation with the newest message (highest UID) first, each in reply order. A
/// missing parent shows no row; its replies keep its depth.
pub fn conversation_order(messages: &[MessageSummary]) -> Vec<(u32, usize)> {
    let mut threads: Vec<(u32, ThreadNode)> = thread(messages)
        .into_iter()
        .map(|node| (newest(&node), node))
        .collect();
    threads.sort_by_key(|(newest, _)| std::cmp::Reverse(*newest));
    let mut order = Vec::with_capacity(messages.len());
    // Taken apart node by node as it is walked: dropping a deep tree whole would
    // recurse once per level.
    let mut stack: Vec<(ThreadNode, usize)> =
        threads.into_iter().rev().map(|(_, n)| (n, 0)).collect();
    while let Some((mut node, depth)) = stack.pop() {
        let next = match node.uid {
            Some(uid) => {
                order.push((uid, depth));
                depth + 1
            }
            None => depth,
        };
        stack.extend(node.children.drain(..).rev().map(|child| (child, next)));
    }
    order
}

/// The highest UID in a tree.
fn newest(node: &ThreadNode) -> u32 {
    let mut highest = 0;
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        highest = highest.max(node.uid.unwrap_or(0));
        stack.extend(node.children.iter());
    }
    highest
}

fn is_reply_subject(subject: &str) -> bool {
    let lower = subject.trim_start().to_ascii_lowercase();
    ["re:", "fwd:", "fw:", "aw:", "sv:"]
        .iter()
        .any(|p| lower.starts_with(p))
}

/// The subject without reply and forward prefixes, lower-cased (RFC 5256 §2.1, in
/// short).
fn base_subject(subject: &str) -> String {
    let mut rest = subject.trim();
    loop {
        let lower = rest.to_ascii_lowercase();
        let stripped = ["re:", "fwd:", "fw:", "aw:", "sv:"]
            .iter()
            .find(|p| lower.starts_with(*p))
            .map(|p| rest[p.len()..].trim_start());
        match stripped {
            Some(next) => rest = next,
            None => break,
        }
    }
    rest.trim_end_matches("(fwd)").trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(uid: u32, id: &str, references: &[&str], subject: &str) -> MessageSummary {
        MessageSummary {
            uid,
            flags: Vec::new(),
            subject: subject.to_owned(),
            from: Vec::new(),
            to: Vec::new(),
            cc: Vec::new(),
            date: None,
            received: Some(format!("2026-03-{uid:02}T00:00:00+00:00")),
            size: 0,
            message_id: Some(id.to_owned()),
            in_reply_to: references.last().map(|r| r.to_string()),
            references: references.iter().map(|r| r.to_string()).collect(),
            has_attachments: false,
        }
    }

    fn shape(node: &ThreadNode) -> String {
        let own = node
            .uid
            .map(|u| u.to_string())
            .unwrap_or_else(|| "_".into());
        if node.children.is_empty() {
            own
        } else {
            let children: Vec<String> = node.children.iter().map(shape).collect();
            format!("{own}({})", children.join(" "))
        }
    }

    fn shapes(messages: &[MessageSummary]) -> Vec<String> {
        thread(messages).iter().map(shape).collect()
    }

    #[test]
    fn replies_nest_under_their_parents() {
        let messages = [
            message(1, "<a>", &[], "Plan"),
            message(2, "<b>", &["<a>"], "Re: Plan"),
            message(3, "<c>", &["<a>", "<b>"], "Re: Plan"),
            message(4, "<d>", &["<a>"], "Re: Plan"),
            message(5, "<e>", &[], "Other"),
        ];
        assert_eq!(shapes(&messages), ["1(2(3) 4)", "5"]);
    }

    #[test]
    fn a_missing_parent_with_several_replies_stays_as_a_gap() {
        let messages = [
            message(2, "<b>", &["<missing>"], "Re: Lost"),
            message(3, "<c>", &["<missing>"], "Re: Lost"),
        ];
        assert_eq!(shapes(&messages), ["_(2 3)"]);
        let one = [message(2, "<b>", &["<missing>"], "Re: Lost")];
        assert_eq!(shapes(&one), ["2"]);
    }

    #[test]
    fn threads_without_links_join_by_subject() {
        let messages = [
            message(1, "<a>", &[], "Budget"),
            message(2, "<b>", &[], "Re: Budget"),
            message(3, "<c>", &[], "Budget"),
        ];
        // A reply subject joins the original; two originals stay apart.
        assert_eq!(shapes(&messages), ["1(2)", "3"]);
    }

    #[test]
    fn loops_and_duplicates_do_not_break_it() {
        let messages = [
            message(1, "<a>", &["<b>"], "x"),
            message(2, "<b>", &["<a>"], "x"),
            message(3, "<a>", &[], "dup"),
        ];
        let threads = thread(&messages);
        let mut uids = Vec::new();
        fn collect(node: &ThreadNode, uids: &mut Vec<u32>) {
            uids.extend(node.uid);
            node.children.iter().for_each(|c| collect(c, uids));
        }
        threads.iter().for_each(|t| collect(t, &mut uids));
        uids.sort();
        assert_eq!(uids, [1, 2, 3], "every message appears exactly once");
    }
}

#[cfg(test)]
mod hostile {
    use super::*;

    fn message(uid: u32, id: String, references: Vec<String>) -> MessageSummary {
        MessageSummary {
            uid,
            flags: Vec::new(),
            subject: "x".into(),
            from: Vec::new(),
            to: Vec::new(),
            cc: Vec::new(),
            date: None,
            received: Some(format!("2026-03-01T00:00:{:02}+00:00", uid % 60)),
            size: 0,
            message_id: Some(id),
            in_reply_to: references.last().cloned(),
            references,
            has_attachments: false,
        }
    }

    /// Runs `work` on a thread with a stack as small as a browser tab's wasm stack
    /// (1 MiB) or smaller: deep recursion fails here as it would there.
    fn on_small_stack<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(work)
            .unwrap()
            .join()
            .expect("no stack overflow")
    }

    #[test]
    fn a_header_of_8000_references_is_bounded() {
        let references: Vec<String> = (0..8000).map(|n| format!("<r{n}@x>")).collect();
        let messages = vec![
            message(1, "<r0@x>".into(), Vec::new()),
            message(2, "<last@x>".into(), references),
        ];
        let order = on_small_stack(move || conversation_order(&messages));
        // The root is kept (first reference) and the reply sits under it.
        assert_eq!(order, [(1, 0), (2, 1)]);
    }

    #[test]
    fn a_conversation_thousands_deep_is_walked_without_recursion() {
        // Each message replies to the one before, naming only its parent.
        let messages: Vec<MessageSummary> = (1..=5000u32)
            .map(|n| {
                let parent = (n > 1).then(|| format!("<m{}@x>", n - 1));
                message(n, format!("<m{n}@x>"), parent.into_iter().collect())
            })
            .collect();
        let order = on_small_stack(move || conversation_order(&messages));
        assert_eq!(order.len(), 5000);
        assert_eq!(order[0], (1, 0));
        assert_eq!(order[4999], (5000, 4999));
    }
}
