//! "Did you mean ...?": the closest known name to a misspelt one.

/// How alike two names must be (normalized Damerau-Levenshtein, case-insensitive) to be suggested.
const THRESHOLD: f64 = 0.6;

/// The candidate most like `given`, if any is alike enough to be what was meant.
pub(super) fn closest<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let given = given.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| (strsim::normalized_damerau_levenshtein(&given, &candidate.to_lowercase()), candidate))
        .filter(|(score, _)| *score >= THRESHOLD)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// The IANA time zone most like `given`: a different spelling of case, a city without its region, or a typo.
pub(super) fn closest_timezone(given: &str) -> Option<&'static str> {
    let names = || chrono_tz::TZ_VARIANTS.iter().map(|zone| zone.name());
    let lower = given.to_lowercase();
    names()
        .find(|name| name.to_lowercase() == lower)
        .or_else(|| names().find(|name| name.rsplit('/').next().is_some_and(|city| city.to_lowercase() == lower)))
        .or_else(|| closest(given, names()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_letter_typo_is_suggested() {
        assert_eq!(closest("mach", ["peers", "rooms", "groups", "match"]), Some("match"));
    }

    #[test]
    fn nothing_is_suggested_for_an_unrelated_name() {
        assert_eq!(closest("colour", ["peers", "rooms", "groups", "match"]), None);
    }

    #[test]
    fn a_timezone_city_finds_its_region() {
        assert_eq!(closest_timezone("Berlin"), Some("Europe/Berlin"));
        assert_eq!(closest_timezone("europe/berlin"), Some("Europe/Berlin"));
        assert_eq!(closest_timezone("Europe/Berlim"), Some("Europe/Berlin"));
    }
}
