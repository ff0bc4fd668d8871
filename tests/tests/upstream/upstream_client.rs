//! The Kiro client's retry and timeout policy against the fake upstream: retries happen only
//! before the first event, never as a storm, and each failure reaches the caller classified.

use std::time::{Duration, Instant};

use kiro_gateway::kiro::events::KiroEvent;
use kiro_gateway::kiro::{ClientSettings, KiroClient, UpstreamError};
use kiro_gateway_tests::fake::fixtures::TempHome;
use kiro_gateway_tests::fake::{chat_body, FakeConfig, FakeKiro, Script};
use kiro_gateway_tests::upstream::social_credentials;

struct Setup {
    fake: FakeKiro,
    client: KiroClient,
    _home: TempHome,
}

fn settings(fake: &FakeKiro) -> ClientSettings {
    ClientSettings {
        api_url: Some(fake.runtime_url()),
        headers_timeout: Duration::from_secs(5),
        first_token_timeout: Duration::from_secs(5),
        first_token_retries: 2,
        idle_timeout: Duration::from_secs(5),
        max_attempts: 3,
        max_429_retries: 2,
        max_retry_wait: Duration::from_secs(30),
        backoff_base: Duration::from_millis(10),
    }
}

async fn setup(adjust: impl FnOnce(&mut ClientSettings)) -> Setup {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let home = TempHome::new();
    let (http, credentials) = social_credentials(&fake, &home).await;
    let mut client_settings = settings(&fake);
    adjust(&mut client_settings);
    let client = KiroClient::new(http, credentials, client_settings);
    Setup {
        fake,
        client,
        _home: home,
    }
}

fn body() -> serde_json::Value {
    let mut body = chat_body("placeholder", "hello", "claude-sonnet-4.5");
    body.as_object_mut().unwrap().remove("profileArn");
    body
}

async fn collect_text(client: &KiroClient) -> Result<String, UpstreamError> {
    let mut stream = client.generate(body()).await?;
    let mut text = String::new();
    while let Some(event) = stream.next().await {
        if let KiroEvent::Text(t) = event? {
            text.push_str(&t);
        }
    }
    Ok(text)
}

