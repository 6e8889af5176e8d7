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
//!
//! A secretary searches the way she speaks, so (issue 21) a term also matches another
//! spelling of the building it names (27号楼 finds 27栋: the spellings are OR'ed phrases), the
//! searchable text holds the names of the case's category levels (停车 finds what is filed
//! under 停车管理), and a leading field word (`电话:1234`) keeps a term to one field, so a
//! phone tail is not drowned by work-order numbers that contain it (the index narrows, the
//! row's field confirms). The `LIKE` oracle applies the same rules.

/// Separates fields in the stored search text; never part of a query term.
pub const FIELD_SEP: char = '\n';

/// The text as searched: ASCII-lowercased, the same folding `LIKE` applies.
pub fn fold(text: &str) -> String {
    text.to_ascii_lowercase()
}

/// `c`'s code point in lowercase hex without leading zeros, as `{:x}` writes it: by hand,
/// as the formatting machinery was a tenth of making an imported row's search text.
fn push_hex(out: &mut String, c: char) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [0u8; 8];
    let mut at = buf.len();
    let mut rest = c as u32;
    loop {
        at -= 1;
        buf[at] = DIGITS[(rest & 0xf) as usize];
        rest >>= 4;
        if rest == 0 {
            break;
        }
    }
    for &d in &buf[at..] {
        out.push(char::from(d));
    }
}

fn push_uni(out: &mut String, c: char) {
    out.push('u');
    push_hex(out, c);
    out.push(' ');
}

/// The bigram token of `a` then `b`, tagged `tag` (`b` for the text's own).
fn push_pair(out: &mut String, tag: char, a: char, b: char) {
    out.push(tag);
    push_hex(out, a);
    out.push('g');
    push_hex(out, b);
    out.push(' ');
}

fn push_bi(out: &mut String, a: char, b: char) {
    push_pair(out, 'b', a, b);
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

/// The short fields a secretary names with a field word, each with the tag of its tokens:
/// the phone (`p`), the case and work-order numbers (`n`), the name (`m`), the address (`a`).
pub struct KeyFields<'a> {
    /// The resident's phone.
    pub phone: &'a str,
    /// The case number and the 12345 work-order number.
    pub numbers: [&'a str; 2],
    /// The resident's name.
    pub name: &'a str,
    /// The address as one line.
    pub address: &'a str,
}

/// The tokens that find a short field by itself: each bigram of the (folded) field tagged
/// by the field ([`KeyFields`]), appended to the bigram column after the text's, a `z`
/// between two fields so no phrase runs from one into the next. So `电话:1234` is a phrase of
/// phone bigrams, answered by the index alone however many work-order numbers contain 1234.
/// The long fields (description, place) are not repeated: a term kept to them is confirmed
/// on the row.
pub fn field_tokens(f: &KeyFields<'_>) -> String {
    let mut out = String::from("z ");
    let fields = [
        ('p', f.phone),
        ('n', f.numbers[0]),
        ('n', f.numbers[1]),
        ('m', f.name),
        ('a', f.address),
    ];
    for (tag, field) in fields {
        // A space inside a field (an address's free text) breaks the phrase as it does in
        // the text's own bigrams: no term holds one.
        let mut prev: Option<char> = None;
        for c in fold(field).chars() {
            if c.is_whitespace() {
                if prev.take().is_some() {
                    out.push_str("z ");
                }
                continue;
            }
            if let Some(p) = prev {
                push_pair(&mut out, tag, p, c);
            }
            prev = Some(c);
        }
        out.push_str("z ");
    }
    out
}

/// The index's columns for a case: its text's grams, then its fields' tagged bigrams
/// ([`field_tokens`]).
pub fn case_columns(text: &str, fields: &str) -> (String, String) {
    let (uni, mut bi) = index_columns(text);
    bi.push_str(fields);
    (uni, bi)
}

/// Which searchable field a term must be found in: every field (and the category's name),
/// or the one a leading field word names (`电话:1234`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Any searchable field, or the name of the case's category.
    Any,
    /// The resident's phone (电话:, 手机:, phone:).
    Phone,
    /// The case number or the 12345 work-order number (编号:, 单号:, 工单:, no:).
    Number,
    /// The resident's name (姓名:, name:).
    Name,
    /// The resident's address (地址:, 住址:, address:).
    Address,
    /// Where the problem is (地点:, place:).
    Location,
    /// What the resident said (内容:, 描述:, text:).
    Description,
}

