//! Issue 15, item 3: connection hygiene of the real binary, with raw sockets on loopback.
//! Slow request headers and idle kept-alive connections are closed on time, a flood over
//! the connection cap is refused with a clean 503 and does not keep keyed requests out,
//! and a client that stops reading a stream is cut off together with its upstream request.

use crate::openai_support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use kiro_gateway_tests::fake::Script;
use kiro_gateway_tests::harness::Harness;
use openai_support::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const HEADER_TIMEOUT: Duration = Duration::from_secs(2);
const IDLE_TIMEOUT: Duration = Duration::from_secs(6);
/// Slack for a loaded machine on every upper bound.
const MARGIN: Duration = Duration::from_secs(8);

fn secs(d: Duration) -> String {
    d.as_secs().to_string()
}

fn addr_of(r: &Running) -> SocketAddr {
    r.base
        .trim_start_matches("http://")
        .parse()
        .expect("base URL is host:port")
}

/// What a connection received until the gateway closed it, and when it closed (from
/// `since`); `None` if it was still open after `within`.
async fn wait_for_close(
    stream: &mut TcpStream,
    since: Instant,
    within: Duration,
) -> Option<(Vec<u8>, Duration)> {
    let mut received = Vec::new();
    let read_all = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    };
    let deadline = since + within;
    let left = deadline.saturating_duration_since(Instant::now());
    tokio::time::timeout(left, read_all).await.ok()?;
    Some((received, since.elapsed()))
}

/// Read one response with a `content-length` body; returns its head.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut buf).await.expect("response bytes");
        assert!(n > 0, "closed before a response");
        bytes.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .expect("content-length")
        .trim()
        .parse()
        .unwrap();
    while bytes.len() < head_end + length {
        let n = stream.read(&mut buf).await.expect("body bytes");
        assert!(n > 0, "closed inside the body");
        bytes.extend_from_slice(&buf[..n]);
    }
    head
}

