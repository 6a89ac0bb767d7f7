//! The crate's JSON reader (`pc_playground::json`, used for graph files and postMessage
//! commands because it is much smaller in the wasm than serde's deserializers) against
//! `serde_json::from_str` with the types' serde attributes: on every preset, reference vector
//! and corpus input, hand-written edge cases and seeded random mutations, both must accept the
//! same texts with the same values (compared as serialised JSON, so -0.0 and every bit of every
//! f64 count) and refuse the same texts; a syntax error must name the same line.
use std::fs;
use std::path::Path;

use pc_playground::embed_api::{self, Command, Header};
use pc_playground::engine::GraphFile;

fn graph_texts() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = vec![];
    for dir in ["src/engine/presets", "tests/vectors", "tests/corpus"] {
        let mut files: Vec<_> = fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for p in files {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".json") || name.starts_with("graph-") || name.starts_with("msg-") {
                out.push(String::from_utf8_lossy(&fs::read(&p).unwrap()).into_owned());
            }
        }
    }
    out
}

fn same_graph(text: &str) {
    let theirs = serde_json::from_str::<GraphFile>(text);
    let mine = GraphFile::from_json_text(text);
    match (&theirs, &mine) {
        (Ok(a), Ok(b)) => assert_eq!(
            serde_json::to_string(a).unwrap(),
            serde_json::to_string(b).unwrap(),
            "different values for {text:?}"
        ),
        (Err(a), Err(b)) => {
            // (serde_json skips unknown keys' values without a nesting limit, this reader
            // stops at 512 levels; and serde_json places a raw control character in a skipped
            // string before it, in a read string after it: a line break moves the line)
            // (with two errors in a text, serde_json names the first in the text, this reader a
            // syntax error before a value error: compare places of the same error only)
            if (a.is_syntax() || a.is_eof())
                && a.to_string().starts_with(&b.message)
                && b.message != "recursion limit exceeded"
                && !b.message.starts_with("control character")
            {
                assert_eq!(a.line(), b.line, "serde {a} / mine {b}: {text:?}");
            }
        }
        _ => panic!("{text:?}: serde {theirs:?} / mine {mine:?}"),
    }
}

/// The same command accepted, or both refused (a refusal's kind may differ for input serde
/// skips unchecked: numbers out of range or nesting deeper than 512 under unknown keys).
fn same_command(text: &str) {
    let theirs = (|| {
        let h: Header = serde_json::from_str(text).ok()?;
        Some((h, serde_json::from_str::<Command>(text).ok()?))
    })();
    let mine = (|| {
        let d = pc_playground::json::Doc::new(text);
        let root = d.parse().ok()?;
        let h = embed_api::header(&d, &root).ok()?;
        Some((h, embed_api::command(&d, &root).ok()?))
    })();
    assert_eq!(theirs, mine, "{text:?}");
}

