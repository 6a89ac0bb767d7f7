//! Regression corpus of hostile inputs for every parser of user-controlled text (runs in CI,
//! natively). Each file of `tests/corpus/` is one input; its name says which parser:
//!
//! * `graph-*.txt`: a graph file, through `Graph::from_json`;
//! * `expr-*.txt`: expression text, through `expr::parse` and then `Graph::from_file` (what the
//!   editor does with typed text);
//! * `url-*.txt`: a share/embed link fragment, through `share_codec::decode` (which never fails:
//!   it must come back with a notice sentence, and a decoded custom graph must load or be refused
//!   by `Graph::from_json` with a sentence, as the app does);
//! * `msg-*.txt`: a postMessage payload, through `embed_api::parse_json` (must be rejected; those
//!   rejections are never shown, so no sentence is required).
//!
//! Every input must be refused with an error that reads as a sentence: never a panic, never an
//! empty or debug-formatted message, never a wall of text. Fuzzing (`scripts/fuzz.sh`) adds new
//! nasty inputs here when it finds one.
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pc_playground::embed_api;
use pc_playground::engine::{expr, Graph};
use pc_playground::share_codec::{self, Source};

fn corpus() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("tests/corpus exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let bytes = fs::read(&p).unwrap();
            (name, String::from_utf8_lossy(&bytes).into_owned())
        })
        .collect()
}

/// A readable one-sentence error: words, not a debug dump, bounded length.
pub fn check_sentence(name: &str, msg: &str) {
    let words = msg.split_whitespace().count();
    assert!(words >= 3, "{name}: not a sentence: {msg:?}");
    assert!(
        msg.chars().count() <= 600,
        "{name}: error of {} characters",
        msg.chars().count()
    );
    for bad in ["panicked", "Error {", "Some(", "unwrap"] {
        assert!(!msg.contains(bad), "{name}: {bad:?} in {msg:?}");
    }
    assert!(
        !msg.chars().any(|c| c.is_control() && c != '\n'),
        "{name}: control character in {msg:?}"
    );
    let first = msg.chars().next().unwrap();
    assert!(
        first.is_uppercase() || msg.starts_with("line "),
        "{name}: starts oddly: {msg:?}"
    );
}

fn run(name: &str, input: &str) -> Result<(), String> {
    if name.starts_with("graph-") {
        Graph::from_json(input)
            .map(|_| ())
            .map_err(|e| e.to_string())
    } else if name.starts_with("expr-") {
        let file = expr::parse(input).map_err(|e| e.to_string())?;
        Graph::from_file(&file)
            .map(|_| ())
            .map_err(|e| e.to_string())
    } else if name.starts_with("url-") {
        let d = share_codec::decode(input);
        if let Some(n) = d.notice {
            return Err(n);
        }
        match &d.link.model.source {
            Source::Graph(json) => Graph::from_json(json)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            _ => Ok(()),
        }
    } else if name.starts_with("msg-") {
        match embed_api::parse_json(input, Some("w1")) {
            Ok(c) => panic!("{name}: accepted as {c:?}"),
            Err(r) => Err(format!("The message was rejected: {r:?}.")),
        }
    } else {
        panic!("{name}: unknown corpus prefix (graph-, expr-, url-, msg-)");
    }
}

#[test]
fn every_corpus_input_is_refused_with_a_sentence() {
    let all = corpus();
    assert!(all.len() >= 85, "the corpus has {} inputs", all.len());
    let mut bad = vec![];
    for (name, input) in &all {
        let t = Instant::now();
        let out = std::panic::catch_unwind(|| run(name, input));
        let took = t.elapsed();
        match out {
            Err(_) => bad.push(format!("{name}: the parser panicked")),
            Ok(Ok(())) => bad.push(format!("{name}: accepted, but it must be refused")),
            Ok(Err(msg)) => {
                if let Err(e) = std::panic::catch_unwind(|| check_sentence(name, &msg)) {
                    let why = e
                        .downcast_ref::<String>()
                        .cloned()
                        .unwrap_or_else(|| format!("{name}: bad message"));
                    bad.push(why);
                }
            }
        }
        if took > Duration::from_millis(500) {
            bad.push(format!("{name}: took {took:?}"));
        }
    }
    assert!(
        bad.is_empty(),
        "{} problems:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn the_sentence_check_can_fail() {
    for bad in [
        "",
        "oops",
        "Error { line: 1 }",
        "called `Option::unwrap()` on a None value",
    ] {
        assert!(
            std::panic::catch_unwind(|| check_sentence("t", bad)).is_err(),
            "{bad:?}"
        );
    }
    check_sentence("t", "The graph file is not valid at line 1, column 1: EOF.");
}
