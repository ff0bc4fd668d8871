//! Label sets of the `/metrics` families. Every value comes from a bounded set: a route is
//! one of the gateway's fixed routes, a model one of the account's catalogue (or
//! [`OTHER_MODEL`]), a status an HTTP status code. Nothing a client typed reaches a label.

use prometheus_client::encoding::EncodeLabelSet;

/// The `model` label of a request whose model is not in the catalogue (or never resolved).
pub const OTHER_MODEL: &str = "other";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub status: u16,
    pub model: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TokenLabels {
    pub model: String,
    /// `input` or `output`.
    pub direction: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ModelLabels {
    pub model: String,
}
