#!/usr/bin/env bash
# What the browser bundle is made of, by crate: builds the wasm with symbol names
# (the same release profile as the bundle, before wasm-bindgen and wasm-opt strip
# them) and sums twiggy's sizes per crate. Needs twiggy (cargo install twiggy).
# Figures are pre-wasm-opt bytes: use them as proportions, and the bundle's own
# gzip size (scripts/build-web.sh prints it) as the absolute figure.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release --target wasm32-unknown-unknown -p postern-web
wasm=target/wasm32-unknown-unknown/release/postern_web.wasm
twiggy top -n 1000000 --format csv "$wasm" | python3 -c '
import csv, re, sys, collections
sizes = collections.Counter()
for row in csv.DictReader(sys.stdin):
    name, size = row["Name"], int(row["ShallowSize"])
    if "function names" in name or "__wasm_bindgen_unstable" in name or name.startswith("\"producers"):
        continue  # stripped from the bundle
    if name.startswith("data segment") or name.startswith("data["):
        crate = "(read-only data: charset, entity and Unicode tables, strings)"
    else:
        m = re.match(r"^[<&*\s(]*(?:mut |const |dyn )?([a-z_][a-z0-9_]*)(?:\[[0-9a-f]+\])?::", name)
        # A generic impl (<(A, B) as nom::branch::Alt<..>>::choice) belongs to its trait.
        t = re.search(r" as ([a-z_][a-z0-9_]*)(?:\[[0-9a-f]+\])?::", name)
        crate = m.group(1) if m else t.group(1) if t else "(wasm-bindgen glue, function tables, other)"
    sizes[crate] += size
total = sum(sizes.values())
for crate, size in sizes.most_common(20):
    print(f"{size / 1024:8.1f} KiB {100 * size / total:5.1f}%  {crate}")
print(f"{total / 1024:8.1f} KiB total (before wasm-opt)")
'
