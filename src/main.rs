#[cfg(target_arch = "wasm32")]
fn main() {
    pc_playground::app::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("pc-playground is the browser app: build it with `./dev serve`; the native runner is `pcplay`.");
}
