#!/usr/bin/env python3
"""A tiny stdio MCP server with one tool, `echo`, for the real-client tests.

Speaks newline-delimited JSON-RPC 2.0 as the MCP stdio transport defines it; standard
library only. Every call is appended to $ECHO_MCP_LOG (one JSON line) so a test can prove
the client really ran the tool.
"""
import json
import os
import sys

TOOL = {
    "name": "echo",
    "description": "Echo text back.",
    "inputSchema": {
        "type": "object",
        "properties": {"text": {"type": "string"}},
        "required": ["text"],
    },
}


def reply(msg_id, result):
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": msg_id, "result": result}) + "\n")
    sys.stdout.flush()


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        msg = json.loads(line)
        method, msg_id = msg.get("method"), msg.get("id")
        if msg_id is None:
            continue  # a notification (e.g. notifications/initialized)
        if method == "initialize":
            reply(msg_id, {
                "protocolVersion": msg.get("params", {}).get("protocolVersion", "2025-06-18"),
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "echo", "version": "1.0.0"},
            })
        elif method == "tools/list":
            reply(msg_id, {"tools": [TOOL]})
        elif method == "tools/call":
            text = msg.get("params", {}).get("arguments", {}).get("text", "")
            log = os.environ.get("ECHO_MCP_LOG")
            if log:
                with open(log, "a") as f:
                    f.write(json.dumps({"text": text}) + "\n")
            reply(msg_id, {"content": [{"type": "text", "text": f"echo: {text}"}]})
        elif method == "ping":
            reply(msg_id, {})
        else:
            sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": msg_id,
                                         "error": {"code": -32601, "message": "method not found"}}) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
