//! `pcplay`: the native runner (trace a graph file, benchmark the presets).
fn main() {
    eprintln!("usage: pcplay trace FILE.json | pcplay bench");
    std::process::exit(2);
}
