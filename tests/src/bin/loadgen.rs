//! The benchmark behind `docs/benchmarks.md`: how much the gateway adds, paired in one run
//! against the fake upstream answering directly. It starts the fake in-process and the real
//! `kiro-gateway` binary, then runs each scenario twice — straight to the fake in Kiro's
//! protocol, and through the gateway in a client dialect — and prints Markdown tables.
//! It prints numbers; it asserts nothing.
//!
//! The gateway's CPU time per request (from `/proc/<pid>/stat`) is reported beside every
//! throughput figure: on a shared machine it is the number that noise cannot blur.
//!
//! `cargo run --release -p kiro-gateway-tests --bin loadgen -- [--soak-secs 600] [--quick]`

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use futures::StreamExt;
use kiro_gateway_tests::fake::fixtures::{write_social_token_file, TempHome};
use kiro_gateway_tests::fake::{chat_body, FakeConfig, FakeKiro, Script};
use kiro_gateway_tests::gateway_process::GatewayProcess;
use serde_json::{json, Value};

const PROFILE_ARN: &str = "arn:aws:codewhisperer:us-east-1:123456789012:profile/DEFAULTPROF01";
const MODEL: &str = "claude-sonnet-4.5";

#[derive(Parser, Debug)]
#[command(
    name = "loadgen",
    about = "Gateway overhead, paired against the fake upstream"
)]
struct Args {
    /// Length of the memory soak (mixed load, RSS sampled every 5 s). 0 skips it.
    #[arg(long, default_value_t = 600)]
    soak_secs: u64,
    /// Fewer requests per scenario (a smoke run; the published numbers use the default).
    #[arg(long)]
    quick: bool,
    /// Concurrent streams in the many-streams scenario.
    #[arg(long, default_value_t = 1000)]
    streams: usize,
    /// Run only these scenarios (comma-separated): latency, throughput, long, streams, soak.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Requests per throughput row (default 8000; 800 with --quick).
    #[arg(long)]
    throughput_requests: Option<usize>,
}

impl Args {
    fn runs(&self, scenario: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == scenario)
    }
}

/// What one request measured: time to the first body byte, and to the end of the body.
type Timing = Option<(Duration, Duration)>;

#[derive(Default)]
struct Samples {
    first_byte: Vec<Duration>,
    total: Vec<Duration>,
    failures: usize,
    elapsed: Duration,
}

impl Samples {
    fn rps(&self) -> f64 {
        self.total.len() as f64 / self.elapsed.as_secs_f64()
    }
}

/// The gateway process, read from `/proc`.
struct Proc {
    pid: u32,
    ticks_per_sec: f64,
}

impl Proc {
    fn new(pid: u32) -> Self {
        // SAFETY: sysconf has no preconditions.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        Proc {
            pid,
            ticks_per_sec: if ticks > 0 { ticks as f64 } else { 100.0 },
        }
    }

    /// User + system CPU time so far.
    fn cpu(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        // Fields after the command name (which may contain spaces) start at field 3.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: u64 = [11, 12]
            .iter()
            .filter_map(|i| fields.get(*i).and_then(|f| f.parse::<u64>().ok()))
            .sum();
        Duration::from_secs_f64(ticks as f64 / self.ticks_per_sec)
    }

    /// Resident set size, MiB.
    fn rss_mib(&self) -> f64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }
}

struct Bench {
    fake: FakeKiro,
    gateway: GatewayProcess,
    proc: Proc,
    passthrough: Passthrough,
    client: reqwest::Client,
    bearer: String,
    counter: AtomicUsize,
}

/// Which way a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// Straight to the fake in Kiro's protocol (the baseline).
    Direct,
    /// `/v1/chat/completions`.
    OpenAi,
    /// `/v1/messages`.
    Anthropic,
    /// The bare axum + reqwest proxy (`passthrough`) in front of the fake: the floor.
    Passthrough,
}

