//! Load tool: how much latency does the gateway add, and how does it hold up under concurrent
//! streams? Runs the fake upstream in-process and the real `kiro-gateway` binary, then sends
//! the same streaming request (a) straight to the fake in Kiro's protocol and (b) through the
//! gateway in OpenAI's, and prints percentiles. It prints numbers; it asserts nothing.
//!
//! `cargo run --release -p kiro-gateway-tests --bin loadgen -- [requests] [concurrency]`

use std::time::{Duration, Instant};

use futures::StreamExt;
use kiro_gateway_tests::fake::fixtures::{write_social_token_file, TempHome};
use kiro_gateway_tests::fake::{chat_body, FakeConfig, FakeKiro};
use kiro_gateway_tests::gateway_process::GatewayProcess;

const PROFILE_ARN: &str = "arn:aws:codewhisperer:us-east-1:123456789012:profile/DEFAULTPROF01";

#[derive(Default)]
struct Samples {
    first_byte: Vec<Duration>,
    total: Vec<Duration>,
    failures: usize,
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let requests: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(500);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);

    let fake = FakeKiro::start(FakeConfig::default()).await;
    let home = TempHome::new();
    let (token_file, _) =
        write_social_token_file(&fake, &home, "default", chrono::Duration::hours(2));
    let env = vec![
        ("KIRO_CREDS_FILE", token_file.display().to_string()),
        ("KIRO_API_URL", fake.runtime_url()),
        ("KIRO_MANAGEMENT_URL", fake.management_url()),
        ("KIRO_REFRESH_URL", fake.refresh_url()),
        ("KIRO_GATEWAY_LOG_LEVEL", "warn".to_owned()),
    ];
    let home_path = home.path().to_path_buf();
    let gateway = tokio::task::spawn_blocking(move || GatewayProcess::start(&home_path, &env, &[]))
        .await
        .expect("gateway");
    let bearer = fake.bearer("default");
    let client = reqwest::Client::new();

    // Warm both paths (connection pools, model catalogue).
    run(requests.min(20), concurrency, |i| {
        direct(&client, &fake, &bearer, i)
    })
    .await;
    run(requests.min(20), concurrency, |i| {
        through_gateway(&client, &gateway, i)
    })
    .await;

    let started = Instant::now();
    let direct_samples = run(requests, concurrency, |i| {
        direct(&client, &fake, &bearer, i)
    })
    .await;
    let direct_elapsed = started.elapsed();
    let started = Instant::now();
    let gateway_samples = run(requests, concurrency, |i| {
        through_gateway(&client, &gateway, i)
    })
    .await;
    let gateway_elapsed = started.elapsed();

    println!("{requests} streaming requests, {concurrency} at a time, fake upstream on loopback");
    report(
        "direct to the fake (Kiro protocol)",
        &direct_samples,
        direct_elapsed,
    );
    report(
        "through kiro-gateway (OpenAI SSE)",
        &gateway_samples,
        gateway_elapsed,
    );
    println!("added by the gateway (p50 / p99):");
    for (name, d, g) in [
        (
            "  first byte",
            &direct_samples.first_byte,
            &gateway_samples.first_byte,
        ),
        (
            "  complete  ",
            &direct_samples.total,
            &gateway_samples.total,
        ),
    ] {
        println!(
            "{name} {:>8.2} ms / {:>8.2} ms",
            ms(percentile(g, 50)) - ms(percentile(d, 50)),
            ms(percentile(g, 99)) - ms(percentile(d, 99)),
        );
    }
}

async fn run<F, Fut>(requests: usize, concurrency: usize, one: F) -> Samples
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Option<(Duration, Duration)>>,
{
    let results: Vec<_> = futures::stream::iter(0..requests)
        .map(one)
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut samples = Samples::default();
    for result in results {
        match result {
            Some((first, total)) => {
                samples.first_byte.push(first);
                samples.total.push(total);
            }
            None => samples.failures += 1,
        }
    }
    samples
}

/// Time to the first body byte and to the end of the body.
async fn timed(request: reqwest::RequestBuilder) -> Option<(Duration, Duration)> {
    let started = Instant::now();
    let response = request.send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    let mut body = response.bytes_stream();
    let mut first = None;
    while let Some(chunk) = body.next().await {
        chunk.ok()?;
        first.get_or_insert_with(|| started.elapsed());
    }
    Some((first?, started.elapsed()))
}

async fn direct(
    client: &reqwest::Client,
    fake: &FakeKiro,
    bearer: &str,
    i: usize,
) -> Option<(Duration, Duration)> {
    let body = chat_body(
        PROFILE_ARN,
        &format!("request {i}: hello there"),
        "claude-sonnet-4.5",
    );
    timed(
        client
            .post(format!("{}/generateAssistantResponse", fake.runtime_url()))
            .bearer_auth(bearer)
            .json(&body),
    )
    .await
}

async fn through_gateway(
    client: &reqwest::Client,
    gateway: &GatewayProcess,
    i: usize,
) -> Option<(Duration, Duration)> {
    let body = serde_json::json!({
        "model": "claude-sonnet-4.5",
        "stream": true,
        "messages": [{"role": "user", "content": format!("request {i}: hello there")}],
    });
    timed(
        client
            .post(format!("{}/v1/chat/completions", gateway.base_url))
            .bearer_auth(&gateway.api_key)
            .json(&body),
    )
    .await
}

fn report(name: &str, samples: &Samples, elapsed: Duration) {
    println!(
        "{name}: {:.0} req/s, {} failed\n  first byte p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms\n  complete   p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms",
        samples.total.len() as f64 / elapsed.as_secs_f64(),
        samples.failures,
        ms(percentile(&samples.first_byte, 50)),
        ms(percentile(&samples.first_byte, 90)),
        ms(percentile(&samples.first_byte, 99)),
        ms(percentile(&samples.total, 50)),
        ms(percentile(&samples.total, 90)),
        ms(percentile(&samples.total, 99)),
    );
}

fn percentile(values: &[Duration], p: usize) -> Duration {
    if values.is_empty() {
        return Duration::ZERO;
    }
    let mut sorted = values.to_vec();
    sorted.sort();
    sorted[((sorted.len() - 1) * p) / 100]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
