//! The desktop shell's Tauri commands and the web UI's table of them (`TAURI_COMMANDS` in
//! `ui/api.js`) name the same commands: a command the UI calls that the shell does not
//! register fails only in the desktop app, at the click, which no browser test sees.

use std::collections::BTreeSet;
use std::path::PathBuf;

fn read(relative: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The names inside `tauri::generate_handler![…]`.
fn registered(commands_rs: &str) -> BTreeSet<String> {
    let start = commands_rs
        .find("generate_handler![")
        .expect("generate_handler! in src-tauri/src/commands/mod.rs");
    let list = &commands_rs[start + "generate_handler![".len()..];
    let list = &list[..list.find(']').expect("closing ]")];
    list.split(',')
        .map(|name| {
            name.trim()
                .rsplit("::")
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// The string values of `export const TAURI_COMMANDS = { key: 'command', … };`.
fn called(api_js: &str) -> BTreeSet<String> {
    let start = api_js
        .find("export const TAURI_COMMANDS = {")
        .expect("TAURI_COMMANDS in ui/api.js");
    let table = &api_js[start..];
    let table = &table[..table.find("};").expect("end of TAURI_COMMANDS")];
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let value = line.split_once(':')?.1.trim();
            let value = value.strip_prefix('\'')?;
            Some(value[..value.find('\'')?].to_owned())
        })
        .collect()
}

#[test]
fn the_ui_calls_exactly_the_commands_the_desktop_shell_registers() {
    let commands_rs = read("src-tauri/src/commands/mod.rs");
    let shell = registered(&commands_rs);
    let ui = called(&read("ui/api.js"));
    assert!(
        shell.len() >= 20 && ui.len() >= 20,
        "parsed {shell:?} / {ui:?}"
    );
    let missing_in_shell: Vec<_> = ui.difference(&shell).collect();
    let unused_by_ui: Vec<_> = shell.difference(&ui).collect();
    assert!(
        missing_in_shell.is_empty() && unused_by_ui.is_empty(),
        "the UI calls commands the shell lacks: {missing_in_shell:?}; \
         the shell registers commands the UI never calls: {unused_by_ui:?}"
    );
    for name in &shell {
        assert!(
            commands_rs.contains(&format!("async fn {name}<"))
                || commands_rs.contains(&format!("async fn {name}("))
                || commands_rs.contains(&format!("fn {name}<"))
                || commands_rs.contains(&format!("fn {name}(")),
            "{name} is registered but not defined in commands/mod.rs"
        );
    }
}
