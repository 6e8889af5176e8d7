//! Search that finds 1- and 2-character Chinese words at index speed.
//!
//! FTS5's trigram tokenizer silently matches nothing for 停车 or 漏水, the most common
//! complaint words, and a `LIKE` scan is linear in the table. So the store indexes every
//! character (unigram) and every pair of adjacent characters (bigram) of a case's searchable
//! text in a contentless FTS5 table, each gram spelled as an ASCII token (`u` + hex code point,
//! `b` + hex + `g` + hex) so no tokenizer can split or fold it.
//!
//! A query term of one character matches the unigram column. A longer term is a *phrase* of
//! its consecutive bigrams in the bigram column, which holds the bigrams in text order: every
//! substring occurrence is such a phrase, so recall equals `LIKE '%term%'`. A phrase can also
//! match across the boundary of two fields, so candidates are confirmed with `instr` on the
//! stored text; the result set is exactly `LIKE`'s. Terms separated by spaces must all match.
//! As with SQLite's `LIKE`, ASCII letters match case-insensitively and nothing else is folded.

/// Separates fields in the stored search text; never part of a query term.
pub const FIELD_SEP: char = '\n';

/// The text as searched: ASCII-lowercased, the same folding `LIKE` applies.
pub fn fold(text: &str) -> String {
    text.to_ascii_lowercase()
}

fn push_uni(out: &mut String, c: char) {
    use std::fmt::Write;
    let _ = write!(out, "u{:x} ", c as u32);
}

fn push_bi(out: &mut String, a: char, b: char) {
    use std::fmt::Write;
    let _ = write!(out, "b{:x}g{:x} ", a as u32, b as u32);
}

/// The `(unigram, bigram)` token columns for a searchable text (already [`fold`]ed).
pub fn index_columns(text: &str) -> (String, String) {
    let mut uni = String::with_capacity(text.len() * 4);
    let mut bi = String::with_capacity(text.len() * 8);
    let mut prev: Option<char> = None;
    for c in text.chars() {
        if c.is_whitespace() {
            if prev.take().is_some() {
                bi.push_str("z ");
            }
            continue;
        }
        push_uni(&mut uni, c);
        if let Some(p) = prev {
            push_bi(&mut bi, p, c);
        }
        prev = Some(c);
    }
    (uni, bi)
}

/// A parsed query: the FTS5 `MATCH` expression and the folded terms to confirm with `instr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// FTS5 expression over the `uni` and `bi` columns.
    pub fts: String,
    /// Folded terms, each of which must occur in the text.
    pub terms: Vec<String>,
}

/// Parse what the user typed; `None` when there is nothing to search for.
pub fn parse(input: &str) -> Option<Query> {
    let terms: Vec<String> = input.split_whitespace().map(fold).collect();
    if terms.is_empty() {
        return None;
    }
    let parts: Vec<String> = terms
        .iter()
        .map(|t| {
            let chars: Vec<char> = t.chars().collect();
            let mut s = String::new();
            if chars.len() == 1 {
                push_uni(&mut s, chars[0]);
                format!("uni : {}", s.trim_end())
            } else {
                for w in chars.windows(2) {
                    push_bi(&mut s, w[0], w[1]);
                }
                format!("bi : \"{}\"", s.trim_end())
            }
        })
        .collect();
    Some(Query {
        fts: parts.join(" AND "),
        terms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grams_skip_whitespace_and_spell_as_ascii() {
        let (uni, bi) = index_columns("停车 难\n\n消防");
        assert_eq!(uni, "u505c u8f66 u96be u6d88 u9632 ");
        assert_eq!(bi, "b505cg8f66 z z b6d88g9632 ");
    }

    #[test]
    fn queries_become_phrases_of_bigrams_or_single_unigrams() {
        let q = parse("  停车  Ab 水").unwrap();
        assert_eq!(q.terms, vec!["停车", "ab", "水"]);
        assert_eq!(
            q.fts,
            "bi : \"b505cg8f66\" AND bi : \"b61g62\" AND uni : u6c34"
        );
        assert_eq!(parse(" \t ").map(|q| q.terms), None);
    }
}