fn chat(stream: bool, text: &str) -> Value {
    json!({"model": "claude-sonnet-4-5", "stream": stream,
           "messages": [{"role": "user", "content": text}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_request_headers_are_cut_after_the_header_timeout() {
    let r = start(&[
        ("KIRO_GATEWAY_HEADER_READ_TIMEOUT", &secs(HEADER_TIMEOUT)),
        ("KIRO_GATEWAY_IDLE_TIMEOUT", &secs(IDLE_TIMEOUT)),
    ])
    .await;
    let addr = addr_of(&r);
    let slow = (0..20).map(|_| async move {
        let started = Instant::now();
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut reader, mut writer) = stream.into_split();
        // A header line every 300 ms: the request never completes, but bytes keep coming.
        let trickle = tokio::spawn(async move {
            let _ = writer
                .write_all(b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                .await;
            while writer.write_all(b"X-Slow: a\r\n").await.is_ok() {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        });
        let mut received = Vec::new();
        let closed =
            tokio::time::timeout(HEADER_TIMEOUT + MARGIN, reader.read_to_end(&mut received))
                .await
                .is_ok();
        trickle.abort();
        (closed, started.elapsed(), received)
    });
    for (closed, after, received) in futures::future::join_all(slow).await {
        assert!(
            closed,
            "a slow-header connection is still open after {after:?}"
        );
        assert!(
            after >= HEADER_TIMEOUT - Duration::from_millis(200),
            "closed early: {after:?}"
        );
        assert!(received.is_empty(), "no response to an incomplete request");
    }
    assert_eq!(r.get("/v1/models").await.status(), 200, "still serving");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_body_that_stops_arriving_frees_its_connection() {
    let r = start(&[("KIRO_GATEWAY_HEADER_READ_TIMEOUT", &secs(HEADER_TIMEOUT))]).await;
    let mut stream = TcpStream::connect(addr_of(&r)).await.unwrap();
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"model\":",
        r.key
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let sent = Instant::now();
    let (received, after) = wait_for_close(&mut stream, sent, HEADER_TIMEOUT + MARGIN)
        .await
        .expect("a connection with a stalled body is still open");
    assert!(
        after >= HEADER_TIMEOUT - Duration::from_millis(200),
        "closed early: {after:?}"
    );
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 4"), "answered {text:?}");
    assert_eq!(r.fake.chat_calls(), 0, "nothing went upstream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idle_kept_alive_connections_are_closed_after_the_idle_timeout_not_before() {
    let r = start(&[
        ("KIRO_GATEWAY_HEADER_READ_TIMEOUT", &secs(HEADER_TIMEOUT)),
        ("KIRO_GATEWAY_IDLE_TIMEOUT", &secs(IDLE_TIMEOUT)),
    ])
    .await;
    let addr = addr_of(&r);
    let idle = (0..20).map(|_| async move {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        let head = read_response(&mut stream).await;
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(!head.contains("connection: close"), "kept alive: {head}");
        let idle_from = Instant::now();
        // Past the header timeout, a kept-alive connection without a request is still open...
        let early = wait_for_close(
            &mut stream,
            idle_from,
            HEADER_TIMEOUT + Duration::from_secs(2),
        )
        .await;
        assert!(early.is_none(), "closed before the idle timeout: {early:?}");
        // ... and closed once the idle timeout has passed.
        wait_for_close(&mut stream, idle_from, IDLE_TIMEOUT + MARGIN).await
    });
    for closed in futures::future::join_all(idle).await {
        let (received, after) = closed.expect("an idle connection outlived the idle timeout");
        assert!(
            after >= IDLE_TIMEOUT - Duration::from_millis(200),
            "closed early: {after:?}"
        );
        assert!(received.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_over_the_cap_is_refused_cleanly_and_keyed_requests_still_get_through() {
    const CAP: usize = 50;
    const FLOOD: usize = 80;
    let header_timeout = Duration::from_secs(4);
    let r = start(&[
        ("KIRO_GATEWAY_MAX_CONNECTIONS", &CAP.to_string()),
        ("KIRO_GATEWAY_HEADER_READ_TIMEOUT", &secs(header_timeout)),
    ])
    .await;
    let addr = addr_of(&r);

    let flood_started = Instant::now();
    let mut flood = Vec::new();
    for _ in 0..FLOOD {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let _ = stream
            .write_all(b"POST /v1/chat/completions HTTP/1.1\r\n")
            .await;
        flood.push(stream);
    }
    // Well before the header timeout, every connection is either held open in a slot or
    // answered 503 and closed (after the refusal waited a second for its request head).
    let outcomes = futures::future::join_all(
        flood
            .iter_mut()
            .map(|s| wait_for_close(s, flood_started, Duration::from_millis(2500))),
    )
    .await;
    assert!(
        flood_started.elapsed() < header_timeout,
        "the flood took too long to set up"
    );
    let mut refused = 0;
    for (received, _) in outcomes.iter().flatten() {
        let text = String::from_utf8_lossy(received).to_lowercase();
        assert!(
            text.starts_with("http/1.1 503 ") && text.contains("\r\nretry-after: 1\r\n"),
            "a closed flood connection got {text:?}"
        );
        refused += 1;
    }
    assert!(
        refused >= FLOOD - CAP,
        "{refused} refused: at most {CAP} of {FLOOD} may be held"
    );

    // A keyed request on fresh connections: refused cleanly while the slots are taken,
    // served once the slow connections time out.
    r.fake.push_script(Script::new().text("through").trailers());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let started = Instant::now();
    let mut refusals = 0;
    let answer: Value = loop {
        let response = client
            .post(r.url("/v1/chat/completions"))
            .bearer_auth(&r.key)
            .json(&chat(false, "hello"))
            .send()
            .await
            .expect("a refusal is a response, not a broken connection");
        if response.status() == 200 {
            break response.json().await.unwrap();
        }
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "1");
        refusals += 1;
        assert!(
            started.elapsed() < header_timeout + MARGIN,
            "keyed requests still refused after {:?}\n{}",
            started.elapsed(),
            r.stderr()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(answer["choices"][0]["message"]["content"], "through");
    eprintln!(
        "served after {:?} and {refusals} refusals",
        started.elapsed()
    );

    // The held flood connections were closed by the header timeout.
    for stream in &mut flood {
        assert!(
            wait_for_close(stream, flood_started, header_timeout + MARGIN)
                .await
                .is_some(),
            "a flood connection is still open"
        );
    }
}

/// The measured failure, scaled down: more slow connections than the gateway has file
/// descriptors.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn more_slow_connections_than_open_files_do_not_keep_keyed_requests_out() {
    const OPEN_FILES: u64 = 256;
    const SLOW: usize = 400;
    let header_timeout = Duration::from_secs(3);
    let r = Harness::process()
        .env(&[("KIRO_GATEWAY_HEADER_READ_TIMEOUT", &secs(header_timeout))])
        .open_file_limit(OPEN_FILES)
        .start()
        .await;
    let addr = addr_of(&r);
    let mut slow = Vec::new();
    for _ in 0..SLOW {
        let connected = tokio::time::timeout(MARGIN, TcpStream::connect(addr)).await;
        let Ok(Ok(mut stream)) = connected else {
            panic!(
                "slow connection {} not accepted in {MARGIN:?}: {connected:?}\n{}",
                slow.len(),
                r.stderr()
            );
        };
        let _ = stream.write_all(b"GET /v1/models HTTP/1.1\r\n").await;
        slow.push(stream);
    }

    r.fake.push_script(Script::new().text("through").trailers());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let started = Instant::now();
    let answer: Value = loop {
        let sent = client
            .post(r.url("/v1/chat/completions"))
            .bearer_auth(&r.key)
            .json(&chat(false, "hello"))
            .timeout(header_timeout)
            .send()
            .await;
        // Refused with a 503, or dropped unanswered while too many refusals are under way
        // (an attempt that gets no answer at all is cut by its timeout and tried again).
        if let Ok(response) = sent {
            if response.status() == 200 {
                break response.json().await.unwrap();
            }
            assert_eq!(response.status(), 503);
        }
        assert!(
            started.elapsed() < header_timeout + MARGIN,
            "keyed requests still refused after {:?}\n{}",
            started.elapsed(),
            r.stderr()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(answer["choices"][0]["message"]["content"], "through");

    let log = r.stderr();
    assert!(
        log.contains("serving at most 64 connections"),
        "the cap was lowered below the open-file limit:\n{log}"
    );
    assert!(!log.contains("Too many open files"), "{log}");
    drop(slow);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_that_stops_reading_is_cut_off_and_its_upstream_request_dropped() {
    let write_timeout = Duration::from_secs(2);
    let r = start(&[("KIRO_GATEWAY_CLIENT_WRITE_TIMEOUT", &secs(write_timeout))]).await;
    // Far more than the socket buffers between the gateway and the client hold, then a
    // stall: the upstream request ends only if the gateway drops it.
    let chunk = "x".repeat(4096);
    let mut script = Script::new();
    for _ in 0..4096 {
        script = script.text(&chunk);
    }
    r.fake.push_script(script.stall());

    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(addr_of(&r)).await.unwrap();
    let body = chat(true, "a long answer").to_string();
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        r.key,
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut first = [0u8; 64];
    let n = stream.read(&mut first).await.unwrap();
    assert!(
        first[..n].starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&first[..n])
    );
    let stopped_reading = Instant::now();

    tokio::time::sleep(write_timeout / 2).await;
    assert_eq!(
        r.fake.chat_streams_closed_by_client(),
        0,
        "the upstream request lives while the client may still read"
    );
    assert!(
        eventually(write_timeout + MARGIN + MARGIN, || r
            .fake
            .chat_streams_closed_by_client()
            == 1)
        .await,
        "the upstream request was not dropped {:?} after the client stopped reading",
        stopped_reading.elapsed()
    );
    // What was still buffered drains, then the connection ends.
    assert!(
        wait_for_close(&mut stream, Instant::now(), MARGIN)
            .await
            .is_some(),
        "the gateway closed the connection"
    );

    r.fake.push_script(Script::new().text("fine").trailers());
    let answer: Value = r
        .post_chat(&chat(false, "still there?"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["choices"][0]["message"]["content"], "fine");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn http2_with_prior_knowledge_is_still_served() {
    let r = start(&[]).await;
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    for _ in 0..3 {
        let response = client
            .get(r.url("/v1/models"))
            .bearer_auth(&r.key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.version(), reqwest::Version::HTTP_2);
        assert_eq!(response.status(), 200);
    }
}
