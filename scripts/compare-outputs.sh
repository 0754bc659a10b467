#!/usr/bin/env bash
# Compares what this checkout writes with what a base revision writes, byte for byte: the
# simulator's captures and truth files, and `nids analyze`'s CSV, anomalies.jsonl and
# incidents.jsonl on the demo's captures and on each simulated scenario. For changes that
# must not change results (speed work). Usage: scripts/compare-outputs.sh [base-ref]
# (default: the merge base with main). Exit 0 when everything is identical. Settings in the
# environment reach both trees' runs: `NIDS_THREADS=2 scripts/compare-outputs.sh` compares
# the base on one thread with this checkout reading on two (a base without the setting
# ignores it).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
base="${1:-$(git -C "$here" merge-base HEAD main)}"
work="$(mktemp -d "${TMPDIR:-/tmp}/nids-compare.XXXXXX")"
trap 'git -C "$here" worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$here" worktree add -q --detach "$work/base" "$base"
ln -s "$here/node_modules" "$work/base/node_modules"

# name | simulate flags (a baseline and an input capture are simulated with seeds 1 and 2)
scenarios=(
  "demo|--duration 120"
  "all-attacks|--duration 300 --rate 20 --attacks portscan,synflood,dnstunnel,external,udpflood"
  "portscan|--duration 120 --attacks portscan"
  "synflood|--duration 120 --attacks synflood"
  "dnstunnel|--duration 120 --attacks dnstunnel"
  "external|--duration 120 --attacks external"
  "udpflood|--duration 120 --attacks udpflood"
)

run_tree() { # tree outdir flags
  local tree="$1" out="$2" flags="$3"
  mkdir -p "$out"
  # shellcheck disable=SC2086
  NIDS_FROM_SOURCE=1 node "$tree/bin/nids" simulate --out "$out/baseline.pcap" --seed 1 --duration "$(sed 's/.*--duration \([0-9]*\).*/\1/' <<<"$flags")" >/dev/null
  # shellcheck disable=SC2086
  NIDS_FROM_SOURCE=1 node "$tree/bin/nids" simulate --out "$out/input.pcap" --seed 2 $flags >/dev/null
  NIDS_FROM_SOURCE=1 node "$tree/bin/nids" analyze --baseline "$out/baseline.pcap" --input "$out/input.pcap" --out "$out/analyze" >/dev/null
}

status=0
for s in "${scenarios[@]}"; do
  name="${s%%|*}"
  flags="${s#*|}"
  run_tree "$work/base" "$work/out-base/$name" "$flags"
  run_tree "$here" "$work/out-new/$name" "$flags"
  for f in baseline.pcap input.pcap input.pcap.truth.jsonl analyze/five_tuple_with_anomaly.csv analyze/anomalies.jsonl analyze/incidents.jsonl; do
    a="$work/out-base/$name/$f"
    b="$work/out-new/$name/$f"
    # The wall-clock times of scoring and of incident reports are the only fields that may differ.
    if cmp -s <(LC_ALL=C sed 's/"scored_at":[0-9]*//g; s/"detected_at":[0-9]*//g; s/"reported_at":[0-9]*//g' "$a") <(LC_ALL=C sed 's/"scored_at":[0-9]*//g; s/"detected_at":[0-9]*//g; s/"reported_at":[0-9]*//g' "$b"); then
      echo "same      $name/$f ($(wc -c <"$b") bytes)"
    else
      echo "DIFFERENT $name/$f"
      status=1
    fi
  done
done
exit $status