impl Route {
    fn name(self) -> &'static str {
        match self {
            Route::Direct => "fake direct",
            Route::OpenAi => "gateway, OpenAI chat",
            Route::Anthropic => "gateway, Anthropic messages",
            Route::Passthrough => "bare axum + reqwest pass-through (floor)",
        }
    }
}

impl Bench {
    async fn start() -> (Bench, TempHome) {
        let mut config = FakeConfig::default();
        // Hundreds of thousands of requests: the plan's credits must not run out mid-run.
        for account in &mut config.accounts {
            account.credit_limit = 1e12;
        }
        let fake = FakeKiro::start(config).await;
        let home = TempHome::new();
        let (token_file, _) =
            write_social_token_file(&fake, &home, "default", chrono::Duration::hours(4));
        let env = vec![
            ("KIRO_CREDS_FILE", token_file.display().to_string()),
            ("KIRO_API_URL", fake.runtime_url()),
            ("KIRO_MANAGEMENT_URL", fake.management_url()),
            ("KIRO_REFRESH_URL", fake.refresh_url()),
            ("KIRO_GATEWAY_LOG_LEVEL", "warn".to_owned()),
        ];
        let home_path = home.path().to_path_buf();
        let gateway =
            tokio::task::spawn_blocking(move || GatewayProcess::start(&home_path, &env, &[]))
                .await
                .expect("gateway starts");
        let bearer = fake.bearer("default");
        let proc = Proc::new(gateway.pid());
        let passthrough =
            Passthrough::start(&format!("{}/generateAssistantResponse", fake.runtime_url()));
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(2048)
            .build()
            .expect("client");
        (
            Bench {
                fake,
                gateway,
                proc,
                passthrough,
                client,
                bearer,
                counter: AtomicUsize::new(0),
            },
            home,
        )
    }

    /// One request on `route`; `stream` picks SSE (the direct route always streams, as
    /// Kiro does).
    async fn one(&self, route: Route, stream: bool) -> Timing {
        let i = self.counter.fetch_add(1, Ordering::Relaxed);
        let text = format!("request {i}: hello there");
        let request = match route {
            Route::Passthrough => self
                .client
                .post(&self.passthrough.url)
                .bearer_auth(&self.bearer)
                .json(&chat_body(PROFILE_ARN, &text, MODEL)),
            Route::Direct => self
                .client
                .post(format!(
                    "{}/generateAssistantResponse",
                    self.fake.runtime_url()
                ))
                .bearer_auth(&self.bearer)
                .json(&chat_body(PROFILE_ARN, &text, MODEL)),
            Route::OpenAi => self
                .client
                .post(format!("{}/v1/chat/completions", self.gateway.base_url))
                .bearer_auth(&self.gateway.api_key)
                .json(&json!({
                    "model": MODEL, "stream": stream,
                    "messages": [{"role": "user", "content": text}],
                })),
            Route::Anthropic => self
                .client
                .post(format!("{}/v1/messages", self.gateway.base_url))
                .header("x-api-key", &self.gateway.api_key)
                .header("anthropic-version", "2023-06-01")
                .json(&json!({
                    "model": "claude-sonnet-4-5", "max_tokens": 64000, "stream": stream,
                    "messages": [{"role": "user", "content": text}],
                })),
        };
        timed(request).await
    }

    /// `requests` calls of `one`, `concurrency` at a time.
    async fn run<F, Fut>(&self, requests: usize, concurrency: usize, one: F) -> Samples
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Timing>,
    {
        let started = Instant::now();
        let results: Vec<Timing> = futures::stream::iter(0..requests)
            .map(|_| one())
            .buffer_unordered(concurrency)
            .collect()
            .await;
        let mut samples = Samples {
            elapsed: started.elapsed(),
            ..Samples::default()
        };
        for result in results {
            match result {
                Some((first, total)) => {
                    samples.first_byte.push(first);
                    samples.total.push(total);
                }
                None => samples.failures += 1,
            }
        }
        self.fake.clear_requests();
        samples
    }

