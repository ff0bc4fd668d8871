#!/usr/bin/env python3
"""Drives the gateway with the official `anthropic` Python SDK (run by
tests/tests/anthropic/anthropic_sdk.rs, which queues the matching fake Kiro scripts first).
Usage: anthropic_sdk_check.py BASE_URL API_KEY"""
import sys

import anthropic

base_url, api_key = sys.argv[1], sys.argv[2]
client = anthropic.Anthropic(base_url=base_url, api_key=api_key, max_retries=0)
MODEL = "claude-sonnet-4-5"

# 1. Non-streaming text.
message = client.messages.create(
    model=MODEL, max_tokens=100, messages=[{"role": "user", "content": "hi"}]
)
assert message.type == "message", message
assert message.content[0].type == "text" and message.content[0].text == "Hello from Kiro", message
assert message.stop_reason == "end_turn", message
assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0, message.usage

# 2. Streaming thinking + text + tool use, accumulated by the SDK.
tools = [{
    "name": "get_weather",
    "description": "Current weather",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}]
with client.messages.stream(
    model=MODEL,
    max_tokens=4096,
    thinking={"type": "enabled", "budget_tokens": 2048},
    tools=tools,
    messages=[{"role": "user", "content": "Weather in Paris?"}],
) as stream:
    text = "".join(stream.text_stream)
    final = stream.get_final_message()
assert text == "Checking.", repr(text)
kinds = [block.type for block in final.content]
assert kinds == ["thinking", "text", "tool_use"], kinds
assert final.content[0].thinking == "Paris weather needed."
assert final.content[0].signature.startswith("sig_")
assert final.content[2].input == {"city": "Paris"}, final.content[2]
assert final.stop_reason == "tool_use"

# 3. count_tokens.
count = client.messages.count_tokens(model=MODEL, messages=[{"role": "user", "content": "hi"}])
assert count.input_tokens > 0, count

# 4. Errors are raised as the SDK's typed exceptions.
try:
    client.messages.create(model="claude-imaginary-9", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    raise SystemExit("expected NotFoundError")
except anthropic.NotFoundError as err:
    assert err.body["type"] == "error", err.body
try:
    client.messages.create(model=MODEL, max_tokens=10, messages=[])
    raise SystemExit("expected BadRequestError")
except anthropic.BadRequestError as err:
    assert err.body["error"]["type"] == "invalid_request_error", err.body
try:
    anthropic.Anthropic(base_url=base_url, api_key="wrong", max_retries=0).messages.create(
        model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "x"}])
    raise SystemExit("expected AuthenticationError")
except anthropic.AuthenticationError:
    pass

# 5. The model listing in Anthropic's shape: the SDK pages through it (limit 5, after_id),
#    Claude ids in dash form, 1M-window models with the `[1m]` marker Claude Code reads.
models = list(client.models.list(limit=5))
ids = [m.id for m in models]
assert len(ids) == len(set(ids)) == 23, ids  # the fake's December catalogue
for expected in ("claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-8[1m]", "auto-kiro", "glm-5"):
    assert expected in ids, (expected, ids)
for m in models:
    assert m.type == "model" and m.display_name and m.created_at.year >= 2020, m
one_m = [m.id for m in models if m.id.endswith("[1m]")]
assert one_m and all(m.max_input_tokens >= 1_000_000 for m in models if m.id in one_m), models
page = client.models.list(limit=3)
assert len(page.data) == 3 and page.has_more and page.last_id == page.data[-1].id, page
model = client.models.retrieve("claude-opus-4-8[1m]")
assert model.id == "claude-opus-4-8[1m]" and model.display_name == "Claude Opus 4.8", model
# 6. A spent Kiro quota: 402 billing_error with `x-should-retry: false`; a client with the
#    default retries gives up at once (the Rust side counts one upstream call).
try:
    anthropic.Anthropic(base_url=base_url, api_key=api_key).messages.create(
        model="claude-opus-4-8[1m]", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    raise SystemExit("expected PaymentRequiredError")
except anthropic.PaymentRequiredError as err:
    assert err.status_code == 402, err
    assert err.body["error"]["type"] == "billing_error", err.body
    assert "quota" in err.body["error"]["message"], err.body
    assert err.response.headers.get("x-should-retry") == "false", dict(err.response.headers)

print("SDK OK")
