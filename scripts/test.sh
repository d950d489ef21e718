#!/usr/bin/env bash
# Runs Postern's whole test suite:
#   1. native unit tests and integration tests against real Dovecot (cargo test),
#      including the end-to-end test of the built page in headless Chromium;
#   2. the protocol core built for wasm32;
#   3. bounded fuzz runs (cargo fuzz) of the IMAP, POP3 and SMTP response paths and of
#      what hostile mail reaches in the reader: the link finder, the address round
#      trip of reply-all, the sanitizer with inline images;
#   4. in-browser tests (wasm-pack test) in headless Chromium through a real tunnel.
# Installs what is missing first (scripts/setup.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

# What the test runners print also goes to a log, to total the results at the end.
results=$(mktemp)
tally() { "$@" 2>&1 | tee -a "$results"; }
trap 'rm -f "$results"' EXIT

scripts/setup.sh
scripts/build-web.sh
cargo build --workspace --exclude postern-web --bins

echo "== native tests (real Dovecot, real browser)"
tally cargo test --workspace --exclude postern-web

echo "== the protocol core for wasm32"
cargo build -p postern-shared --target wasm32-unknown-unknown

echo "== fuzzing the response paths and the reader (bounded)"
# The seeds stay as committed; what the fuzzer finds goes to a throwaway corpus.
for target in imap_responses pop3_responses smtp_replies body_links address_round_trip cid_images; do
  fuzz_corpus=$(mktemp -d)
  (cd shared && cargo fuzz run "$target" --sanitizer none "$fuzz_corpus" "fuzz/seeds/$target" \
    -- -max_total_time="${POSTERN_FUZZ_SECONDS:-15}" -print_final_stats=1 2>&1 | tail -n 40)
  rm -rf "$fuzz_corpus"
done

echo "== in-browser tests"
runner_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sandbox_out=$(mktemp)
target/debug/postern-sandbox --allow-origin "http://127.0.0.1:$runner_port" >"$sandbox_out" &
sandbox=$!
trap 'kill $sandbox 2>/dev/null; wait $sandbox 2>/dev/null; rm -f "$sandbox_out" "$results"' EXIT
for _ in $(seq 300); do
  grep -q '^POSTERN_TUNNEL_URL=' "$sandbox_out" && break
  kill -0 $sandbox 2>/dev/null || { echo "postern-sandbox failed to start" >&2; exit 1; }
  sleep 0.1
done
tunnel_url=$(sed -n 's/^POSTERN_TUNNEL_URL=//p' "$sandbox_out")
[ -n "$tunnel_url" ] || { echo "postern-sandbox did not report its tunnel URL" >&2; exit 1; }

# The test runner serves its page on this address; the sandbox allows that origin.
WASM_BINDGEN_TEST_ADDRESS="127.0.0.1:$runner_port" \
POSTERN_TEST_TUNNEL_URL="$tunnel_url" \
  tally wasm-pack test --headless --chrome --chromedriver "$(command -v chromedriver)" --mode no-install web

# One total across every runner above.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "total: %d passed, %d failed\n", p, f }' "$results"
