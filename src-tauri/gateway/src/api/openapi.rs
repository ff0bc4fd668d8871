//! `GET /openapi.json`: the gateway's HTTP surface as an OpenAPI 3.1 document, and `GET /docs`,
//! a page that renders it without any network access (served from the embedded UI).
//!
//! The routes are one table ([`ROUTES`]); schemas of the gateway's own answers come from
//! their Rust types (`utoipa::ToSchema`). The OpenAI- and Anthropic-shaped bodies are
//! described by their required fields and point at the tables of docs/ that list what is accepted;
//! their full schemas are OpenAI's and Anthropic's own.

use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder};
use utoipa::openapi::security::{SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, HttpMethod, InfoBuilder, OpenApi, OpenApiBuilder, Paths,
    Ref, RefOr, Required, ResponseBuilder, ResponsesBuilder, Tag,
};
use utoipa::PartialSchema;

use super::usage::UsageAnswer;
use crate::credit_ledger::CreditSummary;
use crate::logs::RequestRecord;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No key (the answer reveals nothing).
    Open,
    /// The API key, as `Authorization: Bearer` or `x-api-key`.
    Key,
}

/// What a route takes and answers, for the document.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    None,
    /// An OpenAI- or Anthropic-shaped JSON object with these required fields.
    Dialect {
        required: &'static [&'static str],
        reference: &'static str,
    },
    /// One of the gateway's own types (its schema is generated).
    Own(&'static str),
    /// Free-form JSON.
    Json,
    Text(&'static str),
    Html,
    /// `text/event-stream`.
    Events,
}

/// The methods the gateway answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Get => "get",
            Head => "head",
            Post => "post",
            Put => "put",
            Delete => "delete",
        }
    }

    fn http(self) -> HttpMethod {
        match self {
            Get => HttpMethod::Get,
            Head => HttpMethod::Head,
            Post => HttpMethod::Post,
            Put => HttpMethod::Put,
            Delete => HttpMethod::Delete,
        }
    }
}

/// One route of the router, as documented.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: Method,
    /// With `{param}` segments, as the router spells them.
    pub path: &'static str,
    pub tag: &'static str,
    pub access: Access,
    pub summary: &'static str,
    pub request: Body,
    pub response: Body,
}

const OPENAI: &str = "docs/openai.md";
const ANTHROPIC: &str = "docs/anthropic.md";
const RESPONSES: &str = "docs/responses.md";

const fn route(
    method: Method,
    path: &'static str,
    tag: &'static str,
    access: Access,
    summary: &'static str,
    request: Body,
    response: Body,
) -> Route {
    Route {
        method,
        path,
        tag,
        access,
        summary,
        request,
        response,
    }
}

use Access::{Key, Open};
use Method::{Delete, Get, Head, Post, Put};