#[tokio::test]
async fn success_sends_ide_headers_and_the_profile_arn() {
    let s = setup(|_| {}).await;
    s.fake
        .push_script(Script::new().texts(&["Hel", "lo"]).trailers());
    assert_eq!(collect_text(&s.client).await.unwrap(), "Hello");
    let request = s.fake.last_chat().expect("a chat request");
    assert!(request.header("user-agent").unwrap().contains("KiroIDE"));
    assert!(request
        .header("x-amz-user-agent")
        .unwrap()
        .contains("KiroIDE"));
    assert_eq!(request.header("x-amzn-kiro-agent-mode"), Some("vibe"));
    assert!(request.json.as_ref().unwrap()["profileArn"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:codewhisperer:"));
}

#[tokio::test]
async fn bearer_rejection_refreshes_once_and_retries() {
    let s = setup(|_| {}).await;
    s.fake.revoke_next(1);
    s.fake
        .push_script(Script::new().text("after refresh").trailers());
    assert_eq!(collect_text(&s.client).await.unwrap(), "after refresh");
    assert_eq!(s.fake.refresh_calls(), 1);
    assert_eq!(s.fake.chat_calls(), 2);
}

#[tokio::test]
async fn a_token_rejected_again_after_refresh_is_an_error_not_a_loop() {
    let s = setup(|_| {}).await;
    s.fake.revoke_next(5);
    let err = collect_text(&s.client).await.unwrap_err();
    assert!(err.is_bearer_rejected(), "{err}");
    assert_eq!(s.fake.refresh_calls(), 1, "one refresh, not a refresh loop");
    assert_eq!(s.fake.chat_calls(), 2);
}

#[tokio::test]
async fn throttling_honours_retry_after_and_stops_after_two_retries() {
    let s = setup(|_| {}).await;
    for _ in 0..3 {
        s.fake.push_script(Script::throttled(Some(1)));
    }
    let started = Instant::now();
    let err = collect_text(&s.client).await.unwrap_err();
    let waited = started.elapsed();
    assert_eq!(s.fake.chat_calls(), 3, "the first call plus two retries");
    assert!(
        waited >= Duration::from_secs(2),
        "Retry-After: 1 was honoured twice ({waited:?})"
    );
    let api = err.to_api_error();
    assert_eq!(api.status().as_u16(), 429);
    assert_eq!(api.retry_after, Some(1));
}

#[tokio::test]
async fn a_long_retry_after_is_passed_to_the_client_instead_of_waited_out() {
    let s = setup(|c| c.max_retry_wait = Duration::from_secs(5)).await;
    s.fake.push_script(Script::throttled(Some(120)));
    let started = Instant::now();
    let err = collect_text(&s.client).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(s.fake.chat_calls(), 1);
    assert_eq!(err.to_api_error().retry_after, Some(120));
}

#[tokio::test]
async fn server_errors_are_retried_up_to_three_attempts() {
    let s = setup(|_| {}).await;
    s.fake.push_script(Script::server_error());
    s.fake.push_script(Script::server_error());
    s.fake
        .push_script(Script::new().text("third time").trailers());
    assert_eq!(collect_text(&s.client).await.unwrap(), "third time");
    assert_eq!(s.fake.chat_calls(), 3);

    for _ in 0..3 {
        s.fake.push_script(Script::server_error());
    }
    let err = collect_text(&s.client).await.unwrap_err();
    assert_eq!(
        s.fake.chat_calls(),
        6,
        "three more attempts, then the error"
    );
    assert_eq!(err.to_api_error().status().as_u16(), 502);
}

#[tokio::test]
async fn a_model_short_of_capacity_is_tried_twice_at_most() {
    let s = setup(|_| {}).await;
    for overloaded in [
        Script::overloaded(),
        Script::http_error(
            429,
            r#"{"__type":"com.amazon.aws.codewhisperer#ThrottlingException","message":"Too many requests, please wait before trying again.","reason":"INSUFFICIENT_MODEL_CAPACITY"}"#,
        ),
    ] {
        let before = s.fake.chat_calls();
        for _ in 0..3 {
            s.fake.push_script(overloaded.clone());
        }
        let err = collect_text(&s.client).await.unwrap_err();
        assert_eq!(s.fake.chat_calls(), before + 2, "one retry, then the error");
        assert_eq!(
            err.to_api_error().status().as_u16(),
            503,
            "reported as overloaded: {err:?}"
        );
        s.fake.clear_scripts();
    }
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let s = setup(|_| {}).await;
    s.fake.push_script(Script::http_error(
        400,
        r#"{"message":"Improperly formed request.","reason":null}"#,
    ));
    let err = collect_text(&s.client).await.unwrap_err();
    assert_eq!(s.fake.chat_calls(), 1);
    assert_eq!(err.to_api_error().status().as_u16(), 400);
}

#[tokio::test]
async fn a_slow_first_event_is_resent_then_reported_as_a_timeout() {
    let s = setup(|c| {
        c.first_token_timeout = Duration::from_millis(300);
        c.first_token_retries = 1;
    })
    .await;
    s.fake.push_script(
        Script::new()
            .text("late")
            .trailers()
            .first_byte_delay(Duration::from_secs(2)),
    );
    s.fake.push_script(Script::new().text("on time").trailers());
    assert_eq!(collect_text(&s.client).await.unwrap(), "on time");
    assert_eq!(s.fake.chat_calls(), 2);

    for _ in 0..2 {
        s.fake.push_script(
            Script::new()
                .text("late")
                .first_byte_delay(Duration::from_secs(2)),
        );
    }
    let err = collect_text(&s.client).await.unwrap_err();
    assert!(
        matches!(err, UpstreamError::FirstTokenTimeout { attempts: 2, .. }),
        "{err}"
    );
    assert_eq!(err.to_api_error().status().as_u16(), 504);
}

#[tokio::test]
async fn a_stall_mid_stream_ends_with_an_idle_timeout_after_the_text_so_far() {
    let s = setup(|c| c.idle_timeout = Duration::from_millis(400)).await;
    s.fake.push_script(Script::new().text("partial").stall());
    let mut stream = s.client.generate(body()).await.unwrap();
    assert_eq!(
        stream.next().await.unwrap().unwrap(),
        KiroEvent::Text("partial".into())
    );
    let err = stream.next().await.unwrap().unwrap_err();
    assert!(matches!(err, UpstreamError::IdleTimeout(_)), "{err}");
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn an_abrupt_close_mid_frame_is_an_error_after_the_decoded_events() {
    let s = setup(|_| {}).await;
    s.fake
        .push_script(Script::new().text("before").close_mid_frame("cut"));
    let mut stream = s.client.generate(body()).await.unwrap();
    assert_eq!(
        stream.next().await.unwrap().unwrap(),
        KiroEvent::Text("before".into())
    );
    assert!(stream.next().await.unwrap().is_err());
}

/// A loopback port whose accept queue is full, so that a new connection is never
/// established (Linux drops the SYN of a full queue); the guards keep it full.
#[cfg(target_os = "linux")]
async fn port_that_never_accepts() -> (u16, tokio::net::TcpListener, Vec<tokio::net::TcpStream>) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    for _ in 0..16 {
        match tokio::time::timeout(
            Duration::from_millis(300),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            Ok(Ok(stream)) => held.push(stream),
            Ok(Err(e)) => panic!("connect failed instead of hanging: {e}"),
            Err(_) => return (addr.port(), listener, held),
        }
    }
    panic!("the accept queue never filled up");
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_connection_that_is_never_established_is_a_bounded_504() {
    let fake = FakeKiro::start(FakeConfig::default()).await;
    let home = TempHome::new();
    let (_, credentials) = social_credentials(&fake, &home).await;
    let (port, _listener, _held) = port_that_never_accepts().await;
    let http = kiro_gateway::kiro::wire::build_http_client(None, Duration::from_millis(500))
        .expect("HTTP client");
    let mut client_settings = settings(&fake);
    client_settings.api_url = Some(format!("http://127.0.0.1:{port}"));
    client_settings.max_attempts = 2;
    let client = KiroClient::new(http, credentials, client_settings);

    let started = Instant::now();
    let err = collect_text(&client).await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, UpstreamError::ConnectTimeout(_)), "{err}");
    // Two attempts of 0.5 s plus a short backoff.
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(4),
        "{took:?}"
    );
    let api = err.to_api_error();
    assert_eq!(api.status().as_u16(), 504, "{}", api.message);
    assert!(
        api.message.contains("KIRO_CONNECT_TIMEOUT"),
        "{}",
        api.message
    );
}

