//! `passthrough --port N --upstream URL`: the smallest axum + reqwest proxy — every request
//! body is posted to `URL` with the same `Authorization`, and the answer streamed back
//! unchanged. It does none of the gateway's work (no parsing, no conversion, no auth, no
//! logging), so `loadgen` uses its CPU per request as the floor any such proxy pays on the
//! machine: HTTP parsing on both sides, the sockets, the runtime.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use clap::Parser;

#[derive(Parser, Debug)]
struct Args {
    #[arg(long)]
    port: u16,
    /// Full URL every request is forwarded to.
    #[arg(long)]
    upstream: String,
}

#[derive(Clone)]
struct Upstream {
    client: reqwest::Client,
    url: reqwest::Url,
}

async fn forward(State(up): State<Upstream>, headers: HeaderMap, body: Bytes) -> Response {
    let mut request = up
        .client
        .post(up.url.clone())
        .header(header::CONTENT_TYPE, "application/json")
        .body(body);
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        request = request.header(header::AUTHORIZATION, auth);
    }
    match request.send().await {
        Ok(answer) => Response::builder()
            .status(answer.status().as_u16())
            .body(Body::from_stream(answer.bytes_stream()))
            .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response()),
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let upstream = Upstream {
        client: reqwest::Client::builder()
            .tcp_nodelay(true)
            .build()
            .map_err(std::io::Error::other)?,
        url: args.upstream.parse().map_err(std::io::Error::other)?,
    };
    let app = Router::new().route("/", post(forward)).with_state(upstream);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    println!("passthrough listening on {}", listener.local_addr()?);
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await
}
