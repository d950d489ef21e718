#!/usr/bin/env bash
# Installs what Postern's demo and test suite need, skipping whatever is already there.
# Safe to run again and again: every step checks before it installs.
#
# Why each piece:
#   dovecot-imapd/pop3d  the real mail server the tests and the demo talk to
#   dovecot-lmtpd        where the test MTA delivers what Postern sends
#   postfix              the real SMTP submission server of the tests (run from a
#                        temp directory per test; the system service is not used)
#   chromium + driver    the real browser for wasm-bindgen tests and end-to-end tests
#   openssl              makes the self-signed certificates of the test servers
#   wasm32 target        the browser half of Postern is Rust compiled to WebAssembly
#   wasm-bindgen-cli     must be exactly the version Cargo.lock pins, or bindings mismatch
#   wasm-pack            builds the page bundle and runs the in-browser tests
#   cargo-fuzz           the fuzz harness of the IMAP response path (stable Rust,
#                        without a sanitizer)
#   Courier-IMAP         a second real IMAP server for the interop tests; its packages
#                        conflict with Dovecot's (apt would silently remove Dovecot),
#                        so they are downloaded and unpacked into $tools/courier,
#                        never installed; the libraries they need come from apt
#   Cyrus IMAP           the third real IMAP server: cyrus-common, cyrus-admin and
#                        sasl2-bin from apt (they leave Dovecot alone); the imapd of
#                        cyrus-imapd, which conflicts, unpacked into $tools/cyrus
#   nginx-light, caddy   the reverse proxies of deploy/, run by the deployment tests
#                        from temp directories (the system services are not used)
#   axe-core (npm)       the accessibility checks the end-to-end tests run in the page
#   binaryen (npm)       a wasm-opt new enough for wasm-bindgen 0.2.13x; Debian's 108
#                        silently corrupts its output, so ours goes first on PATH
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
tools="${POSTERN_TOOLS:-$HOME/.cache/postern-tools}"
mkdir -p "$tools"

log() { printf '[setup] %s\n' "$*" >&2; }

need_apt=()
[ -x /usr/lib/dovecot/imap ] || need_apt+=(dovecot-imapd)
[ -x /usr/lib/dovecot/pop3 ] || need_apt+=(dovecot-pop3d)
[ -x /usr/lib/dovecot/lmtp ] || need_apt+=(dovecot-lmtpd)
[ -x /usr/sbin/postfix ] || need_apt+=(postfix)
command -v chromium >/dev/null || need_apt+=(chromium)
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
[ -x /usr/lib/cyrus/bin/master ] || need_apt+=(cyrus-common cyrus-admin)
command -v saslpasswd2 >/dev/null || need_apt+=(sasl2-bin)
# The reverse proxies of deploy/, run by the deployment tests from temp dirs.
command -v nginx >/dev/null || need_apt+=(nginx-light)
command -v caddy >/dev/null || need_apt+=(caddy)
# systemd-analyze checks deploy/systemd/postern.service (verify, security --offline).
command -v systemd-analyze >/dev/null || need_apt+=(systemd)
command -v curl >/dev/null || need_apt+=(curl)
# Libraries of the unpacked Courier (ordinary packages, no conflict with Dovecot).
for lib in libidn12 libltdl7 libpcre3 libgdbm6 libgnutls30; do
  dpkg -s "$lib" >/dev/null 2>&1 || need_apt+=("$lib")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup: wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# The wasm-bindgen CLI must match the library version in Cargo.lock exactly.
wb_version=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' "$here/Cargo.lock")
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  log "cargo install wasm-bindgen-cli $wb_version (about 12 minutes cold)"
  # Not --locked: one locked dependency of the CLI is no longer on the registry.
  cargo install wasm-bindgen-cli --version "$wb_version" --force
fi

# Tool versions are pinned: a newer release may need a newer Rust than this machine's.
if ! command -v wasm-pack >/dev/null; then
  log "cargo install wasm-pack (about 7 minutes cold)"
  cargo install wasm-pack --version 0.15.1
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  log "cargo install cargo-fuzz (about 2 minutes cold)"
  cargo install cargo-fuzz --version 0.13.2
fi

if [ ! -x "$tools/node_modules/.bin/wasm-opt" ]; then
  log "npm: binaryen@132"
  npm install --prefix "$tools" --no-audit --no-fund --silent binaryen@132
fi

if [ ! -f "$tools/node_modules/axe-core/axe.min.js" ]; then
  log "npm: axe-core@4.14.1"
  npm install --prefix "$tools" --no-audit --no-fund --silent axe-core@4.14.1
fi

courier="$tools/courier"
if [ ! -x "$courier/usr/bin/imapd" ]; then
  log "apt-get download + dpkg-deb -x: Courier-IMAP into $courier (not installed)"
  debs=$(mktemp -d)
  # apt-get download writes into the current directory, as the _apt user if it can.
  chmod 777 "$debs"
  (cd "$debs" && apt-get download -qq courier-imap courier-base courier-authdaemon \
    courier-authlib courier-authlib-userdb libcourier-unicode4 libgamin0 2>/dev/null) || {
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    (cd "$debs" && apt-get download -qq courier-imap courier-base courier-authdaemon \
      courier-authlib courier-authlib-userdb libcourier-unicode4 libgamin0)
  }
  mkdir -p "$courier.partial"
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$courier.partial"; done
  rm -rf "$debs" "$courier"
  mv "$courier.partial" "$courier"
fi

cyrus="$tools/cyrus"
if [ ! -x "$cyrus/usr/lib/cyrus/bin/imapd" ]; then
  log "apt-get download + dpkg-deb -x: cyrus-imapd into $cyrus (not installed)"
  debs=$(mktemp -d)
  chmod 777 "$debs"
  (cd "$debs" && apt-get download -qq cyrus-imapd)
  mkdir -p "$cyrus.partial"
  dpkg-deb -x "$debs"/cyrus-imapd_*.deb "$cyrus.partial"
  rm -rf "$debs" "$cyrus"
  mv "$cyrus.partial" "$cyrus"
fi
