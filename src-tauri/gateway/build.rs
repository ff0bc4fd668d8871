// Rebuild when the embedded web UI changes (`api::ui` includes `../../ui` at compile time).
fn main() {
    println!("cargo:rerun-if-changed=../../ui");
}