/// Every route the gateway serves (`HEAD` is also answered wherever `GET` is; only `/`
/// lists it, because clients probe it there).
pub const ROUTES: &[Route] = &[
    route(
        Get,
        "/",
        "gateway",
        Open,
        "Where things are: the UI and the base URLs (JSON, or HTML for a browser)",
        Body::None,
        Body::Json,
    ),
    route(
        Head,
        "/",
        "gateway",
        Open,
        "Liveness probe (Claude Code sends it at start)",
        Body::None,
        Body::None,
    ),
    route(
        Get,
        "/health",
        "gateway",
        Open,
        "`{\"status\":\"ok\"}`; with the key also version, credentials, counters and any hold",
        Body::None,
        Body::Json,
    ),
    route(
        Get,
        "/metrics",
        "gateway",
        Key,
        "Prometheus text format (open on loopback with metrics_open)",
        Body::None,
        Body::Text("text/plain; version=0.0.4"),
    ),
    route(
        Get,
        "/openapi.json",
        "gateway",
        Open,
        "This document",
        Body::None,
        Body::Json,
    ),
    route(
        Get,
        "/docs",
        "gateway",
        Open,
        "This document as a page (works offline)",
        Body::None,
        Body::Html,
    ),
    route(
        Post,
        "/v1/chat/completions",
        "openai",
        Key,
        "OpenAI Chat Completions (streamed with `stream: true`)",
        Body::Dialect {
            required: &["model", "messages"],
            reference: OPENAI,
        },
        Body::Json,
    ),
    route(
        Post,
        "/v1/responses",
        "openai",
        Key,
        "OpenAI Responses (streamed with `stream: true`)",
        Body::Dialect {
            required: &["model", "input"],
            reference: RESPONSES,
        },
        Body::Json,
    ),
    route(
        Get,
        "/v1/responses/{id}",
        "openai",
        Key,
        "A stored response",
        Body::None,
        Body::Json,
    ),
    route(
        Delete,
        "/v1/responses/{id}",
        "openai",
        Key,
        "Delete a stored response",
        Body::None,
        Body::Json,
    ),
    route(
        Get,
        "/v1/responses/{id}/input_items",
        "openai",
        Key,
        "The input items of a stored response",
        Body::None,
        Body::Json,
    ),
    route(
        Get,
        "/v1/models",
        "models",
        Key,
        "The account's models (OpenAI shape; Anthropic shape with `anthropic-version`)",
        Body::None,
        Body::Json,
    ),
    route(
        Get,
        "/v1/models/{id}",
        "models",
        Key,
        "One model",
        Body::None,
        Body::Json,
    ),
    route(
        Post,
        "/v1/messages",
        "anthropic",
        Key,
        "Anthropic Messages (streamed with `stream: true`)",
        Body::Dialect {
            required: &["model", "max_tokens", "messages"],
            reference: ANTHROPIC,
        },
        Body::Json,
    ),
    route(
        Post,
        "/v1/messages/count_tokens",
        "anthropic",
        Key,
        "Anthropic token count (the gateway's estimate)",
        Body::Dialect {
            required: &["model", "messages"],
            reference: ANTHROPIC,
        },
        Body::Json,
    ),
    route(
        Get,
        "/v1/usage",
        "gateway",
        Key,
        "The account's credits and what this gateway spent per day",
        Body::None,
        Body::Own("UsageAnswer"),
    ),
    route(
        Get,
        "/admin/status",
        "admin",
        Key,
        "Gateway, credentials, counters, credits and holds (the UI's status)",
        Body::None,
        Body::Json,
    ),
    route(
        Get,
        "/admin/settings",
        "admin",
        Key,
        "The settings in force and where they are saved",
        Body::None,
        Body::Json,
    ),
    route(
        Put,
        "/admin/settings",
        "admin",
        Key,
        "Change settings (some restart the server on its new address)",
        Body::Json,
        Body::Json,
    ),
    route(
        Get,
        "/admin/api-key",
        "admin",
        Key,
        "The API key (for the UI's copy buttons)",
        Body::None,
        Body::Json,
    ),
    route(
        Post,
        "/admin/api-key/regenerate",
        "admin",
        Key,
        "A new API key; the old one stops working",
        Body::None,
        Body::Json,
    ),
    route(
        Post,
        "/admin/api-key/save-to-file",
        "admin",
        Key,
        "Keep the key in the key file when no keyring works",
        Body::None,
        Body::Json,
    ),
    route(
        Get,
        "/admin/logs",
        "admin",
        Key,
        "Recent log lines (redacted)",
        Body::None,
        Body::Json,
    ),
    route(
        Delete,
        "/admin/logs",
        "admin",
        Key,
        "Clear the recent log lines and request rows",
        Body::None,
        Body::Json,
    ),
    route(
        Get,
        "/admin/logs/stream",
        "admin",
        Key,
        "Log lines and request rows as they happen",
        Body::None,
        Body::Events,
    ),
    route(
        Get,
        "/admin/requests",
        "admin",
        Key,
        "Recent requests, one row each",
        Body::None,
        Body::Own("RequestRecords"),
    ),
    route(
        Get,
        "/admin/models",
        "admin",
        Key,
        "The catalogue with windows, limits and where it came from",
        Body::None,
        Body::Json,
    ),
    route(
        Post,
        "/admin/restart",
        "admin",
        Key,
        "Restart the server",
        Body::None,
        Body::Json,
    ),
    route(
        Get,
        "/admin/connect",
        "admin",
        Key,
        "Connect a tool: each client installed?, connected?, and the diff a connect with `?model=` would make",
        Body::None,
        Body::Json,
    ),
    route(
        Post,
        "/admin/connect/{client}",
        "admin",
        Key,
        "Point the client's own config at the gateway (`{\"model\"}`), backing up the original",
        Body::Json,
        Body::Json,
    ),
    route(
        Post,
        "/admin/connect/{client}/undo",
        "admin",
        Key,
        "Restore the client's config files as they were before the first connect",
        Body::None,
        Body::Json,
    ),
    route(
        Get,
        "/admin/dumps",
        "admin",
        Key,
        "Debug dumps: the mode, the folder's bounds and the stored dumps, newest first",
        Body::None,
        Body::Json,
    ),
    route(
        Put,
        "/admin/dumps/mode",
        "admin",
        Key,
        "Switch debug dumps `off`, to `errors` or to `all` until the gateway stops",
        Body::Json,
        Body::Json,
    ),
    route(
        Get,
        "/admin/dumps/{id}",
        "admin",
        Key,
        "One dump's five redacted files",
        Body::None,
        Body::Json,
    ),
    route(
        Post,
        "/admin/dumps/{id}/replay",
        "admin",
        Key,
        "Send a dumped request again under a new request id and read its answer to the end",
        Body::None,
        Body::Json,
    ),
    route(
        Get,
        "/admin/dumps/{id}/bundle",
        "admin",
        Key,
        "One dump and the drift report as a zip to attach to a bug report",
        Body::None,
        Body::Text("application/zip"),
    ),
    route(
        Get,
        "/admin/drift",
        "admin",
        Key,
        "What Kiro sent that this version does not know, counted, with shape-only samples",
        Body::None,
        Body::Json,
    ),
    route(
        Get,
        "/admin/logins",
        "admin",
        Key,
        "The Kiro logins on this machine (source, sign-in kind, region; plan and credits as last seen in use), the one in use marked",
        Body::None,
        Body::Json,
    ),
    route(
        Post,
        "/admin/logins/switch",
        "admin",
        Key,
        "Use another Kiro login for the requests that start from now on (`{id}`), and remember it; logins are never pooled or rotated",
        Body::Json,
        Body::Json,
    ),
    route(
        Get,
        "/admin/update",
        "admin",
        Key,
        "Whether a newer Kiro Gateway was published on the release feed (the last check's result; no I/O)",
        Body::None,
        Body::Json,
    ),
    route(
        Post,
        "/admin/update/check",
        "admin",
        Key,
        "Ask the release feed now; the manifest counts only if its minisign signature verifies",
        Body::None,
        Body::Json,
    ),
];

