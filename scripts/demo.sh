#!/usr/bin/env bash
# Starts a Postern demo on this machine: a throwaway Dovecot with demo mail for
# alice/alice-secret and bob/bob-secret, and postern-server in front of it.
# Installs what is missing first (scripts/setup.sh). Ctrl-C stops and removes it all.
#   PORT=9000 scripts/demo.sh    to serve on another port (default 8080)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

scripts/setup.sh
scripts/build-web.sh
cargo build -p postern-server -p postern-tests --bins
exec target/debug/postern-sandbox --listen "127.0.0.1:${PORT:-8080}"
