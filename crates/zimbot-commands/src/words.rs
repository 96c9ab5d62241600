//! Splitting a command's arguments into words, with quoted words.

use crate::CommandError;

/// Splits `text` at whitespace; `"..."` or `'...'` is one word (quotes removed, spaces kept), and `\` before a
/// quote or a backslash takes it literally.
pub fn split_words(text: &str) -> Result<Vec<String>, CommandError> {
    let mut words = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, first)) = chars.peek() {
        if first.is_whitespace() {
            chars.next();
            continue;
        }
        let mut word = String::new();
        let mut quote = None;
        while let Some(&(_, c)) = chars.peek() {
            match (quote, c) {
                (None, c) if c.is_whitespace() => break,
                (None, '"' | '\'') => quote = Some(c),
                (Some(open), c) if c == open => quote = None,
                (_, '\\') => {
                    chars.next();
                    match chars.peek() {
                        Some(&(_, escaped @ ('"' | '\'' | '\\'))) => word.push(escaped),
                        _ => {
                            word.push('\\');
                            continue;
                        }
                    }
                }
                (_, c) => word.push(c),
            }
            chars.next();
        }
        if quote.is_some() {
            let at = text[..start].chars().count() + 1;
            return Err(CommandError::UnclosedQuote { at });
        }
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_split_at_any_whitespace() {
        assert_eq!(split_words("  a\tb  c ").unwrap(), ["a", "b", "c"]);
    }

    #[test]
    fn a_quoted_word_keeps_its_spaces() {
        assert_eq!(split_words(r#"say "hello there" 'and you'"#).unwrap(), ["say", "hello there", "and you"]);
    }

    #[test]
    fn a_backslash_escapes_a_quote() {
        assert_eq!(split_words(r#""she said \"hi\"""#).unwrap(), [r#"she said "hi""#]);
    }

    #[test]
    fn an_empty_quoted_word_is_a_word() {
        assert_eq!(split_words(r#"a "" b"#).unwrap(), ["a", "", "b"]);
    }

    #[test]
    fn an_unclosed_quote_is_refused_with_its_position() {
        assert_eq!(split_words(r#"a "b c"#).unwrap_err(), CommandError::UnclosedQuote { at: 3 });
    }
}
