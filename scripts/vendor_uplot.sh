#!/usr/bin/env bash
# Refresh the vendored chart library of the MCP Apps views from npm (pinned version), with its licence.
#   bash scripts/vendor_uplot.sh [version]
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${1:-1.6.32}"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
(cd "$SCRATCH" && npm pack --silent "uplot@$VERSION" >/dev/null && tar xzf "uplot-$VERSION.tgz")
DEST=clockodo_mcp/server/views/vendor
cp "$SCRATCH/package/dist/uPlot.iife.min.js" "$SCRATCH/package/dist/uPlot.min.css" "$DEST/"
cp "$SCRATCH/package/LICENSE" "$DEST/LICENSE-uPlot"
echo "uPlot $VERSION (MIT), from the npm package uplot@$VERSION: dist/uPlot.iife.min.js and dist/uPlot.min.css, unchanged. Refresh with scripts/vendor_uplot.sh." >"$DEST/README"
echo "vendored uPlot $VERSION into $DEST"
