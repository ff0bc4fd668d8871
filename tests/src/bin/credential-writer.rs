//! Test helper: rewrites a credential file atomically in a tight loop, alternating between two
//! versions, until killed. The end-to-end test SIGKILLs it at random moments and checks the
//! file is always one whole version.

use std::path::PathBuf;

fn main() {
    let path: PathBuf = std::env::args_os().nth(1).expect("path argument").into();
    let padding = "x".repeat(64 * 1024);
    let mut generation: u64 = 0;
    loop {
        generation += 1;
        let value = serde_json::json!({
            "accessToken": format!("access-{generation}"),
            "refreshToken": format!("refresh-{generation}"),
            "expiresAt": "2030-01-01T00:00:00.000Z",
            "authMethod": "social",
            "provider": "Google",
            "padding": padding,
        });
        if let Err(err) = kiro_gateway::credentials::write_json_atomically(&path, &value) {
            eprintln!("write failed: {err}");
            std::process::exit(1);
        }
    }
}
