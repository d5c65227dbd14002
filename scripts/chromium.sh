#!/usr/bin/env bash
# Makes sure the browser tests have Debian's chromium: installs it when run as root,
# otherwise names what is missing in one line. Prints the browser's path.
set -euo pipefail
for b in "${CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -n "$b" ] && [ -x "$b" ]; then echo "$b"; exit 0; fi
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing chromium from Debian's packages for the browser tests…" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) >&2
  echo /usr/bin/chromium; exit 0
fi
echo "chromium is missing for the browser tests: apt-get install chromium (or set CHROMIUM=/path)" >&2
exit 1
