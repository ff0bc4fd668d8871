//! Reading the layers (TOML file, `.env`, environment, CLI) into raw strings that remember
//! where they came from, before validation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::keys::{known_toml_keys, Setting, KEYS};
use super::{CliOverrides, ConfigError};
use crate::aws_ids::edit_distance;

/// Which layer a raw value came from (for relative paths and messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Layer {
    /// `settings.toml`, written by the UI: the lowest layer, never explicit.
    Saved,
    /// `HTTPS_PROXY` & co.: below the TOML file.
    FallbackEnv,
    /// The TOML file; relative paths are resolved against its directory.
    File { dir: PathBuf },
    /// `.env`; relative paths are resolved against its directory.
    DotEnv { dir: PathBuf },
    /// The process environment; relative paths stay relative to the working directory.
    Env,
    /// Command-line flags; relative paths stay relative to the working directory.
    Cli,
}

/// A value before validation.
#[derive(Debug, Clone)]
pub(crate) struct RawValue {
    pub text: String,
    /// The key as spelled in its layer: env name, TOML key or `--flag`.
    pub origin: String,
    pub layer: Layer,
    /// Paths given as `PathBuf` on the command line, kept as-is (may not be UTF-8).
    pub path: Option<PathBuf>,
}

pub(crate) type RawMap = BTreeMap<Setting, RawValue>;

fn put(map: &mut RawMap, key: Setting, text: String, origin: &str, layer: Layer) {
    // An empty value means "not set" in every layer (`.env` templates often carry `KEY=`).
    if text.trim().is_empty() {
        return;
    }
    map.insert(
        key,
        RawValue {
            text: text.trim().to_owned(),
            origin: origin.to_owned(),
            layer,
            path: None,
        },
    );
}

/// The UI's saved settings, below everything else. Keys are TOML names.
pub(crate) fn apply_saved(map: &mut RawMap, values: &[(&'static str, String)]) {
    for (name, value) in values {
        if let Some(spec) = KEYS.iter().find(|spec| spec.toml == *name) {
            let origin = format!("{name} in settings.toml");
            put(map, spec.key, value.clone(), &origin, Layer::Saved);
        }
    }
}

/// Conventional proxy variables, just above the saved settings: environment first, then
/// `.env`.
pub(crate) fn apply_fallback_env(
    map: &mut RawMap,
    env: &dyn Fn(&str) -> Option<String>,
    dotenv: &BTreeMap<String, String>,
) {
    for spec in KEYS {
        for name in spec.fallback_env {
            let found = env(name)
                .filter(|v| !v.trim().is_empty())
                .or_else(|| dotenv.get(*name).cloned().filter(|v| !v.trim().is_empty()));
            if let Some(mut v) = found {
                // curl & co. accept `proxy.corp:3128` without a scheme in these variables.
                if !v.contains("://") {
                    v = format!("http://{}", v.trim());
                }
                put(map, spec.key, v, name, Layer::FallbackEnv);
                break;
            }
        }
    }
}

/// Read and apply the TOML file. Returns the path it was read from, if any.
pub(crate) fn apply_toml_file(
    map: &mut RawMap,
    explicit: Option<&Path>,
    default: Option<&Path>,
) -> Result<Option<PathBuf>, ConfigError> {
    let path = match (explicit, default) {
        (Some(p), _) => {
            let p = super::expand_tilde(p);
            if !p.is_file() {
                return Err(ConfigError {
                    key: "--config".into(),
                    value: p.display().to_string(),
                    allowed: "an existing TOML file (not found or not a file)".into(),
                });
            }
            p
        }
        (None, Some(p)) if p.is_file() => p.to_path_buf(),
        _ => return Ok(None),
    };
    let text = std::fs::read_to_string(&path).map_err(|e| ConfigError {
        key: "config file".into(),
        value: path.display().to_string(),
        allowed: format!("a readable UTF-8 TOML file ({e})"),
    })?;
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    apply_toml_str(map, &text, &path, dir)?;
    Ok(Some(path))
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

pub(crate) fn apply_toml_str(
    map: &mut RawMap,
    text: &str,
    path: &Path,
    dir: PathBuf,
) -> Result<(), ConfigError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map(|s| {
                let (line, col) = line_col(text, s.start);
                format!(" at line {line}, column {col}")
            })
            .unwrap_or_default();
        // The offending line is not echoed: it may hold a secret.
        ConfigError {
            key: "config file".into(),
            value: path.display().to_string(),
            allowed: format!("valid TOML: {}{at}", e.message().trim()),
        }
    })?;

    let known = known_toml_keys();
    for (name, value) in &table {
        let Some(spec) = KEYS.iter().find(|s| s.toml == name) else {
            let hint = suggestion(name, &known)
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            return Err(ConfigError {
                key: name.clone(),
                value: type_name(value).into(),
                allowed: format!(
                    "{hint}unknown key in {}; known keys: {}",
                    path.display(),
                    known.join(", ")
                ),
            });
        };
        let text = match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Float(f) => f.to_string(),
            other => {
                return Err(ConfigError {
                    key: name.clone(),
                    value: type_name(other).into(),
                    allowed: "a string, integer or boolean".into(),
                })
            }
        };
        put(
            map,
            spec.key,
            text,
            spec.toml,
            Layer::File { dir: dir.clone() },
        );
    }
    Ok(())
}