#[tokio::test]
async fn a_missing_response_is_resent_within_the_first_token_budget_then_a_timeout() {
    let s = setup(|c| {
        c.headers_timeout = Duration::from_millis(300);
        c.first_token_timeout = Duration::from_millis(500);
        c.first_token_retries = 1;
    })
    .await;
    // Silent once, then an answer: the resend is used.
    s.fake.push_script(Script::new().text("never").no_headers());
    s.fake.push_script(Script::new().text("on time").trailers());
    assert_eq!(collect_text(&s.client).await.unwrap(), "on time");
    assert_eq!(s.fake.chat_calls(), 2);

    // A silent attempt and a slow first event share the one resend.
    s.fake.push_script(Script::new().text("never").no_headers());
    s.fake.push_script(
        Script::new()
            .text("late")
            .first_byte_delay(Duration::from_secs(30)),
    );
    let started = Instant::now();
    let err = collect_text(&s.client).await.unwrap_err();
    assert!(
        matches!(err, UpstreamError::FirstTokenTimeout { attempts: 2, .. }),
        "{err}"
    );
    assert_eq!(s.fake.chat_calls(), 4, "one resend in all");
    assert!(started.elapsed() < Duration::from_millis(800) + Duration::from_secs(3));
    assert_eq!(err.to_api_error().status().as_u16(), 504);
}

#[tokio::test]
async fn throttling_and_refusals_are_never_resent_as_timeouts() {
    let s = setup(|c| {
        c.headers_timeout = Duration::from_millis(300);
        c.max_429_retries = 0;
    })
    .await;
    s.fake.push_script(Script::throttled(None));
    let err = collect_text(&s.client).await.unwrap_err();
    assert!(!err.is_no_answer());
    assert_eq!(s.fake.chat_calls(), 1);
    s.fake.push_script(Script::http_error(
        403,
        r#"{"message":"User is not authorized","reason":null}"#,
    ));
    let err = collect_text(&s.client).await.unwrap_err();
    assert_eq!(err.to_api_error().status().as_u16(), 403);
    assert_eq!(s.fake.chat_calls(), 2);
}