const EDGE_GRAPHS: &[&str] = &[
    "",
    " ",
    "{}",
    "[]",
    "null",
    "{\"nodes\": [], \"output\": \"y\", \"target\": 1}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": 1} x",
    "{\"nodes\": [], \"output\": \"y\", \"target\": 1,}",
    "{\"nodes\": [,], \"output\": \"y\", \"target\": 1}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": 1, \"output\": \"z\"}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": 1, \"extra\": {\"a\": [1, {\"b\": null}]}}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": [[1, 2], [3]]}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": [[1, 2], 3]}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": []}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": [[]]}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": \"1\"}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": null}",
    "{\"nodes\": [], \"output\": 3, \"target\": 1}",
    "{\"nodes\": [], \"output\": \"y\"}",
    "{\"nodes\": {}, \"output\": \"y\", \"target\": 1}",
    "{\"format\": 1, \"name\": \"n\", \"nodes\": [], \"output\": \"y\", \"target\": 1}",
    "{\"format\": -1, \"nodes\": [], \"output\": \"y\", \"target\": 1}",
    "{\"format\": 1.0, \"nodes\": [], \"output\": \"y\", \"target\": 1}",
    "{\"format\": 4294967296, \"nodes\": [], \"output\": \"y\", \"target\": 1}",
    "{\"format\": null, \"nodes\": [], \"output\": \"y\", \"target\": 1}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": 1, \"inference_rate\": null, \"steps\": null}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": 1, \"inference_rate\": 0.1, \"steps\": 40, \
     \"record_steps\": [0, 1, 39], \"variants\": [\"strict\"], \"zil\": true}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": 1, \"zil\": 1}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": 1, \"steps\": -4}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": 1, \"record_steps\": [1, 2.5]}",
    "{\"nodes\": [{\"id\": \"x\", \"op\": \"input\", \"value\": 1.5}], \"output\": \"x\", \"target\": 1}",
    "{\"nodes\": [{\"id\": \"x\", \"op\": \"input\", \"valu\": 1.5}], \"output\": \"x\", \"target\": 1}",
    "{\"nodes\": [{\"id\": \"x\"}], \"output\": \"x\", \"target\": 1}",
    "{\"nodes\": [{\"op\": \"input\"}], \"output\": \"x\", \"target\": 1}",
    "{\"nodes\": [{\"id\": \"x\", \"id\": \"y\", \"op\": \"input\"}], \"output\": \"x\", \"target\": 1}",
    "{\"nodes\": [{\"id\": \"y\", \"op\": \"tanh\", \"parents\": [\"x\"], \"act\": null, \"pre\": null, \
     \"variance\": 2}], \"output\": \"y\", \"target\": 1}",
    "{\"nodes\": [{\"id\": \"y\", \"op\": \"add\", \"parents\": [\"x\", 1]}], \"output\": \"y\", \"target\": 1}",
    "{\"nodes\": [{\"id\": \"y\", \"op\": \"add\", \"pre\": [\"tanh\", \"identity\"]}], \"output\": \"y\", \"target\": 1}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": [0.1, 0.2, 0.30000000000000004, 1e-7, 1E+3, \
     -0, -0.0, 0, 123456789012345678901234567890, -9223372036854775808, 18446744073709551615, \
     18446744073709551616, 2.2250738585072011e-308, 4.9e-324, 1e-999, 1.7976931348623157e308]}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": 1e999}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": -1e999}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": 01}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": 1.}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": .5}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": +1}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": -}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": 1e}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": 1e+}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": NaN}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": tru}",
    "{\"nodes\": [], \"output\": \"y\\u00e9\\n\\t\\\"\\\\\\/\\b\\f\\r\\ud83d\\ude00\", \"target\": 1}",
    "{\"nodes\": [], \"output\": \"\\ud83d\", \"target\": 1}",
    "{\"nodes\": [], \"output\": \"\\ude00\", \"target\": 1}",
    "{\"nodes\": [], \"output\": \"\\ud83dx\", \"target\": 1}",
    "{\"nodes\": [], \"output\": \"\\x\", \"target\": 1}",
    "{\"nodes\": [], \"output\": \"\\u12\", \"target\": 1}",
    "{\"nodes\": [], \"output\": \"a\tb\", \"target\": 1}",
    "{\"nodes\": [], \"output\": \"ünïcödé ✓\", \"target\": 1}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": 1",
    "{\"nodes\": [], \"output\": \"y\", \"target\"",
    "{\"nodes\": [], \"output\": \"y\", \"target\" 1}",
    "{\"nodes\": [], \"output\": \"y\" \"target\": 1}",
    "{nodes: []}",
    "{\"nodes\": [], \"output\": \"y\", \"target\": 1}\n\n",
    "\u{feff}{\"nodes\": [], \"output\": \"y\", \"target\": 1}",
    "{\n  \"nodes\": [\n    {\"id\": \"x\", \"op\": \"input\", \"value\": 1},\n  ]\n}\n",
    "{\"nodes\": [], \"output\": \"y\", \"target\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
];

#[test]
fn graph_files_read_as_serde_json_reads_them() {
    for t in graph_texts() {
        same_graph(&t);
    }
    for t in EDGE_GRAPHS {
        same_graph(t);
    }
    // nesting deeper than serde_json's limit (128)
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    same_graph(&format!(
        "{{\"nodes\": [], \"output\": \"y\", \"target\": {deep}}}"
    ));
}

