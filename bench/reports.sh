#!/usr/bin/env bash
# Reporting benchmark on PostgreSQL: seeds a year of clicks and leads (20 campaigns, 500 partners) and the daily_stats
# rollup; through a release server, times the partner dashboard and one-year daily reports, p50 / p95, against the
# naive GROUP BY over the raw events in the same run; then, with two server processes, the time from POST /v1/leads
# on one to the statsChanged message on a subscriber of the other (1,000 leads).
# Usage: bench/reports.sh [EVENTS]   (default 1000000; PostgreSQL at BENCH_ADMIN_URL, default
# postgres://postgres@127.0.0.1:5432/test). The database pd_bench_reports_<EVENTS> is reset, and kept afterwards.
source "$(dirname "$0")/../scripts/lib.sh"
ensure_rust
EVENTS="${1:-1000000}"
ADMIN="${BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/test}"
DB_NAME="pd_bench_reports_$EVENTS"
DB_URL="${ADMIN%/*}/$DB_NAME"
RUNS="${BENCH_RUNS:-200}"
NAIVE_RUNS="${BENCH_NAIVE_RUNS:-20}"
BUDGET="${BENCH_BUDGET_SECONDS:-180}"
LEADS="${BENCH_LEADS:-1000}"
SECRET=bench-secret-bench-secret-bench-secret

cargo build --release --locked -p partnerdesk -p partnerdesk-bench
BIN="$CARGO_TARGET_DIR/release/partnerdesk"
BENCH="$CARGO_TARGET_DIR/release/partnerdesk-bench"
OUT="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$OUT"; }
trap cleanup EXIT

start_server() { # port
  DATABASE_URL="$DB_URL" DATA_DIR="$OUT" JWT_SECRET="$SECRET" LISTEN_ADDR="127.0.0.1:$1" \
    KEY_RATE_LIMIT=off RUST_LOG=warn LOG_FORMAT=json "$BIN" serve >"$OUT/server-$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$1/ready" >/dev/null && return; sleep 0.1; done
  die "server on $1 did not start"
}

started=$(date +%s)
log "resetting $DB_NAME and seeding $EVENTS events"
psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "CREATE DATABASE $DB_NAME" >/dev/null
verify=(); [ "$EVENTS" -le 1000000 ] && verify=(--verify)
seed=$("$BENCH" seed-events --database-url "$DB_URL" --events "$EVENTS" "${verify[@]}")
echo "seeded: $seed" >&2

start_server 18111
start_server 18112
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "reports: up to $RUNS runs through the API, up to $NAIVE_RUNS of the naive GROUP BY (at most ${BUDGET}s each)"
label=$(echo "$EVENTS" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta') # 10000000 -> 10,000,000
"$BENCH" reports --url http://127.0.0.1:18112 --database-url "$DB_URL" --events "$label" \
  --runs "$RUNS" --naive-runs "$NAIVE_RUNS" --budget-seconds "$BUDGET" >"$OUT/table"
cat "$OUT/table" >&2
log "live: $LEADS leads to :18111, subscriber on :18112"
live=$("$BENCH" live --ingest-url http://127.0.0.1:18111 --subscribe-url http://127.0.0.1:18112 \
  --database-url "$DB_URL" --leads "$LEADS")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
for p in "${pids[@]}"; do kill "$p"; done
pids=()

echo
echo "| events | query | p50 ms | p95 ms | naive GROUP BY p50 ms | naive p95 ms | ratio (p50) | runs (API / naive) |"
echo "|---|---|---|---|---|---|---|---|"
cat "$OUT/table"
echo
echo "seeding: $seed"
echo "live, POST /v1/leads on :18111 to statsChanged on :18112: $live"
echo "load average (1, 5, 15 min) before the measurements: $load_before; after: $load_after"
echo "whole run: $(( $(date +%s) - started )) s"
