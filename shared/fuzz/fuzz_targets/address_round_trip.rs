//! Reply-all writes the original's addresses into a field and reads them back when
//! sending: any list of valid addresses, with any display names, must read back as
//! the same list (a name can never become a second recipient). Names lose only
//! their control characters (shown as spaces), and a blank name is no name.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postern_shared::compose::{format_addresses, parse_addresses};
use postern_shared::smtp::Mailbox;
use postern_shared::summary::Address;

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    let fields: Vec<&str> = text.split('\u{1}').collect();
    let list: Vec<Address> = fields
        .chunks_exact(2)
        .filter(|pair| {
            Mailbox::parse(pair[1]).is_ok_and(|m| m.as_str() == pair[1])
        })
        .map(|pair| Address {
            name: pair[0].to_owned(),
            email: pair[1].to_owned(),
        })
        .collect();
    let field = format_addresses(&list);
    let read = parse_addresses(&field).unwrap_or_else(|e| panic!("{field:?}: {e:?}"));
    let expected: Vec<Address> = list
        .iter()
        .map(|a| {
            let name: String = a
                .name
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            Address {
                name: if name.trim().is_empty() { String::new() } else { name },
                email: a.email.clone(),
            }
        })
        .collect();
    assert_eq!(read, expected, "through {field:?}");
});
