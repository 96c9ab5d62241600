//! Hostile bots.yaml files on disk: a huge file and deep nesting are refused at once with a clear error.

use std::time::{Duration, Instant};
use zimbot_runtime::config::{load, AcceptAnyPlugin, MAX_CONFIG_BYTES, MAX_NESTING};

/// Far below the 33 s a 100 MB file once took; generous for a debug build on a busy machine.
const QUICK: Duration = Duration::from_secs(2);

#[test]
fn a_file_over_the_size_cap_is_refused_without_parsing_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bots.yaml");
    let line = "# padding padding padding padding padding padding padding padding padding padding\n";
    let text = format!("bots: []\n{}", line.repeat(100 * 1024 * 1024 / line.len()));
    std::fs::write(&path, text).unwrap();
    let started = Instant::now();
    let errors = load(&path, &AcceptAnyPlugin).unwrap_err().to_string();
    assert!(started.elapsed() < QUICK, "took {:?}", started.elapsed());
    assert!(errors.contains(&format!("larger than {MAX_CONFIG_BYTES} bytes")), "{errors}");
}

#[test]
fn nesting_deeper_than_the_cap_is_refused_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bots.yaml");
    let depth = 200_000;
    std::fs::write(&path, format!("bots: []\nx: {}{}\n", "[".repeat(depth), "]".repeat(depth))).unwrap();
    let started = Instant::now();
    let errors = load(&path, &AcceptAnyPlugin).unwrap_err().to_string();
    assert!(started.elapsed() < QUICK, "took {:?}", started.elapsed());
    assert!(errors.contains(&format!("nested more than {MAX_NESTING} levels deep")), "{errors}");
    assert!(errors.contains("bots.yaml:2:"), "placed on line 2: {errors}");
}
