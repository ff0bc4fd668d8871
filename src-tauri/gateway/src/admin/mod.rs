//! The control plane: settings, the API key, logs, restarts, "connect a tool", Kiro logins,
//! debug dumps and the status, as operations on a running gateway. The `/admin` HTTP routes
//! (`api::admin`) and the desktop shell's commands are two adapters over these same functions.

pub mod connect;
pub mod dumps;
mod endpoints;
mod error;
mod handle;
pub mod logins;
pub mod ops;
mod plane;
mod status;
mod views;

pub use endpoints::endpoints;
pub use error::{AdminCode, AdminError};
pub use handle::AdminHandle;
pub use plane::{AdminSlot, ControlPlane};
pub use status::status_view;
pub use views::{
    ConnectOverview, CredentialsView, DumpFile, DumpList, DumpModeView, DumpView, DumpsView,
    Endpoints, Fix, KeyFileView, KeyView, LogsView, ModelRow, ModelsView, NewKey, Replayed,
    RequestsView, RestartState, RestartView, SettingsUpdate, SettingsView, StatusView,
};
