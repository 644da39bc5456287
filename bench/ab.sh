# An A/B of two server builds on leads (bench/run.sh sources this file with BENCH_ONLY=ab; it uses run.sh's database,
# servers and functions): BENCH_BASELINE (a server binary, e.g. an earlier commit's release build) and this checkout's
# server (or BENCH_SERVER), each one process driven by partnerdesk-bench (64 clients, spread over the 500 partners),
# alternated three times with pgbench running the lead floor (bench/ingest-batch.sql), so that a change's gain is read
# against the other build and the floor in one run, not across runs on a noisy machine.

# Each build's row runs on a database it migrated, seeded and warmed itself: two builds may differ in schema, and a
# server refuses a database with a migration it does not know.

[ -n "${BENCH_BASELINE:-}" ] && [ -x "$BENCH_BASELINE" ] || die "BENCH_BASELINE: the server binary to compare with"
floor_file "$OUT/ab-floor.sql" ingest-batch.sql 'random(0, 499)'
measured="$BIN"
ab_row() { # label binary
  BIN="$2"
  reset_db
  warm_up
  start_server 18101
  row "$1" http://127.0.0.1:18101 500
  stop_servers
}
for round in 1 2 3; do
  ab_row "baseline, round $round" "$BENCH_BASELINE"
  ab_row "this build, round $round" "$measured"
  floor "floor, round $round" "$OUT/ab-floor.sql"
done
BIN="$measured"
echo
echo "| run (64 clients, spread, 1 process) | leads/s | p50 ms | p99 ms |"
echo "|---|---|---|---|"
while IFS='|' read -r label json _; do
  echo "| $label | $(json_field leads_per_s "$json") | $(json_field p50_ms "$json") | $(json_field p99_ms "$json") |"
done <"$OUT/results"
while IFS='|' read -r label tps p50 p99; do echo "| $label (pgbench) | $tps | $p50 | $p99 |"; done <"$OUT/floor"
