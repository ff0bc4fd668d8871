//! A partial edit from the UI (`PUT /admin/settings`): the fields present replace the
//! current ones, with errors that name the field.

use super::{Settings, SettingsError, OPTIONAL_FIELDS};

impl Settings {
    /// `self` with the fields present in `patch` (a JSON object) replaced. Unknown fields
    /// and values of the wrong type are errors naming the field; the result is validated.
    pub fn patched(&self, patch: &serde_json::Value) -> Result<Settings, SettingsError> {
        let serde_json::Value::Object(patch) = patch else {
            return Err(SettingsError::new(
                "body",
                "expected a JSON object of settings",
                "Send e.g. {\"port\": 8001}.",
            ));
        };
        let mut merged = serde_json::to_value(self).map_err(|e| {
            SettingsError::new("body", e.to_string(), "This is a bug; please report it.")
        })?;
        let known = merged.as_object().cloned().unwrap_or_default();
        for (key, value) in patch {
            if key == "version" {
                continue;
            }
            if key == "kiro_login" {
                return Err(SettingsError::new(
                    key,
                    "the Kiro login is switched, not edited",
                    "Use POST /admin/logins/switch with the login's id (the Overview's Kiro logins list).",
                ));
            }
            let known_key = known.contains_key(key) || OPTIONAL_FIELDS.contains(&key.as_str());
            if !known_key {
                return Err(SettingsError::new(
                    key,
                    format!("unknown setting `{key}`"),
                    format!("Known settings: {}.", Settings::FIELDS.join(", ")),
                ));
            }
            // Empty strings clear optional paths and URLs.
            let value = match value {
                serde_json::Value::String(s)
                    if s.trim().is_empty() && OPTIONAL_FIELDS.contains(&key.as_str()) =>
                {
                    serde_json::Value::Null
                }
                serde_json::Value::String(s)
                    if matches!(key.as_str(), "daily_credit_cap" | "monthly_credit_cap") =>
                {
                    s.trim()
                        .parse::<f64>()
                        .ok()
                        .and_then(|v| {
                            serde_json::Number::from_f64(v).map(serde_json::Value::Number)
                        })
                        .unwrap_or_else(|| value.clone())
                }
                serde_json::Value::String(s) if key == "port" => s
                    .trim()
                    .parse::<u64>()
                    .map(serde_json::Value::from)
                    .unwrap_or_else(|_| value.clone()),
                other => other.clone(),
            };
            let mut single = serde_json::to_value(Settings::default()).unwrap_or_default();
            single[key.as_str()] = value.clone();
            if let Err(e) = serde_json::from_value::<Settings>(single) {
                return Err(SettingsError::new(
                    key,
                    field_type_message(key, &e.to_string()),
                    field_hint(key),
                ));
            }
            merged[key.as_str()] = value;
        }
        let settings: Settings = serde_json::from_value(merged)
            .map_err(|e| SettingsError::new("body", e.to_string(), "Check the values you sent."))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Names of every setting, in file order.
    pub const FIELDS: &'static [&'static str] = &[
        "port",
        "host",
        "allow_lan",
        "log_level",
        "proxy_url",
        "creds_file",
        "cli_db_file",
        "launch_at_login",
        "close_to_tray",
        "daily_credit_cap",
        "monthly_credit_cap",
        "pause_at_cap",
        "desktop_notifications",
        "check_updates",
        "update_feed",
    ];
}

fn field_type_message(key: &str, serde_message: &str) -> String {
    match key {
        "port" => "the port must be a number between 1 and 65535".into(),
        "host" => "the bind address must be an IP address such as 127.0.0.1 or 0.0.0.0".into(),
        "daily_credit_cap" | "monthly_credit_cap" => {
            "a credit cap must be a number of credits above 0".into()
        }
        _ => format!("invalid value: {serde_message}"),
    }
}

fn field_hint(key: &str) -> String {
    match key {
        "port" => "Choose a port between 1024 and 65535, e.g. 8000.".into(),
        "host" => {
            "Use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface, with LAN access on)."
                .into()
        }
        "allow_lan"
        | "launch_at_login"
        | "close_to_tray"
        | "pause_at_cap"
        | "check_updates"
        | "desktop_notifications" => "Use true or false.".into(),
        "daily_credit_cap" | "monthly_credit_cap" => {
            "For example 25 or 12.5; leave empty for no cap.".into()
        }
        _ => "Check the value.".into(),
    }
}
