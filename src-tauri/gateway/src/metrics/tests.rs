use super::*;

fn lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.starts_with('#')).collect()
}

#[test]
fn a_finished_request_is_counted_once_per_family() {
    let metrics = Prometheus::default();
    metrics.record(&Finished {
        route: "/v1/messages",
        status: 200,
        model: "claude-sonnet-4.5",
        duration: Duration::from_millis(300),
        ttft: Some(Duration::from_millis(120)),
        tokens: Some((12, 34)),
        credits: 0.25,
    });
    metrics.record(&Finished {
        route: "/v1/messages",
        status: 400,
        model: OTHER_MODEL,
        duration: Duration::from_millis(2),
        ttft: None,
        tokens: None,
        credits: 0.0,
    });
    let text = metrics.encode();
    let samples = lines(&text);
    for want in [
        r#"kiro_gateway_requests_total{route="/v1/messages",status="200",model="claude-sonnet-4.5"} 1"#,
        r#"kiro_gateway_requests_total{route="/v1/messages",status="400",model="other"} 1"#,
        r#"kiro_gateway_request_duration_seconds_count{route="/v1/messages"} 2"#,
        r#"kiro_gateway_request_duration_seconds_bucket{route="/v1/messages",le="0.5"} 2"#,
        r#"kiro_gateway_request_duration_seconds_bucket{route="/v1/messages",le="0.25"} 1"#,
        r#"kiro_gateway_time_to_first_token_seconds_count{route="/v1/messages"} 1"#,
        r#"kiro_gateway_tokens_total{model="claude-sonnet-4.5",direction="input"} 12"#,
        r#"kiro_gateway_tokens_total{model="claude-sonnet-4.5",direction="output"} 34"#,
        r#"kiro_gateway_credits_total{model="claude-sonnet-4.5"} 0.25"#,
        "kiro_gateway_active_streams 0",
    ] {
        assert!(samples.contains(&want), "missing {want} in\n{text}");
    }
    assert!(
        !text.contains(r#"kiro_gateway_credits_total{model="other"}"#),
        "{text}"
    );
}

#[test]
fn the_stream_gauge_goes_up_and_down() {
    let metrics = Prometheus::default();
    metrics.stream_opened();
    metrics.stream_opened();
    metrics.stream_closed();
    assert!(lines(&metrics.encode()).contains(&"kiro_gateway_active_streams 1"));
}