/// The words a secretary puts before a term to say where it is, and what they mean.
const FIELD_WORDS: &[(&str, Field)] = &[
    ("电话", Field::Phone),
    ("手机", Field::Phone),
    ("電話", Field::Phone),
    ("手機", Field::Phone),
    ("phone", Field::Phone),
    ("編號", Field::Number),
    ("编号", Field::Number),
    ("单号", Field::Number),
    ("單號", Field::Number),
    ("工单", Field::Number),
    ("工單", Field::Number),
    ("no", Field::Number),
    ("姓名", Field::Name),
    ("name", Field::Name),
    ("地址", Field::Address),
    ("住址", Field::Address),
    ("address", Field::Address),
    ("地点", Field::Location),
    ("地點", Field::Location),
    ("place", Field::Location),
    ("内容", Field::Description),
    ("內容", Field::Description),
    ("描述", Field::Description),
    ("text", Field::Description),
];

/// The ways one building is written after its number: 27栋 = 27号楼 = 27幢 = 27座 = 27#楼.
const BUILDING_SUFFIXES: &[&str] = &["号楼", "#楼", "栋", "幢", "座", "號樓", "棟"];

/// One term of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Folded spellings, any of which may occur: the term as typed first, then the other
    /// spellings of a building it names.
    pub spellings: Vec<String>,
    /// Where it must occur.
    pub field: Field,
}

/// A parsed query: every term must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The terms.
    pub terms: Vec<Term>,
}

impl Term {
    /// Whether the index alone decides the term: any field, or one of [`KeyFields`] with two
    /// or more characters (their tagged bigrams); other terms are confirmed on the row.
    pub fn exact(&self) -> bool {
        match self.field {
            Field::Any => true,
            Field::Phone | Field::Number | Field::Name | Field::Address => {
                self.spellings.iter().all(|s| s.chars().count() >= 2)
            }
            Field::Location | Field::Description => false,
        }
    }

    /// The FTS5 expression finding the cases that hold one of the term's spellings: in the
    /// text, or (an exact field term) in the field's tagged bigrams.
    pub fn fts(&self) -> String {
        let tag = match self.field {
            _ if !self.exact() => None,
            Field::Phone => Some('p'),
            Field::Number => Some('n'),
            Field::Name => Some('m'),
            Field::Address => Some('a'),
            Field::Any | Field::Location | Field::Description => None,
        };
        let alternatives: Vec<String> = self
            .spellings
            .iter()
            .map(|s| match tag {
                Some(tag) => tagged_phrase(tag, s),
                None => phrase(s),
            })
            .collect();
        match alternatives.as_slice() {
            [one] => one.clone(),
            many => format!("({})", many.join(" OR ")),
        }
    }
}

impl Query {
    /// The FTS5 expression of every term: exact for [`Term::exact`] terms, a superset for
    /// the others (their field is confirmed on the row).
    pub fn fts(&self) -> String {
        let parts: Vec<String> = self.terms.iter().map(Term::fts).collect();
        parts.join(" AND ")
    }

    /// Whether the index alone decides the matches.
    pub fn exact(&self) -> bool {
        self.terms.iter().all(Term::exact)
    }
}

/// The FTS5 expression for one folded term as typed: a phrase of its bigrams, or its single
/// unigram.
pub fn phrase(term: &str) -> String {
    let chars: Vec<char> = term.chars().collect();
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
}

