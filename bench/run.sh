#!/usr/bin/env bash
# Lead-ingestion benchmark on PostgreSQL: one and two server processes, 64 concurrent clients, caps on, traffic spread
# over 500 partners and all on one partner; and, in the same run, the floor: pgbench running the ingest transaction.
# Then the same for clicks (bench/clicks.sh, sourced at the end: `GET /c/{code}` driven by wrk, without and with a
# click cap, beside pgbench running bench/click.sql).
# Then postback rows (bench/postbacks.sh): ingestion with two postbacks per lead, the delay to the receivers.
# Usage: bench/run.sh   (PostgreSQL at BENCH_ADMIN_URL, default postgres://postgres@127.0.0.1:5432/test;
#        BENCH_SECONDS per row, default 20; BENCH_SERVER a server binary other than this checkout's; BENCH_ONLY=traffic
#        (the lead and click rows), clicks (the click rows alone, on a freshly seeded database), postbacks, quality,
#        sqlite, live, cpu or ceiling for those rows alone; BENCH_ONLY=ab
#        with BENCH_BASELINE=<server binary>: that build against this one on leads, beside the floor, bench/ab.sh)
# Then lead-quality rows (bench/quality.sh): declared fields and a duplicate rule against free-form fields.
# Then the embedded default (bench/sqlite.sh): SQLite at 1, 8 and 64 clients beside a minimal program's floor.
# Then live at scale (bench/live.sh): 10,000 dashboards over two processes, each lead to its partner's dashboards.
# Then where the time goes (bench/cpu.sh): CPU per lead and per click by part (server, PostgreSQL, load generator).
# Then the ceiling (bench/ceiling.sh): the floors' statements served over HTTP by a server doing nothing else.
source "$(dirname "$0")/../scripts/lib.sh"
ensure_rust
command -v wrk >/dev/null || apt_install wrk
ADMIN="${BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/test}"
DB_URL="${ADMIN%/*}/pd_bench"
SECONDS_PER_RUN="${BENCH_SECONDS:-20}"
CONCURRENCY=64

# BENCH_SERVER: another server binary to measure (a build of another commit, for an A/B run); else this checkout's.
if [ -n "${BENCH_SERVER:-}" ]; then
  cargo build --release --locked -p partnerdesk-bench
  BIN="$BENCH_SERVER"
else
  cargo build --release --locked -p partnerdesk -p partnerdesk-bench
  BIN="$CARGO_TARGET_DIR/release/partnerdesk"
fi
LOAD="$CARGO_TARGET_DIR/release/partnerdesk-bench"
OUT="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$OUT"; }
trap cleanup EXIT

reset_db() { # [more seed arguments, e.g. --postbacks 2 --postback-urls ..]
  psql "$ADMIN" -qc "DROP DATABASE IF EXISTS pd_bench WITH (FORCE)" -c "CREATE DATABASE pd_bench" >/dev/null
  DATABASE_URL="$DB_URL" DATA_DIR="$OUT" JWT_SECRET=bench-secret-bench-secret-bench-secret "$BIN" migrate >/dev/null
  CAMPAIGN=$("$LOAD" seed --database-url "$DB_URL" --partners 500 "$@")
}

vacuum() { psql "$DB_URL" -qc "VACUUM ANALYZE" >/dev/null; }

# A freshly seeded database has no leads: each backend plans the foreign-key checks of a lead's history against an
# empty table (a sequential scan), and keeps that plan while it lives, which slowed a run's first rows by half. A few
# seconds of leads and clicks through a server fill it, VACUUM ANALYZE updates the statistics, and the measured
# servers start with new connections, as the floors' pgbench does on the database the rows before it filled.
warm_up() {
  start_server 18109
  LEAD_CAMPAIGN="$CAMPAIGN" LEAD_PARTNERS=500 wrk -t2 -c"$CONCURRENCY" -d5s -s "$ROOT/bench/leads.lua" http://127.0.0.1:18109 >/dev/null
  CLICK_PORTS=18109 CLICK_PARTNERS=500 wrk -t2 -c"$CONCURRENCY" -d5s -s "$ROOT/bench/clicks.lua" http://127.0.0.1:18109 >/dev/null
  stop_servers
  vacuum
}

start_server() { # port (SERVER_ENV: more settings, e.g. "POSTBACK_ALLOW_PRIVATE=1")
  env ${SERVER_ENV:-} DATABASE_URL="$DB_URL" DATA_DIR="$OUT" JWT_SECRET=bench-secret-bench-secret-bench-secret LISTEN_ADDR="127.0.0.1:$1" \
    KEY_RATE_LIMIT=off RUST_LOG=warn LOG_FORMAT=json "$BIN" serve >"$OUT/server-$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$1/ready" >/dev/null && return; sleep 0.1; done
  die "server on $1 did not start"
}