    /// Like [`Bench::run`], also measuring the gateway's CPU time per request.
    async fn run_cpu<F, Fut>(
        &self,
        requests: usize,
        concurrency: usize,
        one: F,
    ) -> (Samples, Duration)
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Timing>,
    {
        self.run_cpu_of(&self.proc, requests, concurrency, one)
            .await
    }

    /// Like [`Bench::run`], also measuring `proc`'s CPU time per request.
    async fn run_cpu_of<F, Fut>(
        &self,
        proc: &Proc,
        requests: usize,
        concurrency: usize,
        one: F,
    ) -> (Samples, Duration)
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Timing>,
    {
        let before = proc.cpu();
        let samples = self.run(requests, concurrency, one).await;
        let used = proc.cpu().saturating_sub(before);
        let per = used / (samples.total.len().max(1) as u32);
        (samples, per)
    }
}

/// The `passthrough` binary built next to this one, on a free port.
struct Passthrough {
    child: std::process::Child,
    proc: Proc,
    url: String,
}

impl Passthrough {
    fn start(upstream: &str) -> Passthrough {
        let exe = std::env::current_exe().expect("current exe");
        let binary = exe.with_file_name(format!("passthrough{}", std::env::consts::EXE_SUFFIX));
        let port = kiro_gateway_tests::gateway_process::free_port();
        let child = std::process::Command::new(&binary)
            .args(["--port", &port.to_string(), "--upstream", upstream])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "passthrough did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Passthrough {
            proc: Proc::new(child.id()),
            child,
            url: format!("http://127.0.0.1:{port}/"),
        }
    }
}