/// A phrase of a field's tagged bigrams ([`field_tokens`]); `term` has two or more characters.
fn tagged_phrase(tag: char, term: &str) -> String {
    let chars: Vec<char> = term.chars().collect();
    let mut s = String::new();
    for w in chars.windows(2) {
        push_pair(&mut s, tag, w[0], w[1]);
    }
    format!("bi : \"{}\"", s.trim_end())
}

/// Parse what the user typed; `None` when there is nothing to search for.
pub fn parse(input: &str) -> Option<Query> {
    let terms: Vec<Term> = input.split_whitespace().filter_map(term).collect();
    (!terms.is_empty()).then_some(Query { terms })
}

fn term(word: &str) -> Option<Term> {
    let word = fold(word);
    let (field, text) = match word.split_once([':', '：']) {
        Some((f, rest)) => match FIELD_WORDS.iter().find(|(w, _)| *w == f) {
            Some((_, field)) => (*field, rest.to_owned()),
            None => (Field::Any, word.clone()),
        },
        None => (Field::Any, word.clone()),
    };
    if text.is_empty() {
        return None;
    }
    Some(Term {
        spellings: building_spellings(&text),
        field,
    })
}

/// The term and, when it names a building by number, the term with each other spelling of
/// it (the first building it names; a term naming two is rare and kept as typed).
pub fn building_spellings(term: &str) -> Vec<String> {
    let mut out = vec![term.to_owned()];
    let chars: Vec<(usize, char)> = term.char_indices().collect();
    for (k, &(_, c)) in chars.iter().enumerate() {
        if !c.is_ascii_digit() {
            continue;
        }
        let after = chars.get(k + 1).map_or(term.len(), |&(i, _)| i);
        let rest = &term[after..];
        if let Some(suffix) = BUILDING_SUFFIXES.iter().find(|s| rest.starts_with(**s)) {
            for other in BUILDING_SUFFIXES {
                if other != suffix {
                    out.push(format!(
                        "{}{}{}",
                        &term[..after],
                        other,
                        &rest[suffix.len()..]
                    ));
                }
            }
            break;
        }
    }
    out
}