stop_servers() { # and wait until they are gone, so that their ports are free for the next ones
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  pids=()
}

json_field() { echo "$2" | sed "s/.*\"$1\":\([0-9.]*\).*/\1/"; } # name json

rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

row() { # label urls keys [concurrency] [rate]
  local json; json=$("$LOAD" load --urls "$2" --campaign "$CAMPAIGN" --keys "$3" --concurrency "${4:-$CONCURRENCY}" --seconds "$SECONDS_PER_RUN" --rate "${5:-0}" ${LOAD_ARGS:-})
  local rss=""; for p in "${pids[@]}"; do rss="$rss$(rss_mb "$p") MB "; done
  echo "$1|$json|$rss" >>"$OUT/results"
  echo "$1: $json, server RSS: $rss" >&2
}

floor_file() { # out floor-file p [capped]: a floor's statements for pgbench, with :p (and :capped) set first
  { printf '\\set p %s\n' "$3"; [ -z "${4:-}" ] || printf '\\set capped %s\n' "$4"; cat "$ROOT/bench/$2"; } >"$1"
}

floor() { # label script: tps, and p50 / p99 of the transactions' latency from pgbench's per-transaction log
  rm -f "$OUT"/pgb.*
  local tps pct
  tps=$(cd "$OUT" && pgbench -n -M prepared -c $CONCURRENCY -j 2 -T "$SECONDS_PER_RUN" -l --log-prefix=pgb -f "$2" "$DB_URL" 2>/dev/null \
        | awk '/^tps/ {print int($3)}' | head -1)
  pct=$(cat "$OUT"/pgb.* | awk '{print $3 / 1000}' | sort -n \
        | awk '{a[NR] = $1} END {printf "%.1f|%.1f", a[int(NR * 0.5)], a[int(NR * 0.99)]}')
  echo "$1|$tps|$pct" >>"$OUT/floor"
  echo "floor $1: $tps tps, p50|p99 ms $pct" >&2
}

# CPU by part for one row (bench/cpu.sh, bench/ceiling.sh): the server processes in pids, the load generator, the rest.
ticks_of() { # pids...: their user + system CPU in clock ticks
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  echo "$t"
}
busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; } # the machine's busy ticks, all cores
cpu_row() { # label ops-field command...: runs the command (wrk or pgbench); a row of CPU ms per operation by part,
  # appended to $OUT/$CPU_RESULTS
  local label="$1" field="$2"; shift 2
  local hz srv0 all0 srv1 all1 out gen ops
  hz=$(getconf CLK_TCK)
  srv0=$(ticks_of "${pids[@]}"); all0=$(busy)
  out=$( { /usr/bin/time -f 'TIME %U %S' "$@"; } 2>&1 )
  srv1=$(ticks_of "${pids[@]}"); all1=$(busy)
  gen=$(echo "$out" | awk '/^TIME/ {print $2 + $3}')
  ops=$(echo "$out" | sed -n "s/.*\"$field\":\([0-9]*\).*/\1/p; s/^number of transactions actually processed: \([0-9]*\).*/\1/p" | head -1)
  [ -n "$ops" ] && [ "$ops" -gt 0 ] || die "no operations counted for $label: $out"
  # The rest of the machine's busy time: PostgreSQL (backends, WAL writer..) and the kernel's loopback networking.
  awk -v l="$label" -v n="$ops" -v s=$((srv1 - srv0)) -v a=$((all1 - all0)) -v g="$gen" -v hz="$hz" -v t="$SECONDS_PER_RUN" 'BEGIN {
    sv = s / hz * 1000 / n; gn = g * 1000 / n; all = a / hz * 1000 / n
    printf "| %s | %.0f | %.3f | %.3f | %.3f | %.3f |\n", l, n / t, sv, all - sv - gn, gn, all }' >>"$OUT/$CPU_RESULTS"
  tail -1 "$OUT/$CPU_RESULTS" >&2
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.2fx", a / b; else print "—" }'; }

# BENCH_ONLY=traffic, postbacks, quality, sqlite, live, cpu or ceiling: those rows alone (bench/postbacks.sh,
# bench/quality.sh, bench/sqlite.sh, bench/live.sh, bench/cpu.sh, bench/ceiling.sh).
if [ -z "${BENCH_ONLY:-}" ] || [ "$BENCH_ONLY" = traffic ]; then
log "resetting pd_bench and seeding 500 partners"
reset_db
warm_up
start_server 18101
row "1 process, spread" "http://127.0.0.1:18101" 500
# The same row with wrk (C) as the load generator instead of partnerdesk-bench (Rust, on the same 2 cores).
wrk_json=$(LEAD_CAMPAIGN="$CAMPAIGN" LEAD_PARTNERS=500 wrk -t2 -c"$CONCURRENCY" -d"${SECONDS_PER_RUN}s" --timeout 10s \
  -s "$ROOT/bench/leads.lua" "http://127.0.0.1:18101" | sed -n 's/^LEADS //p')
