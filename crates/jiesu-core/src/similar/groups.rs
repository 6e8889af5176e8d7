//! Texts grouped by a chain of alike pairs (single link): the clusters' grouping, without
//! comparing every pair.
//!
//! Comparing each pair of a category's cases costs n²/2 comparisons. When the texts are
//! alike the groups form early and a pair already in one group is skipped by a root lookup,
//! but when they are not (residents telling a category's problems each in their own words)
//! every pair is compared: 60 s for a street's 82,000 cases of 90 days
//! (`benches/clusters.rs --unlike`). So candidates come from an index instead (prefix
//! filtering, Bayardo et al. 2007): with each text's bigrams ordered rarest first, two texts at
//! least `t` alike (Jaccard) share a bigram among the first `|x| − ⌈t·|x|⌉ + 1` of each, so a
//! text is compared only with the earlier texts that share one of those with it. Where those
//! lists are over twice as long as the earlier texts (alike texts: their groups form early),
//! the text is compared with every earlier one instead. Either way every pair at least `t`
//! alike is looked at, so the groups are exactly those of comparing every pair (a property
//! test holds the two equal); a pair already in one group is skipped before any comparison.

use std::collections::HashMap;

use super::similarity;

/// For each text's bigrams ([`super::grams`]), a label shared by exactly the texts of its
/// group: texts joined by a chain of pairs at least `threshold` alike. A label is the
/// smallest index in its group, so groups come out in the order of their first text.
pub fn alike_groups(grams: &[Vec<u64>], threshold: f64) -> Vec<usize> {
    let n = grams.len();
    let mut often: HashMap<u64, u32> = HashMap::new();
    for g in grams {
        for &b in g {
            *often.entry(b).or_default() += 1;
        }
    }
    let mut parent: Vec<usize> = (0..n).collect();
    // The texts (earlier than the one looked at) whose prefix holds a bigram.
    let mut holders: HashMap<u64, Vec<u32>> = HashMap::new();
    // The text a candidate was last looked at for: each pair once, however many bigrams
    // they share.
    let mut seen: Vec<usize> = vec![usize::MAX; n];
    for i in 0..n {
        let mut order = grams[i].clone();
        order.sort_unstable_by_key(|b| (often[b], *b));
        order.truncate(prefix_len(order.len(), threshold));
        let lists: Vec<&[u32]> = order
            .iter()
            .filter_map(|b| holders.get(b).map(Vec::as_slice))
            .collect();
        let mut pair = |j: usize| {
            let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
            if ri != rj && similarity(&grams[i], &grams[j]) >= threshold {
                // The smaller index stays the root: a group's label is its first text.
                parent[ri.max(rj)] = ri.min(rj);
            }
        };
        // Alike texts share common bigrams even among their rarest, and the lists hold
        // most earlier texts many times over: then walking every earlier text once, most
        // already in this one's group, is the shorter way to the same pairs. Twice the
        // earlier texts was the best switch on the bench's three kinds of text.
        if lists.iter().map(|l| l.len()).sum::<usize>() > 2 * i {
            (0..i).for_each(&mut pair);
        } else {
            for &j in lists.iter().copied().flatten() {
                let j = j as usize;
                if seen[j] != i {
                    seen[j] = i;
                    pair(j);
                }
            }
        }
        for b in order {
            holders.entry(b).or_default().push(i as u32);
        }
    }
    (0..n).map(|i| root(&mut parent, i)).collect()
}

/// How many of a text's rarest bigrams two texts at least `threshold` alike must share one
/// of. Jaccard ≥ t needs ⌈t·|x|⌉ shared bigrams; the float is rounded down a hair so that
/// `0.3 × 10` (3.0000000000000004) asks for 3, not 4, and no pair is missed. No bigrams: none.
fn prefix_len(len: usize, threshold: f64) -> usize {
    if len == 0 {
        return 0;
    }
    let shared = ((threshold * len as f64) - 1e-9).ceil().max(1.0) as usize;
    (len + 1).saturating_sub(shared).clamp(1, len)
}

fn root(p: &mut [usize], mut i: usize) -> usize {
    while p[i] != i {
        p[i] = p[p[i]];
        i = p[i];
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every pair compared: what the clusters did before, kept as the oracle.
    fn every_pair(grams: &[Vec<u64>], threshold: f64) -> Vec<usize> {
        let mut parent: Vec<usize> = (0..grams.len()).collect();
        for i in 0..grams.len() {
            for j in (i + 1)..grams.len() {
                if similarity(&grams[i], &grams[j]) >= threshold {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
        (0..grams.len()).map(|i| root(&mut parent, i)).collect()
    }

    fn set(v: Vec<u64>) -> Vec<u64> {
        let mut v = v;
        v.sort_unstable();
        v.dedup();
        v
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Few bigrams over a small alphabet: pairs near the threshold, exactly at it
        /// (3 of 10), and empty texts, all common.
        #[test]
        fn the_groups_are_those_of_comparing_every_pair(
            texts in prop::collection::vec(prop::collection::vec(0u64..14, 0..12), 0..40),
            threshold in prop::sample::select(vec![0.3, 0.25, 0.5, 0.1]),
        ) {
            let grams: Vec<Vec<u64>> = texts.into_iter().map(set).collect();
            prop_assert_eq!(alike_groups(&grams, threshold), every_pair(&grams, threshold));
        }
    }

    #[test]
    fn a_pair_exactly_at_the_threshold_is_found() {
        // 3 shared of 10 in all: Jaccard 0.3 exactly, with 0.3 × 10 a hair above 3 in floats.
        let a: Vec<u64> = (0..10).collect();
        let b: Vec<u64> = vec![7, 8, 9];
        assert!(similarity(&a, &b) >= 0.3);
        assert_eq!(alike_groups(&[a, b], 0.3), vec![0, 0]);
    }

    #[test]
    fn a_chain_groups_texts_that_are_not_alike_themselves() {
        let a: Vec<u64> = (0..10).collect();
        let b: Vec<u64> = (5..15).collect();
        let c: Vec<u64> = (10..20).collect();
        let far: Vec<u64> = (100..110).collect();
        assert!(similarity(&a, &c) < 0.3);
        assert_eq!(
            alike_groups(&[a, far, b, c, vec![]], 0.3),
            vec![0, 1, 0, 0, 4]
        );
    }
}