/// The Chinese names of a category's levels (停车管理, 违章停车, 占用消防通道), each on a
/// line of its own: indexed with the case, so 停车 finds what is filed under 停车管理 even
/// when its text never says the word, and no bigram spans two levels.
pub fn category_words(code: &str) -> String {
    static NAMES: std::sync::OnceLock<std::collections::HashMap<String, String>> =
        std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| {
        fn walk(
            nodes: &[crate::catalog::Category],
            out: &mut std::collections::HashMap<String, String>,
        ) {
            for n in nodes {
                out.insert(n.code.clone(), n.zh.clone());
                walk(&n.children, out);
            }
        }
        let mut m = std::collections::HashMap::new();
        walk(&crate::catalog::categories(), &mut m);
        m
    });
    let levels = code
        .match_indices('.')
        .map(|(i, _)| &code[..i])
        .chain([code]);
    let words: Vec<&str> = levels
        .filter_map(|l| names.get(l).map(String::as_str))
        .collect();
    words.join(&FIELD_SEP.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_spelled_as_formatting_spelled_them() {
        // The index on disk holds tokens written by `{:x}`: a spelling that differed would
        // find nothing indexed before it.
        let mut chars: Vec<char> = [
            '\0',
            '1',
            'a',
            'z',
            '\u{ff}',
            '漏',
            '\u{ffff}',
            '\u{10ffff}',
        ]
        .into_iter()
        .chain((0..0x11_0000).step_by(97).filter_map(char::from_u32))
        .collect();
        chars.push('𠀀');
        for w in chars.windows(2) {
            let (mut uni, mut pair) = (String::new(), String::new());
            push_uni(&mut uni, w[0]);
            push_pair(&mut pair, 'n', w[0], w[1]);
            assert_eq!(uni, format!("u{:x} ", w[0] as u32));
            assert_eq!(pair, format!("n{:x}g{:x} ", w[0] as u32, w[1] as u32));
        }
    }

    #[test]
    fn grams_skip_whitespace_and_spell_as_ascii() {
        let (uni, bi) = index_columns("停车 难\n\n消防");
        assert_eq!(uni, "u505c u8f66 u96be u6d88 u9632 ");
        assert_eq!(bi, "b505cg8f66 z z b6d88g9632 ");
    }

    #[test]
    fn queries_become_phrases_of_bigrams_or_single_unigrams() {
        let q = parse("  违章  Ab 水").unwrap();
        let spellings: Vec<&str> = q.terms.iter().map(|t| t.spellings[0].as_str()).collect();
        assert_eq!(spellings, vec!["违章", "ab", "水"]);
        assert_eq!(
            q.fts(),
            "bi : \"b8fddg7ae0\" AND bi : \"b61g62\" AND uni : u6c34"
        );
        assert!(parse(" \t ").is_none());
        assert!(parse("电话:").is_none());
    }

    #[test]
    fn a_building_is_found_however_it_is_written() {
        let t = &parse("27号楼下").unwrap().terms[0];
        for s in ["27号楼下", "27栋下", "27幢下", "27座下", "27#楼下"] {
            assert!(
                t.spellings.iter().any(|x| x == s),
                "{s} in {:?}",
                t.spellings
            );
        }
        assert!(t.fts().starts_with("(bi : "), "{}", t.fts());
        // A number without a building word, or a word without a number, is one spelling.
        assert_eq!(parse("27号").unwrap().terms[0].spellings, vec!["27号"]);
        assert_eq!(parse("楼栋").unwrap().terms[0].spellings, vec!["楼栋"]);
    }

    #[test]
    fn a_leading_field_word_says_where_the_term_is() {
        let q = parse("电话:1234 编号：KB001 住址:27栋 其他:词").unwrap();
        let got: Vec<(Field, &str)> = q
            .terms
            .iter()
            .map(|t| (t.field, t.spellings[0].as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Field::Phone, "1234"),
                (Field::Number, "kb001"),
                (Field::Address, "27栋"),
                (Field::Any, "其他:词"),
            ]
        );
        assert!(
            q.exact(),
            "phone, number and address are tagged in the index"
        );
        assert!(
            !parse("内容:漏水").unwrap().exact(),
            "a long field is confirmed on the row"
        );
        assert_eq!(q.terms[0].fts(), "bi : \"p31g32 p32g33 p33g34\"");
        assert!(parse("停车 27栋").unwrap().exact());
        assert!(!parse("电话:1").unwrap().exact());
    }

    #[test]
    fn fields_are_tagged_apart_so_no_phrase_runs_from_one_into_the_next() {
        let f = |phone, number| KeyFields {
            phone,
            numbers: [number, ""],
            name: "王",
            address: "",
        };
        assert_eq!(
            field_tokens(&f("138", "KB1")),
            "z p31g33 p33g38 z n6bg62 n62g31 z z z z "
        );
        // A space inside a field is a break, not a bigram.
        let spaced = field_tokens(&KeyFields {
            phone: "",
            numbers: ["", ""],
            name: "",
            address: "3室 东",
        });
        assert!(spaced.contains("a33g5ba4 z ") && !spaced.contains("5ba4g4e1c"));
        // The phone's tail 38 and the number's head kb are never one phrase.
        let (_, bi) = case_columns("x", &field_tokens(&f("138", "KB1")));
        assert!(!bi.contains("p38g6b") && !bi.contains("p33g38 n6bg62"));
    }

    #[test]
    fn a_category_is_indexed_by_the_names_of_its_levels() {
        assert_eq!(
            category_words("parking.illegal.fire_lane"),
            "停车管理\n违章停车\n占用消防通道"
        );
        assert_eq!(category_words("parking"), "停车管理");
        assert_eq!(category_words("no.such"), "");
    }
}