impl Drop for Passthrough {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Time to the first body byte and to the end of the body; `None` on any failure.
async fn timed(request: reqwest::RequestBuilder) -> Timing {
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

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000_000.0
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let scale = if args.quick { 10 } else { 1 };
    let (bench, _home) = Bench::start().await;
    let bench = Arc::new(bench);
    println!(
        "kiro-gateway {} · {} CPUs · {}",
        env!("CARGO_PKG_VERSION"),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        if args.quick { "quick run" } else { "full run" }
    );
    let idle_rss = bench.proc.rss_mib();

    // Warm pools, the model catalogue and the allocator on every route.
    for route in [
        Route::Direct,
        Route::Passthrough,
        Route::OpenAi,
        Route::Anthropic,
    ] {
        bench.run(200, 16, || bench.one(route, false)).await;
    }

    if args.runs("latency") {
        latency(&bench, scale).await;
    }
    let mut load_rss: f64 = 0.0;
    if args.runs("throughput") {
        let requests = args.throughput_requests.unwrap_or(8000 / scale);
        load_rss = load_rss.max(throughput(&bench, requests).await);
    }
    if args.runs("long") {
        long_answer(&bench, scale).await;
    }
    if args.runs("streams") {
        load_rss = load_rss.max(many_streams(&bench, args.streams).await);
    }
    println!("\n### Gateway memory (RSS, MiB)\n");
    println!("| idle after start | peak under the loads above |");
    println!("|---|---|");
    println!("| {idle_rss:.1} | {load_rss:.1} |");
    if args.runs("soak") && args.soak_secs > 0 {
        soak(&bench, Duration::from_secs(args.soak_secs)).await;
    }
}

async fn latency(bench: &Arc<Bench>, scale: usize) {
    println!("\n### Added latency, small non-streaming request (ms)\n");
    println!("| concurrency | requests | fake direct p50 / p99 | OpenAI chat p50 / p99 | added p50 / p99 | Anthropic p50 / p99 | added p50 / p99 |");
    println!("|---|---|---|---|---|---|---|");
    for (concurrency, requests) in [(1, 2000), (32, 8000), (256, 8000)] {
        let requests = requests / scale;
        let direct = bench
            .run(requests, concurrency, || bench.one(Route::Direct, false))
            .await;
        let openai = bench
            .run(requests, concurrency, || bench.one(Route::OpenAi, false))
            .await;
        let anthropic = bench
            .run(requests, concurrency, || bench.one(Route::Anthropic, false))
            .await;
        let (d50, d99) = (
            ms(percentile(&direct.total, 50)),
            ms(percentile(&direct.total, 99)),
        );
        let cell = |s: &Samples| {
            let (p50, p99) = (ms(percentile(&s.total, 50)), ms(percentile(&s.total, 99)));
            format!(
                "{p50:.2} / {p99:.2} | {:+.2} / {:+.2}",
                p50 - d50,
                p99 - d99
            )
        };
        println!(
            "| {concurrency} | {requests} | {d50:.2} / {d99:.2} | {} | {} |",
            cell(&openai),
            cell(&anthropic)
        );
        report_failures(&[&direct, &openai, &anthropic]);
    }
}

/// Returns the gateway's peak RSS seen.
async fn throughput(bench: &Arc<Bench>, requests: usize) -> f64 {
    println!("\n### Throughput at concurrency 64, small non-streaming request\n");
    println!("| route | requests | req/s | × fake direct | gateway CPU per request | failed |");
    println!("|---|---|---|---|---|---|");
    let direct = bench
        .run(requests, 64, || bench.one(Route::Direct, false))
        .await;
    println!(
        "| {} | {requests} | {:.0} | 1.00 | — | {} |",
        Route::Direct.name(),
        direct.rps(),
        direct.failures
    );
    let (floor, floor_cpu) = bench
        .run_cpu_of(&bench.passthrough.proc, requests, 64, || {
            bench.one(Route::Passthrough, true)
        })
        .await;
    println!(
        "| {} | {requests} | {:.0} | {:.2} | {:.0} µs (its own) | {} |",
        Route::Passthrough.name(),
        floor.rps(),
        floor.rps() / direct.rps(),
        us(floor_cpu),
        floor.failures
    );
    let mut load_rss: f64 = 0.0;
    for route in [Route::OpenAi, Route::Anthropic] {
        for stream in [false, true] {
            let (samples, cpu) = bench
                .run_cpu(requests, 64, || bench.one(route, stream))
                .await;
            load_rss = load_rss.max(bench.proc.rss_mib());
            println!(
                "| {}{} | {requests} | {:.0} | {:.2} | {:.0} µs | {} |",
                route.name(),
                if stream { ", streamed" } else { "" },
                samples.rps(),
                samples.rps() / direct.rps(),
                us(cpu),
                samples.failures
            );
        }
    }
    load_rss
}

async fn long_answer(bench: &Arc<Bench>, scale: usize) {
    println!("\n### One long answer: 2 000 chunks, streamed (ms)\n");
    let chunks: Vec<String> = (0..2000).map(|i| format!("chunk {i} ")).collect();
    let long = move |_: &Value| {
        let parts: Vec<&str> = chunks.iter().map(String::as_str).collect();
        Some(Script::new().texts(&parts))
    };
    bench.fake.set_responder(long);
    println!("| route | first byte p50 | complete p50 | complete p99 | gateway CPU per answer |");
    println!("|---|---|---|---|---|");
    let n = 100 / scale.min(5);
    let direct = bench.run(n, 1, || bench.one(Route::Direct, true)).await;
    println!(
        "| {} | {:.2} | {:.2} | {:.2} | — |",
        Route::Direct.name(),
        ms(percentile(&direct.first_byte, 50)),
        ms(percentile(&direct.total, 50)),
        ms(percentile(&direct.total, 99)),
    );
    for route in [Route::OpenAi, Route::Anthropic] {
        let (s, cpu) = bench.run_cpu(n, 1, || bench.one(route, true)).await;
        println!(
            "| {} | {:.2} | {:.2} | {:.2} | {:.2} ms |",
            route.name(),
            ms(percentile(&s.first_byte, 50)),
            ms(percentile(&s.total, 50)),
            ms(percentile(&s.total, 99)),
            ms(cpu)
        );
        report_failures(&[&s]);
    }
    bench.fake.clear_responder();
}

/// Returns the gateway's peak RSS seen.
async fn many_streams(bench: &Arc<Bench>, streams: usize) -> f64 {
    println!("\n### {streams} concurrent streams\n");
    // Each answer takes about two seconds, so all streams are open at once.
    bench.fake.set_responder(|_| {
        let mut script = Script::new();
        for i in 0..40 {
            script = script
                .text(&format!("part {i} "))
                .sleep(Duration::from_millis(50));
        }
        Some(script)
    });
    println!("| route | streams | completed | failed | wall time | gateway RSS peak |");
    println!("|---|---|---|---|---|---|");
    let mut load_rss: f64 = 0.0;
    for route in [Route::OpenAi, Route::Anthropic] {
        let sampler = rss_sampler(bench.clone());
        let s = bench.run(streams, streams, || bench.one(route, true)).await;
        let peak = sampler.stop().await;
        load_rss = load_rss.max(peak);
        println!(
            "| {} | {} | {} | {} | {:.2} s | {peak:.1} MiB |",
            route.name(),
            streams,
            s.total.len(),
            s.failures,
            s.elapsed.as_secs_f64()
        );
    }
    bench.fake.clear_responder();
    load_rss
}

fn report_failures(samples: &[&Samples]) {
    let failed: usize = samples.iter().map(|s| s.failures).sum();
    if failed > 0 {
        println!("\n**{failed} requests failed in the row above.**\n");
    }
}

/// Samples the gateway's RSS every 100 ms until stopped; returns the peak.
struct RssSampler {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<f64>,
}

impl RssSampler {
    async fn stop(self) -> f64 {
        let _ = self.stop.send(());
        self.task.await.unwrap_or(0.0)
    }
}

fn rss_sampler(bench: Arc<Bench>) -> RssSampler {
    let (stop, mut stopped) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let mut peak: f64 = 0.0;
        loop {
            peak = peak.max(bench.proc.rss_mib());
            tokio::select! {
                _ = &mut stopped => return peak,
                _ = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
        }
    });
    RssSampler { stop, task }
}