fn operation_id(route: &Route) -> String {
    let path: String = route
        .path
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{}{}", route.method.name(), path.trim_end_matches('_'))
}

fn dialect_body(required: &[&str], reference: &str) -> Schema {
    let mut object = ObjectBuilder::new()
        .description(Some(format!(
            "Accepted fields and what Kiro can and cannot do with them: {reference}."
        )))
        .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(true)));
    for field in required {
        object = object
            .property(*field, ObjectBuilder::new())
            .required(*field);
    }
    object.build().into()
}

fn content_of(body: Body) -> Option<(String, RefOr<Schema>)> {
    let json = "application/json".to_owned();
    match body {
        Body::None => None,
        Body::Dialect {
            required,
            reference,
        } => Some((json, dialect_body(required, reference).into())),
        Body::Own(name) => Some((json, Ref::from_schema_name(name).into())),
        Body::Json => Some((json, ObjectBuilder::new().build().into())),
        Body::Text(kind) => Some((
            kind.to_owned(),
            ObjectBuilder::new()
                .schema_type(Type::String)
                .build()
                .into(),
        )),
        Body::Html => Some((
            "text/html".to_owned(),
            ObjectBuilder::new()
                .schema_type(Type::String)
                .build()
                .into(),
        )),
        Body::Events => Some((
            "text/event-stream".to_owned(),
            ObjectBuilder::new()
                .schema_type(Type::String)
                .build()
                .into(),
        )),
    }
}