echo "1 process, spread, wrk|$wrk_json|$(rss_mb "${pids[0]}") MB " >>"$OUT/results"
echo "1 process, spread, wrk: $wrk_json" >&2
row "1 process, hot" "http://127.0.0.1:18101" 1
start_server 18102
row "2 processes, spread" "http://127.0.0.1:18101,http://127.0.0.1:18102" 500
row "2 processes, hot" "http://127.0.0.1:18101,http://127.0.0.1:18102" 1
# Latency at a lighter load (fewer clients in flight), for the p99 discussion in bench/README.md.
row "2 processes, spread, 16 clients" "http://127.0.0.1:18101,http://127.0.0.1:18102" 500 16
for p in "${pids[@]}"; do kill "$p"; done
pids=()

log "floor: pgbench with the ingest transaction"
# pgbench has no per-client random in -D; spread draws :p inside the script instead.
floor_file "$OUT/spread.sql" ingest.sql 'random(0, 499)'
floor_file "$OUT/hot.sql" ingest.sql 0
# The same writes as one statement, as the server now sends them on PostgreSQL (bench/ingest-batch.sql).
floor_file "$OUT/spread-batch.sql" ingest-batch.sql 'random(0, 499)'
floor_file "$OUT/hot-batch.sql" ingest-batch.sql 0
floor spread "$OUT/spread.sql"
floor hot "$OUT/hot.sql"
floor "spread, one statement" "$OUT/spread-batch.sql"
floor "hot, one statement" "$OUT/hot-batch.sql"

floor_of() { awk -F'|' -v l="$1" '$1==l {print $2}' "$OUT/floor"; }
echo
echo "| run | leads/s | p50 ms | p99 ms | errors | server RSS | floor: ingest.sql (tps) | ratio | floor: one statement (tps) | ratio |"
echo "|---|---|---|---|---|---|---|---|---|---|"
while IFS='|' read -r label json rss; do
  kind=spread; [[ "$label" == *hot* ]] && kind=hot
  floor=$(floor_of "$kind"); batch=$(floor_of "$kind, one statement")
  [[ "$label" == *clients* ]] && floor="—" && batch="—"
  lps=$(echo "$json" | sed 's/.*"leads_per_s":\([0-9.]*\).*/\1/')
  p50=$(echo "$json" | sed 's/.*"p50_ms":\([0-9.]*\).*/\1/')
  p99=$(echo "$json" | sed 's/.*"p99_ms":\([0-9.]*\).*/\1/')
  err=$(echo "$json" | sed 's/.*"errors":\([0-9]*\).*/\1/')
  echo "| $label | ${lps%.*} | $p50 | $p99 | $err | $rss | $floor | $(ratio "$lps" "$floor") | $batch | $(ratio "$lps" "$batch") |"
done <"$OUT/results"
echo
echo "| floor (pgbench, $CONCURRENCY clients) | tps | p50 ms | p99 ms |"
echo "|---|---|---|---|"
while IFS='|' read -r label tps p50 p99; do echo "| $label | $tps | $p50 | $p99 |"; done <"$OUT/floor"

log "clicks"
source "$ROOT/bench/clicks.sh"
fi
if [ "${BENCH_ONLY:-}" = clicks ]; then
  log "resetting pd_bench and seeding 500 partners"
  reset_db
  warm_up
  log "clicks"
  source "$ROOT/bench/clicks.sh"
fi
if [ "${BENCH_ONLY:-postbacks}" = postbacks ]; then
  log "postbacks"
  source "$ROOT/bench/postbacks.sh"
fi
if [ "${BENCH_ONLY:-quality}" = quality ]; then
  log "lead quality"
  source "$ROOT/bench/quality.sh"
fi
if [ "${BENCH_ONLY:-sqlite}" = sqlite ]; then
  log "SQLite (the embedded default)"
  source "$ROOT/bench/sqlite.sh"
fi
if [ "${BENCH_ONLY:-live}" = live ]; then
  log "live at scale"
  source "$ROOT/bench/live.sh"
fi
if [ "${BENCH_ONLY:-cpu}" = cpu ]; then
  log "CPU per lead and per click"
  source "$ROOT/bench/cpu.sh"
fi
if [ "${BENCH_ONLY:-ceiling}" = ceiling ]; then
  log "the ceiling: the floors' statements over HTTP"
  source "$ROOT/bench/ceiling.sh"
fi
if [ "${BENCH_ONLY:-}" = ab ]; then
  log "A/B: $BENCH_BASELINE against this build, on leads"
  source "$ROOT/bench/ab.sh"
fi
