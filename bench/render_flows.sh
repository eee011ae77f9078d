#!/usr/bin/env bash
# Render flow diagrams in a real browser: the examples' flows (gsctl graph) and the
# hand-checked diagrams of the golden files, with the mermaid package from npm in headless
# Chromium. Saves one PNG per diagram; fails when Mermaid reports a syntax error.
#
#   bench/render_flows.sh [OUT_DIR]          (default: a temporary directory)
#
# Needs: python3 with gsctl importable (e.g. the project's venv first on PATH),
# chromium (Debian: apt-get install -y chromium), npm (mermaid is installed into a
# temporary directory, never into the repo; MERMAID_JS=/path/to/mermaid.min.js skips that).
# Not part of the default test run (CI has no browser); the slow test
# tests/project/test_render_flows.py calls it when chromium and npm are there.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$(mktemp -d)}"
mkdir -p "$OUT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
BROWSER="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
[ -n "$BROWSER" ] || { echo "render_flows: chromium not found" >&2; exit 2; }

if [ -z "${MERMAID_JS:-}" ]; then
  (cd "$WORK" && npm install --silent --no-audit --no-fund mermaid@11 >/dev/null)
  MERMAID_JS="$WORK/node_modules/mermaid/dist/mermaid.min.js"
fi
cp "$MERMAID_JS" "$WORK/mermaid.min.js"

# 1. Diagram sources: every flow of the examples, and the golden files' diagrams (plus
#    any *.mmd in $RENDER_EXTRA, e.g. a broken one to see the check fail).
python3 "$ROOT/bench/_flow_sources.py" "$ROOT" "$WORK/mmd"
if [ -n "${RENDER_EXTRA:-}" ]; then cp "$RENDER_EXTRA"/*.mmd "$WORK/mmd/"; fi

# 2. One page per diagram: parse, render, and say OK or the error in the DOM.
failed=0
count=0
for mmd in "$WORK"/mmd/*.mmd; do
  name="$(basename "$mmd" .mmd)"
  page="$WORK/$name.html"
  python3 "$ROOT/bench/_flow_sources.py" --page "$mmd" > "$page"
  dom="$("$BROWSER" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --virtual-time-budget=15000 --dump-dom "file://$page" 2>/dev/null || true)"
  count=$((count + 1))
  if ! grep -q 'data-status="ok"' <<<"$dom"; then
    echo "FAIL $name: $(grep -o '<pre id="error">[^<]*' <<<"$dom" | head -1 | cut -c17-)" >&2
    failed=$((failed + 1))
    continue
  fi
  size="$(grep -o 'data-size="[0-9]*,[0-9]*"' <<<"$dom" | head -1 | cut -d'"' -f2)"
  "$BROWSER" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --virtual-time-budget=15000 --window-size="$size" \
    --screenshot="$OUT/$name.png" "file://$page" >/dev/null 2>&1
  echo "ok   $name -> $OUT/$name.png"
done
echo "$count diagram(s), $failed failed; screenshots in $OUT"
[ "$failed" -eq 0 ] && [ "$count" -gt 0 ]
