//! `pcplay`: the native runner.
//!
//! * `pcplay trace FILE` prints the trace JSON of a graph file (`graph-format.md`).
//! * `pcplay bench [DIR]` times relaxation ticks on every preset, a 64-128-128-10 MLP and the
//!   graph files in DIR (if given).
//!
//! Errors go to stderr with exit code 2.
use std::process::ExitCode;

use pc_playground::engine::{trace, Graph};

mod bench;

fn usage() -> ExitCode {
    eprintln!("usage: pcplay trace FILE | pcplay bench [GRAPH_DIR | --mlp]");
    ExitCode::from(2)
}

fn load_graph(path: &str) -> Result<Graph, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    if text.trim_start().starts_with('{') {
        Graph::from_json(&text).map_err(|e| format!("{path}: {e}"))
    } else {
        let file = pc_playground::engine::expr::parse(&text).map_err(|e| format!("{path}: {e}"))?;
        Graph::from_file(&file).map_err(|e| format!("{path}: {e}"))
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("trace") => {
            let Some(path) = args.get(1) else {
                return usage();
            };
            let result = load_graph(path)
                .and_then(|g| trace::trace_graph(&g).map_err(|e| format!("{path}: {e}")));
            match result {
                Ok(v) => {
                    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::from(2)
                }
            }
        }
        Some("bench") => bench::run(args.get(1).map(String::as_str)),
        _ => usage(),
    }
}
