//! Attachment names as a reader shows them and saves them: what the sender wrote,
//! except the characters that could make it pass for another name.
//!
//! A right-to-left override makes `invoice[U+202E]gnp.exe` display as
//! `invoiceexe.png`; every bidirectional control and every other control character is
//! therefore shown as its code (`[U+202E]`), as mail clients do, so the name reads as
//! what it is and keeps its true extension last.

/// Directional formatting characters (Unicode UAX #9): marks, embeddings, overrides
/// and isolates.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// `name` with bidirectional and other control characters made visible.
pub fn visible_file_name(name: &str) -> String {
    let mut shown = String::with_capacity(name.len());
    for c in name.chars() {
        if is_bidi_control(c) || c.is_control() {
            shown.push_str(&format!("[U+{:04X}]", u32::from(c)));
        } else {
            shown.push(c);
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_overrides_cannot_disguise_an_extension() {
        let shown = visible_file_name("invoice\u{202E}gnp.exe");
        assert_eq!(shown, "invoice[U+202E]gnp.exe");
        assert!(shown.ends_with(".exe"));
        assert_eq!(
            visible_file_name("a\u{2066}b\u{200F}c\u{0000}d\ne"),
            "a[U+2066]b[U+200F]c[U+0000]d[U+000A]e"
        );
        assert_eq!(
            visible_file_name("Jahresbericht-€.pdf"),
            "Jahresbericht-€.pdf"
        );
        assert_eq!(
            visible_file_name("تقرير.pdf"),
            "تقرير.pdf",
            "right-to-left text itself stays"
        );
    }
}