fn type_name(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "<string>",
        toml::Value::Integer(_) => "<integer>",
        toml::Value::Float(_) => "<float>",
        toml::Value::Boolean(_) => "<boolean>",
        toml::Value::Datetime(_) => "<datetime>",
        toml::Value::Array(_) => "<array>",
        toml::Value::Table(_) => "<table>",
    }
}

/// The closest known key within edit distance 2, for typos like `api-key` or `prot`.
fn suggestion<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    let norm = name.to_ascii_lowercase().replace('-', "_");
    known
        .iter()
        .map(|k| (edit_distance(&norm, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

/// Parse `dir/.env` without touching the process environment. A missing file is fine.
pub(crate) fn read_dotenv(dir: Option<&Path>) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut out = BTreeMap::new();
    let Some(dir) = dir else { return Ok(out) };
    let path = dir.join(".env");
    let iter = match dotenvy::from_path_iter(&path) {
        Ok(iter) => iter,
        Err(e) if e.not_found() => return Ok(out),
        Err(e) => return Err(dotenv_error(&path, &e)),
    };
    for item in iter {
        let (k, v) = item.map_err(|e| dotenv_error(&path, &e))?;
        out.insert(k, v);
    }
    Ok(out)
}

fn dotenv_error(path: &Path, e: &dotenvy::Error) -> ConfigError {
    let detail = match e {
        // The line itself is not echoed: it may hold a secret.
        dotenvy::Error::LineParse(_, idx) => format!("a parse error at character {idx} of a line"),
        dotenvy::Error::Io(io) => io.to_string(),
        _ => "an error".to_owned(),
    };
    ConfigError {
        key: ".env".into(),
        value: path.display().to_string(),
        allowed: format!("KEY=VALUE lines (found {detail})"),
    }
}

/// `.env` then the environment: for each name in priority order, the environment beats
/// `.env`; a more specific name (e.g. `KIRO_GATEWAY_API_KEY`) beats an alias
/// (`PROXY_API_KEY`) whichever of the two layers holds it.
pub(crate) fn apply_env(
    map: &mut RawMap,
    env: &dyn Fn(&str) -> Option<String>,
    dotenv: &BTreeMap<String, String>,
    dotenv_dir: Option<&Path>,
) {
    for spec in KEYS {
        for name in spec.env {
            if let Some(v) = env(name).filter(|v| !v.trim().is_empty()) {
                put(map, spec.key, v, name, Layer::Env);
                break;
            }
            if let Some(v) = dotenv.get(*name).filter(|v| !v.trim().is_empty()) {
                let dir = dotenv_dir.map(Path::to_path_buf).unwrap_or_default();
                put(map, spec.key, v.clone(), name, Layer::DotEnv { dir });
                break;
            }
        }
    }
}

pub(crate) fn apply_cli(map: &mut RawMap, cli: &CliOverrides) {
    let mut text = |key: Setting, value: &Option<String>, flag: &str| {
        if let Some(v) = value {
            put(map, key, v.clone(), flag, Layer::Cli);
        }
    };
    text(Setting::Host, &cli.host, "--host");
    text(Setting::Port, &cli.port, "--port");
    text(Setting::ApiKey, &cli.api_key, "--api-key");
    text(Setting::LogLevel, &cli.log_level, "--log-level");
    if cli.no_auth {
        put(map, Setting::NoAuth, "true".into(), "--no-auth", Layer::Cli);
    }
    for (key, value, flag) in [
        (Setting::CredsFile, &cli.creds_file, "--creds-file"),
        (Setting::CliDbFile, &cli.cli_db_file, "--cli-db-file"),
    ] {
        if let Some(p) = value {
            if p.as_os_str().is_empty() {
                continue;
            }
            map.insert(
                key,
                RawValue {
                    text: p.to_string_lossy().into_owned(),
                    origin: flag.into(),
                    layer: Layer::Cli,
                    path: Some(p.clone()),
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_and_suggestion() {
        assert_eq!(edit_distance("prot", "port"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
        let known = known_toml_keys();
        assert_eq!(suggestion("api-key", &known), Some("api_key"));
        assert_eq!(suggestion("hots", &known), Some("host"));
        assert_eq!(suggestion("completely_else", &known), None);
    }

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("a\nbc\nd", 0), (1, 1));
        assert_eq!(line_col("a\nbc\nd", 3), (2, 2));
    }
}
