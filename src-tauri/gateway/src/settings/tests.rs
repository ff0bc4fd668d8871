//! Settings: the file, validation, edits and the configuration layer.

use super::*;
use crate::config::keys::Setting;
use crate::config::{CliOverrides, ConfigSources};

#[test]
fn settings_in_force_follow_the_config_and_keep_saved_desktop_switches() {
    let config = Config {
        port: 8123,
        ..Config::default()
    };
    let saved = SavedSettings {
        path: None,
        settings: Some(Settings {
            port: 9000,
            launch_at_login: true,
            close_to_tray: false,
            ..Settings::default()
        }),
        ignored: None,
    };
    let settings = saved.in_force(&config);
    assert_eq!(
        settings.port, 8123,
        "the address in force, not the saved one"
    );
    assert!(settings.launch_at_login);
    assert!(!settings.close_to_tray);
    let none = SavedSettings {
        path: None,
        settings: None,
        ignored: None,
    };
    assert_eq!(none.in_force(&config), Settings::from_config(&config));
}
use serde_json::json;

#[test]
fn round_trip_with_version_and_no_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join(SETTINGS_FILE_NAME);
    let settings = Settings {
        port: 8123,
        proxy_url: Some("socks5://127.0.0.1:1080".into()),
        launch_at_login: true,
        ..Settings::default()
    };
    settings.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("version = 1"), "{text}");
    assert!(!text.contains("api_key"), "{text}");
    assert_eq!(Settings::load(&path).unwrap(), Some(settings));
    assert_eq!(Settings::load(&dir.path().join("none.toml")).unwrap(), None);
}

#[test]
fn save_replaces_atomically_and_leaves_no_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SETTINGS_FILE_NAME);
    for port in [8001, 8002, 8003] {
        Settings {
            port,
            ..Settings::default()
        }
        .save(&path)
        .unwrap();
    }
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, [std::ffi::OsString::from(SETTINGS_FILE_NAME)]);
    assert_eq!(Settings::load(&path).unwrap().unwrap().port, 8003);
}

#[test]
fn version_is_required_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SETTINGS_FILE_NAME);
    std::fs::write(&path, "port = 8001\n").unwrap();
    assert_eq!(Settings::load(&path).unwrap_err().field, "version");
    std::fs::write(&path, "version = 2\nport = 8001\n").unwrap();
    assert_eq!(Settings::load(&path).unwrap_err().field, "version");
    std::fs::write(&path, "version = 1\nprot = 8001\n").unwrap();
    assert_eq!(Settings::load(&path).unwrap_err().field, "file");
    std::fs::write(&path, "version = 1\nport = 8001\n").unwrap();
    assert_eq!(Settings::load(&path).unwrap().unwrap().port, 8001);
}

#[test]
fn validation_names_the_field() {
    let base = Settings::default();
    let err = |patch| base.patched(&patch).unwrap_err().field;
    assert_eq!(err(json!({"port": 0})), "port");
    assert_eq!(err(json!({"port": 70000})), "port");
    assert_eq!(err(json!({"port": "abc"})), "port");
    assert_eq!(err(json!({"host": "not-an-ip"})), "host");
    assert_eq!(err(json!({"host": "0.0.0.0"})), "host");
    assert_eq!(err(json!({"log_level": "loud=="})), "log_level");
    assert_eq!(err(json!({"proxy_url": "ftp://x"})), "proxy_url");
    assert_eq!(
        err(json!({"creds_file": "/definitely/missing.json"})),
        "creds_file"
    );
    assert_eq!(err(json!({"colour": "blue"})), "colour");
    let ok = base
        .patched(&json!({"host": "0.0.0.0", "allow_lan": true, "port": "8005", "proxy_url": ""}))
        .unwrap();
    assert_eq!(ok.port, 8005);
    assert!(ok.allow_lan);
    assert_eq!(ok.proxy_url, None);
}

#[test]
fn credit_caps_are_numbers_above_zero_and_clear_when_empty() {
    let base = Settings::default();
    let set = base
        .patched(
            &json!({"daily_credit_cap": "12.5", "monthly_credit_cap": 300, "pause_at_cap": true}),
        )
        .unwrap();
    assert_eq!(set.daily_credit_cap, Some(12.5));
    assert_eq!(set.monthly_credit_cap, Some(300.0));
    assert!(set.pause_at_cap);
    let cleared = set
        .patched(&json!({"daily_credit_cap": "", "monthly_credit_cap": null}))
        .unwrap();
    assert_eq!(cleared.daily_credit_cap, None);
    assert_eq!(cleared.monthly_credit_cap, None);
    for bad in [json!(0), json!(-3), json!("lots"), json!("0")] {
        let err = base.patched(&json!({"daily_credit_cap": bad})).unwrap_err();
        assert_eq!(err.field, "daily_credit_cap", "{bad}");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SETTINGS_FILE_NAME);
    set.save(&path).unwrap();
    assert_eq!(Settings::load(&path).unwrap(), Some(set));
}

