//! Fuzz target: the media store's `Range` header parser; any header and length gives a range inside the file.

use proptest::prelude::*;
use zimbot_fuzz::{config, inputs};
use zimbot_hub::{parse_range, RangeRequest};

proptest! {
    #![proptest_config(config("range"))]

    #[test]
    fn any_header_gives_a_range_inside_the_file(header in inputs("range"), length in prop_oneof![0u64..2048, any::<u64>()]) {
        let header = String::from_utf8_lossy(&header);
        match parse_range(Some(&header), length) {
            RangeRequest::Part { start, end } => prop_assert!(start <= end && end < length, "{start}-{end} of {length}"),
            RangeRequest::Whole | RangeRequest::Unsatisfiable => {}
        }
    }
}
