//! `/admin/connect`: "Connect a tool" over the admin API (and, through the same functions,
//! the desktop shell's commands). The file work is [`crate::connect`]; this module builds
//! the [`Target`] from the running gateway (its address, the live catalogue, its key).
//!
//! | Route | Answer |
//! |---|---|
//! | `GET /admin/connect?model=ID` | `{model, models, base_url, key, clients}`: each client installed?, connected?, the diff a connect would make |
//! | `POST /admin/connect/{client}` `{model}` | writes: `{client, files[{path, diff}], backup_dir, key}` |
//! | `POST /admin/connect/{client}/undo` | restores: `{client, files[{path, diff}]}` |

use std::time::Duration;

use axum::http::StatusCode;

use super::{AdminCode, AdminError, ConnectOverview, ControlPlane};
use crate::app::AppState;
use crate::connect::{
    self, ClientId, ConnectEnv, ConnectError, ConnectErrorCode, KeyHelper, KeyMode, ModelChoice,
    Target,
};
pub use crate::connect::{Connected, Undone};
use crate::secrets::Secret;
use crate::server::GatewayStatus;

/// How long the key helper may take to answer the check before it counts as unusable.
const HELPER_CHECK: Duration = Duration::from_secs(10);

/// The model a connect offers first: the one the snippets of docs/clients.md use, when the
/// catalogue has it.
const PREFERRED_MODEL: &str = "claude-sonnet-4.5";

