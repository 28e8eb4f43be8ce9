#!/usr/bin/env bash
# Build the Claude Desktop bundle: stage it (scripts/stage_bundle.py), then validate and pack it with the official
# CLI (@anthropic-ai/mcpb through npx) into dist/clockodo-mcp.mcpb (or the path given), and print its sha256.
# Skips (exit 0, with a message) when npx is missing or the CLI cannot be fetched; under CI=true it installs Node.js
# from Debian's packages when npx is missing, and a skip is a failure.
#
#   bash scripts/build_mcpb.sh [OUTPUT.mcpb]
#   bash scripts/build_mcpb.sh --update-server-json     # also write the bundle's sha256 into server.json (release)
set -euo pipefail
cd "$(dirname "$0")/.."

MCPB="${CLOCKODO_MCP_MCPB:-@anthropic-ai/mcpb@2.1.2}"  # pinned: the version whose validator we tested against
UPDATE_SERVER_JSON=""
OUT="dist/clockodo-mcp.mcpb"
for arg in "$@"; do
    case "$arg" in
        --update-server-json) UPDATE_SERVER_JSON=1 ;;
        *) OUT="$arg" ;;
    esac
done
if [[ -x .venv/bin/python ]]; then PYTHON="$PWD/.venv/bin/python"; else PYTHON="$(command -v python3)"; fi

skip() {
    if [[ "${CI:-}" == "true" ]]; then
        echo "mcpb build FAILED: $1 (CI must not skip it)" >&2
        exit 1
    fi
    echo "mcpb build skipped: $1"
    exit 0
}

if ! command -v npx >/dev/null 2>&1 && [[ "${CI:-}" == "true" ]] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq nodejs npm) >/dev/null 2>&1 || true
fi
command -v npx >/dev/null 2>&1 || skip "npx not available (install Node.js to build the bundle)"
if ! timeout 300 npx --yes --package "$MCPB" -- node -e 0 </dev/null >/dev/null 2>&1; then
    skip "npx could not fetch $MCPB"
fi

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
"$PYTHON" scripts/stage_bundle.py "$STAGE/clockodo-mcp"
echo "== mcpb validate"
timeout 120 npx --yes "$MCPB" validate "$STAGE/clockodo-mcp/manifest.json" </dev/null
echo "== mcpb pack"
mkdir -p "$(dirname "$OUT")"
rm -f "$OUT"
timeout 120 npx --yes "$MCPB" pack "$STAGE/clockodo-mcp" "$OUT" </dev/null
SHA="$("$PYTHON" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$OUT")"
echo "built $OUT ($(wc -c <"$OUT") bytes, sha256 $SHA)"
if [[ -n "$UPDATE_SERVER_JSON" ]]; then
    "$PYTHON" - "$SHA" <<'PY'
import json, sys
from pathlib import Path

path = Path("server.json")
data = json.loads(path.read_text(encoding="utf-8"))
for package in data["packages"]:
    if package["registryType"] == "mcpb":
        package["fileSha256"] = sys.argv[1]
path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
print(f"server.json: mcpb fileSha256 = {sys.argv[1]}")
PY
fi
