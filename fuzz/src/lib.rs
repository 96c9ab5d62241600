//! zimbot's fuzz targets: property-based tests over the parsers that read untrusted input (the webhook's callback
//! parser, the bots.yaml loader, the media store's Range parser, the plugin ABI's message decoder).
//!
//! cargo-fuzz needs a nightly compiler, so the targets use proptest and run inside `cargo test` for a bounded
//! number of cases ([`cases`], default 1000 each; `ZIMBOT_FUZZ_CASES=100000 cargo test -p zimbot-fuzz` runs longer).
//! Each target draws its inputs two ways: from nothing (arbitrary bytes or text), and by mutating the seed files
//! kept in `corpus/<target>/` (flipping, inserting and removing bytes), so most cases get past the first checks
//! and reach the deep parts of a parser. Failures proptest finds are kept in `regressions/<target>.txt` and
//! replayed first on every later run.
//!
//! This crate holds the shared pieces; the targets are its tests (`tests/*.rs`).

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use std::path::{Path, PathBuf};

/// Cases per target: `ZIMBOT_FUZZ_CASES`, else 1000 (about a second per target in a debug build).
pub fn cases() -> u32 {
    std::env::var("ZIMBOT_FUZZ_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(1000)
}

/// The proptest settings of `target`: [`cases`] cases, failures kept in `regressions/{target}.txt`.
pub fn config(target: &'static str) -> Config {
    let path: &'static str = Box::leak(format!("regressions/{target}.txt").into_boxed_str());
    Config {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(path))),
        ..Config::default()
    }
}

/// The seed files of `target`, from `corpus/{target}/`, in name order.
pub fn corpus(target: &str) -> Vec<Vec<u8>> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap_or_else(|error| panic!("cannot read the corpus {}: {error}", folder.display()))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    paths.sort();
    let seeds: Vec<Vec<u8>> = paths.iter().filter_map(|path| std::fs::read(path).ok()).collect();
    assert!(!seeds.is_empty(), "the corpus {} is empty", folder.display());
    seeds
}

/// One edit of a byte string.
#[derive(Debug, Clone)]
enum Edit {
    Flip { at: usize, byte: u8 },
    Insert { at: usize, bytes: Vec<u8> },
    Remove { at: usize, length: usize },
}

/// Bytes YAML and JSON give meaning to, so insertions often change structure rather than only text.
const INTERESTING: &[u8] = b"{}[]\":,'#&*!|>-\\\n 0123456789eE.+\x00\xff";

fn edit() -> impl Strategy<Value = Edit> {
    let byte = prop_oneof![any::<u8>(), proptest::sample::select(INTERESTING)];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(at, byte)| Edit::Flip { at, byte }),
        (any::<usize>(), proptest::collection::vec(byte, 1..8)).prop_map(|(at, bytes)| Edit::Insert { at, bytes }),
        (any::<usize>(), 1usize..16).prop_map(|(at, length)| Edit::Remove { at, length }),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: Vec<Edit>) -> Vec<u8> {
    for edit in edits {
        match edit {
            Edit::Flip { at, byte } if !bytes.is_empty() => {
                let at = at % bytes.len();
                bytes[at] = byte;
            }
            Edit::Insert { at, bytes: inserted } => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, inserted);
            }
            Edit::Remove { at, length } if !bytes.is_empty() => {
                let at = at % bytes.len();
                let end = (at + length).min(bytes.len());
                bytes.drain(at..end);
            }
            _ => {}
        }
    }
    bytes
}

/// Inputs for `target`: a seed from its corpus with up to eight edits, or arbitrary bytes.
pub fn inputs(target: &str) -> impl Strategy<Value = Vec<u8>> {
    inputs_with(target, Vec::new())
}

/// Like [`inputs`], with `extra` seeds made by the target itself (values serialized by the current code).
pub fn inputs_with(target: &str, extra: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let mut seeds = corpus(target);
    seeds.extend(extra);
    let mutated = (proptest::sample::select(seeds), proptest::collection::vec(edit(), 0..8))
        .prop_map(|(seed, edits)| apply(seed, edits));
    prop_oneof![4 => mutated, 1 => proptest::collection::vec(any::<u8>(), 0..512)]
}