impl From<ConnectError> for AdminError {
    fn from(e: ConnectError) -> Self {
        AdminError::new(
            StatusCode::from_u16(e.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            AdminCode::Connect(e.code),
            e.message,
            e.hint,
        )
    }
}

fn env(plane: &ControlPlane) -> Result<ConnectEnv, AdminError> {
    plane.handle()?.connect_env().cloned().ok_or_else(|| {
        ConnectError::new(
            ConnectErrorCode::NoHome,
            "Connecting tools is not available here (no home folder).",
            "Use the settings in docs/clients.md (\"Connect your tool\").",
        )
        .into()
    })
}

fn client(slug: &str) -> Result<ClientId, AdminError> {
    ClientId::from_slug(slug).ok_or_else(|| {
        let known: Vec<&str> = ClientId::ALL.iter().map(|c| c.slug()).collect();
        ConnectError::new(
            ConnectErrorCode::UnknownClient,
            format!("There is no client `{slug}`."),
            format!("Use one of: {}.", known.join(", ")),
        )
        .into()
    })
}

/// The base URL a tool on this machine uses.
fn base_url(plane: &ControlPlane) -> String {
    let state = &plane.state;
    let (host, port) = match plane.handle_if_any().map(|a| a.controller().status()) {
        Some(GatewayStatus::Running { addr }) => (addr.ip(), addr.port()),
        _ => (state.config.host, state.config.port),
    };
    crate::status_view::local_base_url(host, port)
}

async fn models(state: &AppState) -> Vec<ModelChoice> {
    let catalog = state.models.get().await;
    catalog
        .models
        .iter()
        .map(|m| {
            let capabilities = catalog.capabilities(&m.id);
            ModelChoice {
                id: crate::kiro::models::names::client_model_id(&m.id),
                anthropic_id: catalog.anthropic_id(m),
                name: m.name.clone(),
                context_window: capabilities.context_window,
                max_output_tokens: capabilities.max_output_tokens,
            }
        })
        .collect()
}

fn pick(models: &[ModelChoice], wanted: Option<&str>) -> Result<ModelChoice, ConnectError> {
    let Some(wanted) = wanted.map(str::trim).filter(|w| !w.is_empty()) else {
        return models
            .iter()
            .find(|m| m.id == PREFERRED_MODEL)
            .or_else(|| models.iter().find(|m| m.id.starts_with("claude")))
            .or_else(|| models.first())
            .cloned()
            .ok_or_else(|| {
                ConnectError::new(
                    ConnectErrorCode::UnknownModel,
                    "The model catalogue is empty.",
                    "Check the gateway's Kiro sign-in, then try again.",
                )
            });
    };
    if let Some(m) = models
        .iter()
        .find(|m| m.id == wanted || m.anthropic_id == wanted)
    {
        return Ok(m.clone());
    }
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    let close = crate::kiro::models::names::close_matches(wanted, &ids);
    Err(ConnectError::new(
        ConnectErrorCode::UnknownModel,
        format!("`{wanted}` is not in your Kiro model catalogue."),
        if close.is_empty() {
            "Pick a model from GET /admin/models.".to_owned()
        } else {
            format!("Did you mean {}?", close.join(", "))
        },
    ))
}

/// Environment variables that hand the gateway its key; a client's shell need not have them.
const KEY_VARIABLES: [&str; 2] = ["KIRO_GATEWAY_API_KEY", "PROXY_API_KEY"];

/// Whether `helper` prints `key` when run as a client runs it: from the home folder,
/// without the variables that gave this process its key. A helper that cannot find the
/// key (it was given with `--api-key` or `KIRO_GATEWAY_API_KEY`) means the key goes into
/// the file instead.
async fn helper_prints(helper: &KeyHelper, key: &Secret<String>, home: &std::path::Path) -> bool {
    let mut command = tokio::process::Command::new(&helper.program);
    for name in KEY_VARIABLES {
        command.env_remove(name);
    }
    let run = command
        .args(&helper.args)
        .current_dir(home)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(HELPER_CHECK, run).await {
        Ok(Ok(out)) => {
            out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == key.expose()
        }
        _ => false,
    }
}

async fn key_mode(state: &AppState, env: &ConnectEnv) -> KeyMode {
    let Some(key) = state.api_key.get() else {
        return KeyMode::NoAuth;
    };
    match &env.key_helper {
        Some(helper) if helper_prints(helper, &key, &env.home).await => {
            KeyMode::Helper(helper.clone())
        }
        _ => KeyMode::Inline(key),
    }
}

async fn target(
    plane: &ControlPlane,
    env: &ConnectEnv,
    wanted: Option<&str>,
) -> Result<Target, AdminError> {
    let state = &plane.state;
    let models = models(state).await;
    let model = pick(&models, wanted)?;
    Ok(Target {
        base_url: base_url(plane),
        model,
        models,
        key: key_mode(state, env).await,
        raw_key: state.api_key.get(),
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ConnectError> + Send + 'static,
) -> Result<T, AdminError> {
    tokio::task::spawn_blocking(f)
        .await?
        .map_err(AdminError::from)
}

/// Every client with what a connect with `model` would change.
pub async fn overview(
    plane: &ControlPlane,
    model: Option<&str>,
) -> Result<ConnectOverview, AdminError> {
    let env = env(plane)?;
    let target = target(plane, &env, model).await?;
    let (clients, target) =
        blocking(move || Ok((connect::overview(&env, &target), target))).await?;
    Ok(ConnectOverview {
        key: target.key.delivery(),
        model: target.model,
        models: target.models,
        base_url: target.base_url,
        clients,
    })
}

/// Point `client`'s files at the gateway with `model` (default: the preferred one).
pub async fn connect(
    plane: &ControlPlane,
    client_slug: &str,
    model: Option<&str>,
) -> Result<Connected, AdminError> {
    let client = client(client_slug)?;
    let env = env(plane)?;
    let target = target(plane, &env, model).await?;
    blocking(move || connect::connect(client, &env, &target)).await
}

/// Restore `client`'s files as they were before the first connect.
pub async fn undo(plane: &ControlPlane, client_slug: &str) -> Result<Undone, AdminError> {
    let client = client(client_slug)?;
    let env = env(plane)?;
    let key = plane.state.api_key.get().map(|k| k.expose().clone());
    blocking(move || connect::undo(client, &env, key.as_deref())).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(id: &str) -> ModelChoice {
        ModelChoice {
            id: id.into(),
            anthropic_id: id.replace('.', "-"),
            name: id.into(),
            context_window: 200_000,
            max_output_tokens: 64_000,
        }
    }

    #[test]
    fn the_model_is_the_asked_one_else_the_preferred_one() {
        let models = vec![
            choice("auto-kiro"),
            choice("claude-opus-4.8"),
            choice(PREFERRED_MODEL),
        ];
        assert_eq!(pick(&models, None).unwrap().id, PREFERRED_MODEL);
        assert_eq!(
            pick(&models, Some("claude-opus-4-8")).unwrap().id,
            "claude-opus-4.8"
        );
        let err = pick(&models, Some("claude-opus-4.9")).unwrap_err();
        assert_eq!(err.code, ConnectErrorCode::UnknownModel);
        assert!(err.hint.contains("claude-opus-4.8"), "{}", err.hint);
        assert_eq!(pick(&models[..2], None).unwrap().id, "claude-opus-4.8");
    }

    #[test]
    fn connect_errors_keep_their_code_and_status() {
        let err: AdminError = ConnectError::unreadable(std::path::Path::new("x"), "bad").into();
        assert_eq!(err.code.as_str(), "unreadable_config");
        assert_eq!(err.status, StatusCode::CONFLICT);
    }
}
