//! Fuzzing every parser of user-controlled text with proptest (outside CI: the tests are
//! `#[ignore]`d; `scripts/fuzz.sh` runs them in release mode with PROPTEST_CASES=1000000).
//!
//! * `Graph::from_json` (a graph file: import, share links, the CLI), and a few ticks of a
//!   session on every graph it accepts;
//! * `expr::parse` (typed expressions) followed by `Graph::from_file`, as the editor does;
//! * `share_codec::decode` (the URL fragment of share and embed links; a decoded custom graph
//!   goes on to `Graph::from_json`, and a decoded link must survive encode → decode);
//! * `embed_api::parse_json` (the postMessage payload a host page sends).
//!
//! Inputs: mutations of the built-in presets (as JSON and as expression text: deletions,
//! insertions of nasty tokens, truncation, splices, random characters), random token soups
//! and arbitrary unicode strings. A panic fails the test (proptest shrinks it to a small input:
//! add that to `tests/corpus/`); every error must be a non-empty message. Each test prints the
//! number of inputs, the rate and how many were accepted.
use std::cell::Cell;
use std::time::Instant;

use pc_playground::embed_api;
use pc_playground::engine::{expr, presets, Graph, Session, Variant};
use pc_playground::share_codec::{self, Source};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000)
}

const JSON_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ",",
    ":",
    "null",
    "true",
    "NaN",
    "Infinity",
    "1e999",
    "-1e999",
    "1e-400",
    "-0",
    "0x10",
    "1e308",
    "-1",
    "0",
    "99999999999999999999",
    "\"id\"",
    "\"op\"",
    "\"parents\"",
    "\"value\"",
    "\"output\"",
    "\"target\"",
    "\"variance\"",
    "\"pre\"",
    "\"act\"",
    "\"steps\"",
    "\"format\"",
    "\"inference_rate\"",
    "\"record_steps\"",
    "\"sqrt\"",
    "\"matmul\"",
    "\"linear\"",
    "\"sum\"",
    "\"tan\"",
    "\"input\"",
    "\"param\"",
    "\"add\"",
    "[[1,2],[3,4]]",
    "[1,2,3]",
    "[]",
    "[[]]",
    "\"\\ud800\"",
    "\"\\u0000\"",
    "\"x\"",
    "\"y\"",
    "\"<img src=x onerror=alert(1)>\"",
    "\u{202e}",
    "😀",
    "\u{feff}",
    "\\",
    "\n",
];

const EXPR_TOKENS: &[&str] = &[
    "input ",
    "param ",
    "target ",
    "variance ",
    "rate = ",
    "steps = ",
    "record = ",
    "name = ",
    "=",
    "+",
    "-",
    "*",
    "/",
    "@",
    "^2",
    "^",
    "(",
    ")",
    "[",
    "]",
    ",",
    ";",
    "\n",
    "#",
    "tanh(",
    "sqrt(",
    "linear(",
    "sum(",
    "matmul(",
    "add(",
    "sub(",
    "mul(",
    "act = ",
    "pre = [",
    "1e999",
    "NaN",
    "0",
    "-1",
    "1e-320",
    "2.5",
    "x",
    "y",
    "w1",
    "w2",
    "h",
    "\"",
    "ｘ",
    "😀",
    "\u{0}",
    "\t",
    " ",
    "[[1, 2], [3, 4]]",
    "[1, 2]",
    "1e",
    ".",
    "..",
    "tanhh(",
    "relu(",
    "identity(",
    "σ",
];

const URL_TOKENS: &[&str] = &[
    "&",
    "=",
    "v=1",
    "v=2",
    "v=",
    "p=",
    "p=chain",
    "p=paper",
    "g=",
    "var=strict",
    "var=zil",
    "eta=",
    "eta=1e999",
    "eta=-1",
    "eta=NaN",
    "speed=",
    "speed=0",
    "in=",
    "in=x:1.5,w1:0.3",
    "in=x:1;2;3",
    "t=",
    "t=1e308",
    "scale=global",
    "play=1",
    "embed=1",
    "panels=graph,plots",
    "theme=dark",
    "theme=<img>",
    "bg=transparent",
    "hide=rate,variant",
    "id=w1",
    "origin=https%3A//blog.example",
    "%",
    "%zz",
    "%00",
    "%E2%80%AE",
    ";",
    ",",
    ":",
    "#",
    "?",
    "q1bKS8xNVbJSyssvUUhUSC9KLMhQ0lHKy09JLVayio6t5QIA",
    "AAAA",
    "!!!",
    "😀",
    "\u{0}",
    "+",
];

const MSG_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ",",
    ":",
    "\"ns\"",
    "\"pc-playground\"",
    "\"v\"",
    "1",
    "2",
    "\"id\"",
    "\"w1\"",
    "\"type\"",
    "\"play\"",
    "\"pause\"",
    "\"step\"",
    "\"goto\"",
    "\"set\"",
    "\"n\"",
    "\"tick\"",
    "\"variant\"",
    "\"rate\"",
    "\"inputs\"",
    "\"x\"",
    "[1,2]",
    "1e999",
    "-3",
    "NaN",
    "null",
    "true",
    "\"many\"",
    "4294967296",
    "18446744073709551616",
    "\"\\ud800\"",
];

