//! Reading a single-range `Range: bytes=...` header.

/// What a `Range` header asks of a file of a given length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable range: serve the whole file (also for several ranges or units other than bytes, which a server
    /// may ignore).
    Whole,
    /// Bytes `start..=end`, both within the file.
    Part { start: u64, end: u64 },
    /// A range starting past the end: answer 416.
    Unsatisfiable,
}

/// Reads `header` for a file of `length` bytes.
pub fn parse(header: Option<&str>, length: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|header| header.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Whole;
    };
    if spec.contains(',') {
        return RangeRequest::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        // `bytes=-N`: the last N bytes.
        return match last.parse::<u64>() {
            Ok(0) => RangeRequest::Unsatisfiable,
            Ok(_) if length == 0 => RangeRequest::Unsatisfiable,
            Ok(suffix) => RangeRequest::Part { start: length.saturating_sub(suffix), end: length - 1 },
            Err(_) => RangeRequest::Whole,
        };
    }
    let Ok(start) = first.parse::<u64>() else {
        return RangeRequest::Whole;
    };
    if start >= length {
        return RangeRequest::Unsatisfiable;
    }
    if last.is_empty() {
        return RangeRequest::Part { start, end: length - 1 };
    }
    match last.parse::<u64>() {
        Ok(end) if end >= start => RangeRequest::Part { start, end: end.min(length - 1) },
        _ => RangeRequest::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_range_is_served_as_asked() {
        assert_eq!(parse(Some("bytes=2-5"), 10), RangeRequest::Part { start: 2, end: 5 });
    }

    #[test]
    fn an_open_range_runs_to_the_end() {
        assert_eq!(parse(Some("bytes=7-"), 10), RangeRequest::Part { start: 7, end: 9 });
    }

    #[test]
    fn a_suffix_range_takes_the_last_bytes() {
        assert_eq!(parse(Some("bytes=-3"), 10), RangeRequest::Part { start: 7, end: 9 });
        assert_eq!(parse(Some("bytes=-30"), 10), RangeRequest::Part { start: 0, end: 9 });
    }

    #[test]
    fn an_end_past_the_file_is_clamped() {
        assert_eq!(parse(Some("bytes=5-100"), 10), RangeRequest::Part { start: 5, end: 9 });
    }

    #[test]
    fn a_start_past_the_end_is_unsatisfiable() {
        assert_eq!(parse(Some("bytes=10-"), 10), RangeRequest::Unsatisfiable);
    }

    #[test]
    fn several_ranges_or_other_units_serve_the_whole_file() {
        assert_eq!(parse(Some("bytes=0-1,4-5"), 10), RangeRequest::Whole);
        assert_eq!(parse(Some("items=0-1"), 10), RangeRequest::Whole);
        assert_eq!(parse(Some("bytes=5-2"), 10), RangeRequest::Whole);
        assert_eq!(parse(None, 10), RangeRequest::Whole);
    }
}