fn operation(route: &Route) -> utoipa::openapi::path::Operation {
    let mut ok = ResponseBuilder::new().description("Success");
    if let Some((kind, schema)) = content_of(route.response) {
        ok = ok.content(kind, ContentBuilder::new().schema(Some(schema)).build());
    }
    let mut responses = ResponsesBuilder::new().response("200", ok.build());
    if route.access == Key {
        responses = responses.response(
            "401",
            ResponseBuilder::new()
                .description("Missing or wrong API key (in the caller's dialect)"),
        );
    }
    if matches!(route.request, Body::Dialect { .. }) {
        responses = responses
            .response(
                "400",
                ResponseBuilder::new()
                    .description("Invalid request, naming the field (in the caller's dialect)"),
            )
            .response(
                "429",
                ResponseBuilder::new().description(
                    "Kiro throttles or the quota is used up; `retry-after` says how long",
                ),
            );
    }
    let mut op = OperationBuilder::new()
        .tag(route.tag)
        .summary(Some(route.summary))
        .operation_id(Some(operation_id(route)))
        .responses(responses.build());
    if let Some((kind, schema)) = content_of(route.request) {
        op = op.request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(kind, ContentBuilder::new().schema(Some(schema)).build())
                .build(),
        ));
    }
    for segment in route.path.split('/') {
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String))),
            );
        }
    }
    if route.access == Key {
        op = op
            .security(SecurityRequirement::new::<_, _, &str>("bearer", []))
            .security(SecurityRequirement::new::<_, _, &str>("x-api-key", []));
    } else {
        op = op.securities(Some(Vec::<SecurityRequirement>::new()));
    }
    op.build()
}

/// The document for this build of the gateway.
pub fn document() -> OpenApi {
    let mut paths = Paths::new();
    for route in ROUTES {
        paths.add_path_operation(route.path, vec![route.method.http()], operation(route));
    }
    let components = ComponentsBuilder::new()
        .schema_from::<UsageAnswer>()
        .schema_from::<CreditSummary>()
        .schema(
            "RequestRecords",
            ArrayBuilder::new().items(RequestRecord::schema()),
        )
        .security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        )
        .security_scheme(
            "x-api-key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-api-key"))),
        )
        .build();
    let mut info = InfoBuilder::new()
        .title("Kiro Gateway")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "OpenAI- and Anthropic-compatible local gateway for your Kiro subscription. Every \
             answer carries `x-request-id`; errors come in the caller's dialect.",
        ))
        .build();
    info.license = None;
    OpenApiBuilder::new()
        .info(info)
        .paths(paths)
        .components(Some(components))
        .tags(Some(
            ["openai", "anthropic", "models", "gateway", "admin"].map(Tag::new),
        ))
        .build()
}

pub async fn openapi_json() -> axum::Json<OpenApi> {
    axum::Json(document())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_one_operation_and_keyed_routes_name_both_key_headers() {
        let doc = serde_json::to_value(document()).unwrap();
        for route in ROUTES {
            let op = &doc["paths"][route.path][route.method.name()];
            assert!(op.is_object(), "{} {}", route.method.name(), route.path);
            let security = op["security"].as_array().unwrap();
            assert_eq!(
                security.len(),
                if route.access == Key { 2 } else { 0 },
                "{op}"
            );
        }
        assert_eq!(
            doc["paths"]["/v1/responses/{id}"]["get"]["parameters"][0]["name"],
            "id"
        );
        assert_eq!(
            doc["components"]["schemas"]["UsageAnswer"]["properties"]["object"]["type"],
            "string"
        );
        assert_eq!(
            doc["paths"]["/v1/messages"]["post"]["requestBody"]["content"]["application/json"]
                ["schema"]["required"],
            serde_json::json!(["model", "max_tokens", "messages"])
        );
    }
}