/// `Config::load` with `saved` as its settings layer, `cli` flags and `env` variables
/// (no `.env`, no `config.toml`).
fn load_with(saved: &Settings, cli: CliOverrides, env: &[(&str, &str)]) -> Config {
    let env: std::collections::HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let lookup = move |k: &str| env.get(k).cloned();
    Config::load(&ConfigSources {
        cli: &cli,
        env: &lookup,
        dotenv_dir: None,
        default_config_file: None,
        saved: saved.layer(),
    })
    .expect("valid configuration")
}

#[test]
fn saved_caps_fill_the_config_unless_given_at_start() {
    let saved = Settings {
        daily_credit_cap: Some(5.0),
        pause_at_cap: true,
        ..Settings::default()
    };
    let config = load_with(&saved, CliOverrides::default(), &[]);
    assert_eq!(config.credit_caps.daily, Some(5.0));
    assert!(config.credit_caps.pause);
    assert!(!config.is_explicit(Setting::DailyCreditCap));
    let from_env = load_with(
        &saved,
        CliOverrides::default(),
        &[("KIRO_GATEWAY_DAILY_CREDIT_CAP", "9")],
    );
    assert_eq!(from_env.credit_caps.daily, Some(9.0));
    assert_eq!(
        SavedSettings::of(saved.clone()).shadowed_by(&from_env),
        ["daily_credit_cap"]
    );
    assert_eq!(Settings::from_config(&from_env).daily_credit_cap, Some(9.0));
}

#[test]
fn defaults_yield_to_explicit_config() {
    let settings = Settings {
        port: 9100,
        log_level: "debug".into(),
        ..Settings::default()
    };
    let config = load_with(&settings, CliOverrides::default(), &[]);
    assert_eq!(config.port, 9100);
    assert_eq!(config.log_level, "debug");
    let explicit = load_with(
        &settings,
        CliOverrides {
            port: Some("7000".into()),
            ..CliOverrides::default()
        },
        &[],
    );
    assert_eq!(explicit.port, 7000);
    assert_eq!(
        explicit.log_level, "debug",
        "what was not given still comes from the file"
    );
    assert_eq!(SavedSettings::of(settings).shadowed_by(&explicit), ["port"]);
}

#[test]
fn an_explicit_value_equal_to_the_default_still_wins() {
    let settings = Settings {
        port: 9100,
        log_level: "debug".into(),
        ..Settings::default()
    };
    // `--port 8000 --log-level info`: both are the built-in defaults.
    let config = load_with(
        &settings,
        CliOverrides {
            port: Some("8000".into()),
            log_level: Some("info".into()),
            ..CliOverrides::default()
        },
        &[],
    );
    assert_eq!(config.port, 8000);
    assert_eq!(config.log_level, "info");
    assert_eq!(
        SavedSettings::of(settings).shadowed_by(&config),
        ["port", "log_level"]
    );
}

#[test]
fn a_saved_lan_address_never_applies_to_a_keyless_start() {
    let lan = Settings {
        host: [0, 0, 0, 0].into(),
        allow_lan: true,
        ..Settings::default()
    };
    let keyless = load_with(
        &lan,
        CliOverrides {
            no_auth: true,
            ..CliOverrides::default()
        },
        &[],
    );
    assert!(keyless.host.is_loopback());
    let keyed = load_with(&lan, CliOverrides::default(), &[]);
    assert_eq!(keyed.host, lan.host);
}

#[test]
fn a_saved_value_is_validated_like_any_other_layer_and_named_as_such() {
    let mut layer = Settings::default().layer();
    layer.values.retain(|(key, _)| *key != "port");
    layer.values.push(("port", "eighty".into()));
    let cli = CliOverrides::default();
    let err = Config::load(&ConfigSources {
        cli: &cli,
        env: &|_: &str| None,
        dotenv_dir: None,
        default_config_file: None,
        saved: layer,
    })
    .unwrap_err();
    assert_eq!(err.key, "port in settings.toml");
    assert_eq!(err.value, "eighty");
}

#[test]
fn the_saved_login_comes_only_from_the_file() {
    let saved = Settings {
        kiro_login: Some("kiro-cli:default".into()),
        ..Settings::default()
    };
    let config = load_with(&saved, CliOverrides::default(), &[]);
    assert_eq!(config.kiro_login.as_deref(), Some("kiro-cli:default"));
}