fn seeds_url() -> Vec<String> {
    vec![
        "v=1&p=diamond&var=strict&eta=0.2&speed=24&in=x:1.5,w1:0.3&t=1&scale=global&play=0\
&embed=1&panels=graph,plots&theme=dark&bg=transparent&hide=rate,variant&id=w1\
&origin=https%3A//blog.example"
            .into(),
        "#v=1&g=q1bKS8xNVbJSyssvUUhUSC9KLMhQ0lHKy09JLVayio6t5QIA".into(),
        format!(
            "v=1&g={}&var=zil",
            share_codec::pack_graph(presets::all()[0].json)
        ),
        "v=1&p=mlp231&in=x:0.5;-1,W1:1;2;3;4;5;6&t=0.2;0.4".into(),
    ]
}

fn seeds_msg() -> Vec<String> {
    vec![
        r#"{"ns":"pc-playground","v":1,"type":"play"}"#.into(),
        r#"{"ns":"pc-playground","v":1,"id":"w1","type":"step","n":5}"#.into(),
        r#"{"ns":"pc-playground","v":1,"type":"goto","tick":40}"#.into(),
        r#"{"ns":"pc-playground","v":1,"type":"set","variant":"strict","rate":0.2,"inputs":{"x":1.5,"W":[1,2]},"extra":true}"#.into(),
    ]
}

fn seeds_json() -> Vec<String> {
    presets::all().iter().map(|p| p.json.to_string()).collect()
}

fn seeds_expr() -> Vec<String> {
    presets::all()
        .iter()
        .filter_map(|p| {
            let f: pc_playground::engine::GraphFile = serde_json::from_str(p.json).ok()?;
            expr::to_text(&f)
        })
        .collect()
}

#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, usize),
    Replace(usize, char),
    Truncate(usize),
    Splice(usize, usize, usize),
    InsertStr(usize, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..16).prop_map(|(p, n)| Mutation::Delete(p, n)),
        (any::<usize>(), any::<usize>()).prop_map(|(p, t)| Mutation::Insert(p, t)),
        (any::<usize>(), any::<char>()).prop_map(|(p, c)| Mutation::Replace(p, c)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<usize>(), 1usize..40)
            .prop_map(|(a, b, n)| Mutation::Splice(a, b, n)),
        (any::<usize>(), ".{0,6}").prop_map(|(p, s)| Mutation::InsertStr(p, s)),
    ]
}

