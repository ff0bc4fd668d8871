#!/usr/bin/env python3
"""Drives the gateway with the official `anthropic` Python SDK (run by
tests/tests/anthropic_sdk.rs, which queues the matching fake Kiro scripts first).
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

print("SDK OK")
