#!/usr/bin/env bash
# A real third-party MCP client against our server: the MCP Inspector CLI lists and calls tools over stdio
# (`clockodo-mcp serve --demo`) and over streamable HTTP (`clockodo-mcp demo --port …`).
# Skips (exit 0, with a message) when npx is missing or the Inspector package cannot be fetched; under CI=true
# it installs Node.js from Debian's packages when npx is missing, and a skip is a failure.
#
#   bash scripts/inspector_check.sh
#   CLOCKODO_MCP_INSPECTOR=@modelcontextprotocol/inspector@latest bash scripts/inspector_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned: a version known to work here, also on Node 20 (later releases ask for Node ≥ 22).
INSPECTOR="${CLOCKODO_MCP_INSPECTOR:-@modelcontextprotocol/inspector@0.15.0}"
if [[ -x .venv/bin/clockodo-mcp ]]; then
    CLOCKODO="$PWD/.venv/bin/clockodo-mcp"
    PYTHON="$PWD/.venv/bin/python"
else
    CLOCKODO="$(command -v clockodo-mcp || true)"
    PYTHON="$(command -v python3)"
fi
if [[ -z "$CLOCKODO" ]]; then
    echo "inspector check: clockodo-mcp is not installed (pip install -e .)" >&2
    exit 1
fi

skip() {
    if [[ "${CI:-}" == "true" ]]; then
        echo "inspector check FAILED: $1 (CI must not skip it)" >&2
        exit 1
    fi
    echo "inspector check skipped: $1"
    exit 0
}

if ! command -v npx >/dev/null 2>&1 && [[ "${CI:-}" == "true" ]] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq nodejs npm) >/dev/null 2>&1 || true
fi
if ! command -v npx >/dev/null 2>&1; then
    skip "npx not available (install Node.js to run it)"
fi
# Fetch the package (and its dependencies) once, up front, so a network failure reads as "skipped".
if ! timeout 300 npx --yes --package "$INSPECTOR" -- node -e 0 </dev/null >/dev/null 2>&1; then
    skip "npx could not fetch $INSPECTOR"
fi

SCRATCH="$(mktemp -d)"
DEMO_PID=""
cleanup() {
    if [[ -n "$DEMO_PID" ]]; then
        kill "$DEMO_PID" 2>/dev/null || true
        wait "$DEMO_PID" 2>/dev/null || true
    fi
    rm -rf "$SCRATCH"
}
trap cleanup EXIT
export CLOCKODO_MCP_AUDIT_LOG="$SCRATCH/audit.jsonl"
export PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring"  # the demo needs no credentials
export CLOCKODO_MCP_TODAY="${CLOCKODO_MCP_TODAY:-2026-12-01}"  # a first of the month: the demo's hardest day

inspector() {
    timeout 120 npx --yes "$INSPECTOR" --cli "$@" </dev/null 2>"$SCRATCH/inspector.err" || {
        echo "inspector check FAILED: npx $INSPECTOR --cli $*" >&2
        cat "$SCRATCH/inspector.err" >&2
        exit 1
    }
}

# expect WHAT PYTHON-CONDITION < json: assert on the Inspector's JSON output (`r` is the parsed result).
expect() {
    local what="$1" condition="$2"
    "$PYTHON" -c '
import json, sys
what, condition = sys.argv[1], sys.argv[2]
r = json.load(sys.stdin)
if not eval(condition, {"r": r}):
    sys.exit(f"inspector check FAILED: {what}: {condition} is false for {json.dumps(r)[:2000]}")
print(f"  ok  {what}")
' "$what" "$condition"
}

echo "== MCP Inspector CLI ($INSPECTOR) over stdio: $CLOCKODO serve --demo"
STDIO=(-e "CLOCKODO_MCP_AUDIT_LOG=$CLOCKODO_MCP_AUDIT_LOG" -e "PYTHON_KEYRING_BACKEND=$PYTHON_KEYRING_BACKEND" \
    -e "CLOCKODO_MCP_TODAY=$CLOCKODO_MCP_TODAY" "$CLOCKODO" serve --demo)
inspector "${STDIO[@]}" --method tools/list \
    | expect "stdio tools/list" '{"report_hours", "set_billing_state", "lookup"} <= {t["name"] for t in r["tools"]}'
inspector "${STDIO[@]}" --method tools/call --tool-name report_hours \
    --tool-arg period=this_month --tool-arg billing=unbilled \
    | expect "stdio tools/call report_hours" 'not r.get("isError") and r["structuredContent"]["total_hours"] > 0'
inspector "${STDIO[@]}" --method resources/list \
    | expect "stdio resources/list" '"clockodo://account" in {x["uri"] for x in r["resources"]}'
inspector "${STDIO[@]}" --method prompts/list \
    | expect "stdio prompts/list" '"month_close" in {x["name"] for x in r["prompts"]}'

PORT="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
URL="http://127.0.0.1:$PORT/mcp"
echo "== MCP Inspector CLI over streamable HTTP: $CLOCKODO demo --port $PORT"
"$CLOCKODO" demo --port "$PORT" >"$SCRATCH/demo.out" 2>&1 &
DEMO_PID=$!
for _ in $(seq 1 60); do
    if "$PYTHON" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
        "$PORT" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$DEMO_PID" 2>/dev/null; then
        echo "inspector check FAILED: clockodo-mcp demo exited" >&2
        cat "$SCRATCH/demo.out" >&2
        exit 1
    fi
    sleep 0.5
done
inspector "$URL" --transport http --method tools/list \
    | expect "http tools/list" 'len(r["tools"]) >= 20'
inspector "$URL" --transport http --method tools/call --tool-name lookup --tool-arg query=Phoenix \
    | expect "http tools/call lookup" 'not r.get("isError") and r["structuredContent"]["matches"][0]["name"] == "Phoenix"'
inspector "$URL" --transport http --method tools/call --tool-name set_billing_state \
    --tool-arg period=last_month --tool-arg "customer=Client XYZ" --tool-arg to_state=billed \
    | expect "http tools/call set_billing_state (preview only)" \
        'r["structuredContent"]["status"] == "preview" and r["structuredContent"]["confirm_token"]'
inspector "$URL" --transport http --method resources/read --uri clockodo://master-data/projects \
    | expect "http resources/read master data" '"Phoenix" in r["contents"][0]["text"]'

echo "== the calls above in the audit log"
"$CLOCKODO" audit verify --path "$CLOCKODO_MCP_AUDIT_LOG"
echo "inspector check OK: the MCP Inspector listed and called our tools and read our resources and prompts over stdio and streamable HTTP"