#[test]
fn commands_read_as_serde_json_reads_them() {
    let mut texts: Vec<String> = graph_texts();
    for t in [
        r#"{"ns":"pc-playground","v":1,"type":"play"}"#,
        r#"{"ns":"pc-playground","v":1,"type":"play","n":"x"}"#,
        r#"{"ns":"pc-playground","v":1,"id":"w1","type":"step","n":5}"#,
        r#"{"ns":"pc-playground","v":1,"type":"step"}"#,
        r#"{"ns":"pc-playground","v":1,"type":"step","n":-3}"#,
        r#"{"ns":"pc-playground","v":1,"type":"step","n":2.0}"#,
        r#"{"ns":"pc-playground","v":1,"type":"step","n":"many"}"#,
        r#"{"ns":"pc-playground","v":1,"type":"step","n":4294967296}"#,
        r#"{"ns":"pc-playground","v":1,"type":"goto","tick":40}"#,
        r#"{"ns":"pc-playground","v":1,"type":"goto"}"#,
        r#"{"ns":"pc-playground","v":1,"type":"learn"}"#,
        r#"{"ns":"pc-playground","v":1,"type":"learn","rate":0.05}"#,
        r#"{"ns":"pc-playground","v":1,"type":"learn","rate":null}"#,
        r#"{"ns":"pc-playground","v":1,"type":"learn","rate":"slow"}"#,
        r#"{"ns":"pc-playground","v":1,"type":"clamp","output":false}"#,
        r#"{"ns":"pc-playground","v":1,"type":"clamp","output":true}"#,
        r#"{"ns":"pc-playground","v":1,"type":"clamp"}"#,
        r#"{"ns":"pc-playground","v":1,"type":"clamp","output":"no"}"#,
        r#"{"ns":"pc-playground","v":1,"type":"clamp","output":0}"#,
        r#"{"ns":"pc-playground","v":1,"type":"clamp","input":"x","held":false}"#,
        r#"{"ns":"pc-playground","v":1,"type":"clamp","input":3,"held":false}"#,
        r#"{"ns":"pc-playground","v":1,"type":"clamp","input":"x","held":null}"#,
        r#"{"ns":"pc-playground","v":1,"type":"clamp","input":"x","extra":1}"#,
        r#"{"ns":"pc-playground","v":1,"type":"highlight","nodes":["y2","t"]}"#,
        r#"{"ns":"pc-playground","v":1,"type":"highlight","nodes":[]}"#,
        r#"{"ns":"pc-playground","v":1,"type":"highlight"}"#,
        r#"{"ns":"pc-playground","v":1,"type":"highlight","nodes":"y2"}"#,
        r#"{"ns":"pc-playground","v":1,"type":"highlight","nodes":[3]}"#,
        r#"{"ns":"pc-playground","v":1,"type":"highlight","nodes":null}"#,
        r#"{"ns":"pc-playground","v":1,"type":"jump"}"#,
        r#"{"ns":"pc-playground","v":1,"type":3}"#,
        r#"{"ns":"pc-playground","v":1,"type":"play","type":"pause"}"#,
        r#"{"ns":"pc-playground","v":1}"#,
        r#"{"ns":"pc-playground","v":"1","type":"play"}"#,
        r#"{"ns":"pc-playground","type":"play"}"#,
        r#"{"ns":"pc-playground","v":1,"id":null,"type":"ping"}"#,
        r#"{"ns":"pc-playground","v":1,"id":7,"type":"ping"}"#,
        r#"{"ns":"pc-playground","v":1,"type":"set","variant":"strict","rate":0.2,"inputs":{"x":1.5,"W":[1,2]},"extra":true}"#,
        r#"{"ns":"pc-playground","v":1,"type":"set","rate":"fast"}"#,
        r#"{"ns":"pc-playground","v":1,"type":"set","rate":null,"inputs":null,"target":[0.1,-0]}"#,
        r#"{"ns":"pc-playground","v":1,"type":"set","inputs":{"x":[1,"a"]}}"#,
        r#"{"ns":"pc-playground","v":1,"type":"set","inputs":{"x":{"y":1}}}"#,
        r#"{"ns":"pc-playground","v":1,"type":"set","inputs":{"x":1,"x":2}}"#,
        r#"{"ns":"pc-playground","v":1,"type":"set","inputs":[1]}"#,
        r#"{"ns":"pc-playground","v":1,"type":"set","target":1e999}"#,
        r#"{"ns":"pc-playground","v":1,"type":"set","preset":"chain","speed":60,"variant":"zil"}"#,
        r#"{"ns":"pc-playground","v":1,"type":"set","scale":"layer"}"#,
        r#"{"ns":"pc-playground","v":1,"type":"set","scale":2}"#,
        r#""hello""#,
        "null",
        "[1]",
        "{",
    ] {
        texts.push(t.to_string());
    }
    for t in &texts {
        same_command(t);
    }
}

#[test]
fn random_mutations_read_alike() {
    // SplitMix64, fixed seed: delete, duplicate or replace one to three bytes of a preset
    let mut rng = pc_playground::engine::datasets::Rng::new(0x5EED);
    let mut next = move || rng.next_u64();
    let bases = graph_texts();
    let alphabet = b"{}[],:\"\\-+.0123456789eEtrufalsn \n\tx";
    for _ in 0..3000 {
        let base = bases[(next() % bases.len() as u64) as usize].as_bytes();
        let mut b = base.to_vec();
        for _ in 0..1 + next() % 3 {
            if b.is_empty() {
                break;
            }
            let i = (next() % b.len() as u64) as usize;
            match next() % 3 {
                0 => {
                    b.remove(i);
                }
                1 => b.insert(i, b[i]),
                _ => b[i] = alphabet[(next() % alphabet.len() as u64) as usize],
            }
        }
        let t = String::from_utf8_lossy(&b).into_owned();
        same_graph(&t);
        same_command(&t);
    }
}
