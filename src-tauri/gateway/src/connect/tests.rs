//! Connect, preview and undo on a temporary home.

use std::fs;

use super::clients::tests::target;
use super::*;

fn env_in(dir: &tempfile::TempDir) -> ConnectEnv {
    let home = dir.path().join("home");
    fs::create_dir_all(&home).unwrap();
    ConnectEnv::under(&home, home.join(".config"), dir.path().join("backups"))
}

#[test]
fn claude_code_from_nothing_and_back_to_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let env = env_in(&dir);
    let settings = env.home.join(".claude/settings.json");
    let before = overview(&env, &target());
    let claude = &before[0];
    assert_eq!(claude.id, ClientId::ClaudeCode);
    assert!(!claude.installed && !claude.connected && !claude.undo_available);
    assert!(claude.preview[0].diff.starts_with("--- /dev/null\n"));
    assert!(!settings.exists(), "a preview writes nothing");

    let done = connect(ClientId::ClaudeCode, &env, &target()).unwrap();
    assert_eq!(done.key, KeyDelivery::Helper);
    assert!(settings.exists());
    let after = overview(&env, &target());
    assert!(after[0].installed && after[0].connected && after[0].undo_available);
    assert_eq!(
        after[0].preview[0].diff, "",
        "connected: nothing left to change"
    );

    let undone = undo(ClientId::ClaudeCode, &env, None).unwrap();
    assert!(!settings.exists(), "the file did not exist before");
    assert!(
        undone.files[0].diff.ends_with("+++ /dev/null\n")
            || undone.files[0].diff.contains("+++ /dev/null")
    );
    assert!(!overview(&env, &target())[0].undo_available);
}

#[test]
fn codex_undo_restores_the_original_bytes_after_two_connects() {
    let dir = tempfile::tempdir().unwrap();
    let env = env_in(&dir);
    let config = env.codex_home.join("config.toml");
    fs::create_dir_all(&env.codex_home).unwrap();
    let original = "# mine\r\nmodel = \"gpt-5\"\r\n\r\n[tui]\r\nnotifications = true";
    fs::write(&config, original).unwrap();
    connect(ClientId::Codex, &env, &target()).unwrap();
    let mut other = target();
    other.model = other.models[1].clone();
    connect(ClientId::Codex, &env, &other).unwrap();
    assert!(fs::read_to_string(&config)
        .unwrap()
        .contains("claude-haiku-4.5"));
    undo(ClientId::Codex, &env, None).unwrap();
    assert_eq!(fs::read(&config).unwrap(), original.as_bytes());
}

#[test]
fn an_unparsable_file_is_reported_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let env = env_in(&dir);
    let settings = env.home.join(".claude/settings.json");
    fs::create_dir_all(settings.parent().unwrap()).unwrap();
    fs::write(&settings, "{ not json").unwrap();
    let err = connect(ClientId::ClaudeCode, &env, &target()).unwrap_err();
    assert_eq!(err.code, ConnectErrorCode::UnreadableConfig);
    assert_eq!(fs::read_to_string(&settings).unwrap(), "{ not json");
    assert!(!env.backups_dir.join("claude-code").exists());
    let report = &overview(&env, &target())[0];
    assert!(report.installed);
    assert_eq!(
        report.error.as_ref().map(|e| e.code),
        Some(ConnectErrorCode::UnreadableConfig)
    );
}

#[test]
fn llm_writes_three_files_and_undo_takes_all_three_back() {
    let dir = tempfile::tempdir().unwrap();
    let env = env_in(&dir);
    fs::create_dir_all(&env.llm_dir).unwrap();
    fs::write(
        env.llm_dir.join("keys.json"),
        "{\n  \"openai\": \"sk-x\"\n}\n",
    )
    .unwrap();
    let done = connect(ClientId::Llm, &env, &target()).unwrap();
    assert_eq!(done.files.len(), 3);
    assert!(
        done.files.iter().all(|f| !f.diff.contains("kgw_raw_key")),
        "the key is masked in diffs"
    );
    assert_eq!(
        fs::read_to_string(env.llm_dir.join("default_model.txt")).unwrap(),
        "kiro-claude-opus-4.8"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(env.llm_dir.join("extra-openai-models.yaml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644);
    }
    undo(ClientId::Llm, &env, None).unwrap();
    let left: Vec<_> = fs::read_dir(&env.llm_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("keys.json")]);
    assert_eq!(
        fs::read_to_string(env.llm_dir.join("keys.json")).unwrap(),
        "{\n  \"openai\": \"sk-x\"\n}\n"
    );
}

#[test]
fn manual_clients_refuse_to_connect_with_their_instructions() {
    let dir = tempfile::tempdir().unwrap();
    let env = env_in(&dir);
    let err = connect(ClientId::Cursor, &env, &target()).unwrap_err();
    assert_eq!(err.code, ConnectErrorCode::ManualOnly);
    assert!(err.hint.contains("http://127.0.0.1:8000/v1"));
}

#[cfg(unix)]
#[test]
fn a_new_file_with_the_key_in_it_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let env = env_in(&dir);
    connect(ClientId::Aider, &env, &target()).unwrap();
    let mode = fs::metadata(env.home.join(".aider.conf.yml"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn key_deliveries_have_their_wire_names() {
    let all = [KeyDelivery::Helper, KeyDelivery::InFile, KeyDelivery::NoKey];
    assert_eq!(
        serde_json::to_value(all).unwrap(),
        serde_json::json!(["helper", "in_file", "none"])
    );
}