/// The char boundary at or before `p % (len + 1)`.
fn at(s: &str, p: usize) -> usize {
    let mut i = p % (s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(mut s: String, muts: &[Mutation], tokens: &[&str]) -> String {
    for m in muts {
        match m {
            Mutation::Delete(p, n) => {
                let a = at(&s, *p);
                let b = at(&s, a + n).max(a);
                let b = if b < a { a } else { b };
                if b <= s.len() && a <= b {
                    s.replace_range(a..b, "");
                }
            }
            Mutation::Insert(p, t) => {
                let a = at(&s, *p);
                s.insert_str(a, tokens[t % tokens.len()]);
            }
            Mutation::Replace(p, c) => {
                let a = at(&s, *p);
                if let Some(old) = s[a..].chars().next() {
                    s.replace_range(a..a + old.len_utf8(), &c.to_string());
                }
            }
            Mutation::Truncate(p) => {
                let a = at(&s, *p);
                s.truncate(a);
            }
            Mutation::Splice(a, b, n) => {
                let a = at(&s, *a);
                let e = at(&s, a + n).max(a);
                let piece = s[a..e].to_string();
                let b = at(&s, *b);
                s.insert_str(b, &piece);
            }
            Mutation::InsertStr(p, t) => {
                let a = at(&s, *p);
                s.insert_str(a, t);
            }
        }
    }
    s
}

fn input(seeds: Vec<String>, tokens: &'static [&'static str]) -> impl Strategy<Value = String> {
    let n = seeds.len();
    let mutated = (0..n, prop::collection::vec(mutation(), 1..6))
        .prop_map(move |(k, muts)| apply(seeds[k].clone(), &muts, tokens));
    let soup = prop::collection::vec(0..tokens.len(), 0..40)
        .prop_map(move |ix| ix.into_iter().map(|i| tokens[i]).collect::<String>());
    prop_oneof![7 => mutated, 2 => soup, 1 => any::<String>()]
}

/// Run `check` on `cases()` inputs; print count, rate, accepted.
fn fuzz(name: &str, strategy: impl Strategy<Value = String>, check: impl Fn(&str) -> bool) {
    let n = cases();
    let mut runner = TestRunner::new(Config {
        cases: n,
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    });
    let count = Cell::new(0u64);
    let accepted = Cell::new(0u64);
    let bytes = Cell::new(0u64);
    let t = Instant::now();
    let result = runner.run(&strategy, |s| {
        count.set(count.get() + 1);
        bytes.set(bytes.get() + s.len() as u64);
        if check(&s) {
            accepted.set(accepted.get() + 1);
        }
        Ok(())
    });
    let secs = t.elapsed().as_secs_f64();
    println!(
        "fuzz {name}: {} inputs ({} accepted, mean {} bytes) in {secs:.1} s = {:.0} inputs/s",
        count.get(),
        accepted.get(),
        bytes.get() / count.get().max(1),
        count.get() as f64 / secs
    );
    if let Err(e) = result {
        panic!("fuzz {name}: {e}");
    }
}

fn run_a_little(g: Graph) {
    let eta = g.inference_rate();
    for v in [Variant::FixedPred, Variant::Strict, Variant::Zil] {
        if let Ok(mut s) = Session::new(g.clone(), v, eta) {
            for _ in 0..3 {
                let _ = s.tick();
            }
        }
    }
}

#[test]
#[ignore = "fuzzing: run by scripts/fuzz.sh"]
fn fuzz_graph_from_json() {
    fuzz(
        "Graph::from_json",
        input(seeds_json(), JSON_TOKENS),
        |s| match Graph::from_json(s) {
            Ok(g) => {
                run_a_little(g);
                true
            }
            Err(e) => {
                assert!(!e.to_string().trim().is_empty(), "empty error for {s:?}");
                false
            }
        },
    );
}

#[test]
#[ignore = "fuzzing: run by scripts/fuzz.sh"]
fn fuzz_expr_parse() {
    fuzz(
        "expr::parse + Graph::from_file",
        input(seeds_expr(), EXPR_TOKENS),
        |s| match expr::parse(s) {
            Ok(f) => match Graph::from_file(&f) {
                Ok(g) => {
                    run_a_little(g);
                    true
                }
                Err(e) => {
                    assert!(!e.to_string().trim().is_empty());
                    false
                }
            },
            Err(e) => {
                assert!(!e.message.trim().is_empty(), "empty error for {s:?}");
                assert!(e.line >= 1 && e.column >= 1, "position {e} for {s:?}");
                false
            }
        },
    );
}

#[test]
#[ignore = "fuzzing: run by scripts/fuzz.sh"]
fn fuzz_share_link_decode() {
    fuzz("share_codec::decode", input(seeds_url(), URL_TOKENS), |s| {
        let d = share_codec::decode(s);
        if let Some(n) = &d.notice {
            assert!(n.split_whitespace().count() >= 3, "notice {n:?} for {s:?}");
        }
        if let Source::Graph(json) = &d.link.model.source {
            if let Ok(g) = Graph::from_json(json) {
                run_a_little(g);
            }
        }
        // what was decoded, re-encoded, decodes to the same link. Known exception (reported to
        // the embed owner): free text ending in whitespace/control characters (an origin
        // `\0\t`) comes back trimmed.
        let odd = |t: &str| t.chars().any(|c| c.is_control() || c.is_whitespace());
        let free_text_odd = d.link.view.origins.iter().any(|o| odd(o))
            || d.link.view.id.as_deref().is_some_and(odd);
        if !free_text_odd {
            let again = share_codec::decode(&share_codec::encode(&d.link));
            assert_eq!(again.link, d.link, "encode/decode round trip for {s:?}");
        }
        d.notice.is_none()
    });
}

#[test]
#[ignore = "fuzzing: run by scripts/fuzz.sh"]
fn fuzz_share_graph_unpack() {
    let seeds: Vec<String> = presets::all()
        .iter()
        .map(|p| share_codec::pack_graph(p.json))
        .collect();
    fuzz("share_codec::unpack_graph", input(seeds, URL_TOKENS), |s| {
        share_codec::unpack_graph(s).is_ok()
    });
}

#[test]
#[ignore = "fuzzing: run by scripts/fuzz.sh"]
fn fuzz_post_message() {
    fuzz(
        "embed_api::parse_json",
        input(seeds_msg(), MSG_TOKENS),
        |s| embed_api::parse_json(s, Some("w1")).is_ok(),
    );
}

/// The generators themselves work (a quick run, not ignored, so CI keeps this file compiling
/// and the harness honest).
#[test]
fn fuzz_smoke() {
    assert!(seeds_expr().len() >= 4, "presets print as expressions");
    let s = apply(
        "abcdef".into(),
        &[Mutation::Truncate(3), Mutation::Insert(1, 0)],
        &["X"],
    );
    assert_eq!(s, "aXbc");
    let s = apply(
        "héllo".into(),
        &[Mutation::Delete(2, 1), Mutation::Replace(0, 'Z')],
        &[],
    );
    assert!(s.starts_with('Z'));
}
