#!/usr/bin/env bash
# The README's screenshot: the example document restored with --html by the shipped model, rendered
# by headless Chromium from Debian's packages (apt-get install chromium). Usage: data/recipes/explain_page.sh [OUT.png]
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-data/examples/trotsky.page.png}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
destem restore data/examples/trotsky.stem.txt --markdown --html "$work/page.html" -o "$work/restored.md"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$work/profile" --window-size=1000,760 \
  --screenshot="$out" "file://$work/page.html" 2>/dev/null
echo "wrote $out"
