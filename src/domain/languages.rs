//! Language shares by bytes, with percentages that always add up to exactly 100.

use std::collections::HashMap;

use serde::Serialize;

use super::snapshot::LanguageSize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LanguageShare {
    pub name: String,
    /// `#rrggbb`, or None when GitHub has no color for the language.
    pub color: Option<String>,
    pub bytes: i64,
    /// Share of all counted bytes, rounded to one decimal; the shares of one list sum to 100.0.
    pub percent: f64,
}

/// Sums bytes per language (by name) and returns them largest first (ties by name).
///
/// Percentages use the largest-remainder method on tenths of a percent, so rounding never makes
/// a bar overflow or fall short.
pub fn language_shares<'a>(sizes: impl IntoIterator<Item = &'a LanguageSize>) -> Vec<LanguageShare> {
    let mut by_name: HashMap<&str, (Option<&str>, i64)> = HashMap::new();
    for size in sizes {
        let entry = by_name.entry(&size.name).or_insert((None, 0));
        entry.0 = entry.0.or(size.color.as_deref());
        entry.1 += size.bytes.max(0);
    }
    let mut shares: Vec<LanguageShare> = by_name
        .into_iter()
        .filter(|(_, (_, bytes))| *bytes > 0)
        .map(|(name, (color, bytes))| LanguageShare {
            name: name.to_owned(),
            color: color.map(str::to_owned),
            bytes,
            percent: 0.0,
        })
        .collect();
    shares.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.name.cmp(&b.name)));

    let total: i128 = shares.iter().map(|s| i128::from(s.bytes)).sum();
    if total == 0 {
        return shares;
    }
    const UNITS: i128 = 1000; // tenths of a percent
    let mut floors: Vec<(usize, i128, i128)> = shares
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let scaled = i128::from(s.bytes) * UNITS;
            (i, scaled / total, scaled % total)
        })
        .collect();
    let mut missing = UNITS - floors.iter().map(|f| f.1).sum::<i128>();
    let mut order: Vec<usize> = (0..floors.len()).collect();
    order.sort_by(|&a, &b| floors[b].2.cmp(&floors[a].2).then(a.cmp(&b)));
    for i in order {
        if missing == 0 {
            break;
        }
        floors[i].1 += 1;
        missing -= 1;
    }
    for (i, tenths, _) in floors {
        shares[i].percent = tenths as f64 / 10.0;
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(name: &str, bytes: i64) -> LanguageSize {
        LanguageSize { name: name.into(), color: Some("#000000".into()), bytes }
    }

    #[test]
    fn bytes_are_summed_per_language_and_sorted_largest_first() {
        let sizes = [size("Rust", 100), size("Go", 300), size("Rust", 250)];
        let shares = language_shares(&sizes);
        let got: Vec<_> = shares.iter().map(|s| (s.name.as_str(), s.bytes)).collect();
        assert_eq!(got, [("Rust", 350), ("Go", 300)]);
    }

    #[test]
    fn thirds_still_sum_to_one_hundred() {
        let sizes = [size("A", 1), size("B", 1), size("C", 1)];
        let shares = language_shares(&sizes);
        let total: f64 = shares.iter().map(|s| s.percent).sum();
        assert!((total - 100.0).abs() < 1e-9, "{total}");
        assert_eq!(shares[0].percent, 33.4);
    }

    #[test]
    fn empty_and_zero_byte_languages_are_dropped() {
        assert!(language_shares(&[size("A", 0)]).is_empty());
        assert!(language_shares(&[]).is_empty());
    }

    #[test]
    fn many_tiny_languages_sum_to_one_hundred() {
        let sizes: Vec<_> = (0..37).map(|i| size(&format!("L{i}"), 1 + i * 7919 % 13)).collect();
        let total: f64 = language_shares(&sizes).iter().map(|s| s.percent).sum();
        assert!((total - 100.0).abs() < 1e-6, "{total}");
    }
}
