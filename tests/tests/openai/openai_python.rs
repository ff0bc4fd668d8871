//! The official OpenAI Python SDK (and pydantic, for `parse()`) against the real gateway.
//! Needs `python3` with the pinned SDKs (`python3 -m pip install -r tests/sdk/requirements.txt`,
//! which `scripts/test.sh` does); without them the test fails and says so.

use crate::openai_support;

use kiro_gateway_tests::fake::Script;
use openai_support::*;

/// Fails the test, with the fix, when `python3`, `openai` or `pydantic` is missing.
fn require_sdk() {
    const FIX: &str = "install Python 3 and the pinned SDKs: python3 -m pip install -r tests/sdk/requirements.txt (scripts/test.sh does it)";
    match std::process::Command::new("python3")
        .args(["-c", "import openai, pydantic"])
        .output()
    {
        Err(err) => panic!("python3 cannot be run ({err}): {FIX}"),
        Ok(out) if !out.status.success() => panic!(
            "the `openai` or `pydantic` Python package is missing: {FIX}\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Ok(_) => {}
    }
}

const SCRIPT: &str = r#"
import json, os, sys
import openai
from openai import OpenAI

client = OpenAI(base_url=os.environ["GW_BASE"] + "/v1", api_key=os.environ["GW_KEY"], max_retries=0)
out = {}

r = client.chat.completions.create(model="claude-sonnet-4-5",
    messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}])
out["text"] = r.choices[0].message.content
out["finish"] = r.choices[0].finish_reason
out["total_tokens"] = r.usage.total_tokens

calls = {}
usage = None
for chunk in client.chat.completions.create(model="claude-sonnet-4.5", stream=True,
        stream_options={"include_usage": True},
        messages=[{"role": "user", "content": "weather?"}],
        tools=[{"type": "function", "function": {"name": "get_weather",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]):
    if chunk.usage:
        usage = chunk.usage.total_tokens
    for choice in chunk.choices:
        for tc in choice.delta.tool_calls or []:
            c = calls.setdefault(tc.index, {"id": None, "name": None, "args": ""})
            if tc.id: c["id"] = tc.id
            if tc.function and tc.function.name: c["name"] = tc.function.name
            if tc.function and tc.function.arguments: c["args"] += tc.function.arguments
out["calls"] = [calls[i] for i in sorted(calls)]
out["stream_usage"] = usage

try:
    client.chat.completions.create(model="claude-sonet-4.5", messages=[{"role": "user", "content": "x"}])
except openai.NotFoundError as e:
    out["not_found"] = {"status": e.status_code, "code": e.code, "param": e.param, "type": e.type}

try:
    for _ in client.chat.completions.create(model="claude-sonnet-4-5", stream=True,
            messages=[{"role": "user", "content": "x"}]):
        pass
    out["stream_error"] = None
except openai.APIError as e:
    out["stream_error"] = e.message

out["models"] = sorted(m.id for m in client.models.list())
out["retrieved"] = client.models.retrieve("claude-sonnet-4-5-20250929").id

from pydantic import BaseModel

class Sum(BaseModel):
    answer: int

try:
    parsed = client.chat.completions.parse(model="claude-sonnet-4-5",
        messages=[{"role": "user", "content": "2+2?"}], response_format=Sum)
except AttributeError:
    parsed = client.beta.chat.completions.parse(model="claude-sonnet-4-5",
        messages=[{"role": "user", "content": "2+2?"}], response_format=Sum)
out["parsed"] = parsed.choices[0].message.parsed.answer

# A spent Kiro quota: 429 insufficient_quota with `x-should-retry: false`, so a client with
# the SDK's default retries (2) gives up at once; the Rust side counts the upstream calls.
try:
    OpenAI(base_url=os.environ["GW_BASE"] + "/v1", api_key=os.environ["GW_KEY"]).chat.completions.create(
        model="claude-sonnet-4-5", messages=[{"role": "user", "content": "x"}])
    out["quota"] = None
except openai.RateLimitError as e:
    out["quota"] = {"status": e.status_code, "code": e.code, "type": e.type,
                    "should_retry": e.response.headers.get("x-should-retry")}
print(json.dumps(out))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn python_sdk_round_trip() {
    require_sdk();
    let r = start(&[]).await;
    r.fake
        .push_script(Script::new().texts(&["Hello", " there"]).trailers());
    r.fake.push_script(
        Script::new()
            .tool_call("get_weather", "tooluse_py1", r#"{"city":"Lima"}"#, 3)
            .trailers(),
    );
    r.fake.push_script(
        Script::new()
            .text("partial")
            .exception("InternalServerException", "boom"),
    );
    r.fake.push_script(
        Script::new()
            .texts(&["```json\n{\"answer\"", ": 4}\n```"])
            .trailers(),
    );
    r.fake.push_script(Script::http_error(
        402,
        r#"{"__type":"com.amazon.kiro.runtimeservice#ServiceQuotaExceededException","message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"}"#,
    ));
    let base = r.base.clone();
    let key = r.key.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .args(["-c", SCRIPT])
            .env("GW_BASE", base)
            .env("GW_KEY", key)
            .output()
            .expect("python3 runs")
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(out["text"], "Hello there");
    assert_eq!(out["finish"], "stop");
    assert!(out["total_tokens"].as_u64().unwrap() > 0);
    assert_eq!(
        out["calls"],
        serde_json::json!([{"id": "call_py1", "name": "get_weather", "args": "{\"city\":\"Lima\"}"}])
    );
    assert!(out["stream_usage"].as_u64().unwrap() > 0);
    assert_eq!(out["not_found"]["status"], 404);
    assert_eq!(out["not_found"]["code"], "model_not_found");
    assert_eq!(out["not_found"]["param"], "model");
    assert!(
        out["stream_error"].as_str().unwrap().contains("boom"),
        "the SDK raises the in-stream error: {out}"
    );
    eprintln!("python SDK results: {out}");
    assert_eq!(out["retrieved"], "claude-sonnet-4.5");
    assert_eq!(
        out["parsed"], 4,
        "structured output through the SDK's parse(): {out}"
    );
    assert_eq!(
        out["quota"],
        serde_json::json!({"status": 429, "code": "insufficient_quota", "type": "insufficient_quota", "should_retry": "false"}),
        "{out}"
    );
    assert_eq!(
        r.fake.pending_scripts(),
        0,
        "every scripted answer was used"
    );
    assert_eq!(
        r.fake.chat_calls(),
        5,
        "four answers and one quota error the SDK did not retry"
    );
    assert!(out["models"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("claude-sonnet-4.5")));
}