/// Mixed load (both routes, streamed and not, 32 at a time) for `length`; RSS every 5 s.
async fn soak(bench: &Arc<Bench>, length: Duration) {
    println!(
        "\n### Soak: {} s of mixed load, 32 at a time\n",
        length.as_secs()
    );
    println!("| elapsed | requests | failed | gateway RSS |");
    println!("|---|---|---|---|");
    let started = Instant::now();
    let mut total = 0;
    let mut failed = 0;
    let mut readings = Vec::new();
    let mut next_report = Duration::ZERO;
    while started.elapsed() < length {
        let s = bench
            .run(640, 32, || {
                let route = if bench.counter.load(Ordering::Relaxed).is_multiple_of(2) {
                    Route::OpenAi
                } else {
                    Route::Anthropic
                };
                let stream = bench.counter.load(Ordering::Relaxed).is_multiple_of(3);
                bench.one(route, stream)
            })
            .await;
        total += s.total.len();
        failed += s.failures;
        if started.elapsed() >= next_report {
            let rss = bench.proc.rss_mib();
            readings.push(rss);
            println!(
                "| {:.0} s | {total} | {failed} | {rss:.1} MiB |",
                started.elapsed().as_secs_f64()
            );
            next_report += Duration::from_secs(5.max(length.as_secs() / 12));
        }
    }
    if let (Some(first), Some(last)) = (readings.get(1).or(readings.first()), readings.last()) {
        println!(
            "\nRSS after warm-up {first:.1} MiB, at the end {last:.1} MiB ({:+.1} MiB).",
            last - first
        );
    }
}
