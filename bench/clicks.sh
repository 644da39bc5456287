# The click rows of bench/run.sh, which sources this file at its end (it uses run.sh's database, servers and
# functions): `GET /c/{code}?sub1=..&sub2=..` driven by wrk with bench/clicks.lua at 64 connections, spread over the
# 500 seeded partners and all on one partner, without and then with a daily click cap on every assignment, on one and
# two server processes. Each row is followed at once by its floor, pgbench running the click path's own SQL
# (bench/click.sql) on the same partners: these shared machines' throughput drifts by a quarter from one minute to the
# next, so a row is set against the floor measured beside it, not minutes later. The servers stay up (idle) while
# their row's floor runs. Each measurement, server or floor, starts on a vacuumed database: these machines'
# PostgreSQL runs without autovacuum, and the rollups' few rows would otherwise carry tens of thousands of dead
# versions from the measurements before (campaign_stats: 32 rows, 31,265 dead after a run), as production's
# autovacuum would not let them.

click_row() { # label ports partners: wrk, 2 threads (one per process when there are 2 ports), then the floor
  local json rss="" kind=spread p='random(0, 499)'
  [ "$3" = 1 ] && kind=hot && p=0
  vacuum
  json=$(CLICK_PORTS="$2" CLICK_PARTNERS="$3" wrk -t2 -c"$CONCURRENCY" -d"${SECONDS_PER_RUN}s" --timeout 10s \
         -s "$ROOT/bench/clicks.lua" "http://127.0.0.1:${2%%,*}" | sed -n 's/^CLICKS //p')
  [ -n "$json" ] || die "wrk printed no result for $1"
  for pid in "${pids[@]}"; do rss="$rss$(rss_mb "$pid") MB "; done
  echo "$1: $json, server RSS: $rss" >&2
  floor_file "$OUT/click-$kind.sql" click.sql "$p" "$capped"
  vacuum
  floor "$1" "$OUT/click-$kind.sql"
  echo "$1|$1|$json|$rss" >>"$OUT/click_results"
}

stop_servers
for cap in "no cap" "click cap"; do
  capped=0
  if [[ "$cap" == "click cap" ]]; then
    log "adding a daily click cap to every assignment (far above what a run sends: every click updates its counter)"
    psql "$DB_URL" -qc "INSERT INTO caps (id, assignment_id, metric, period, limit_count)
                        SELECT gen_random_uuid(), id, 'CLICK', 'DAILY', 100000000 FROM campaign_assignments" >/dev/null
    capped=1
  fi
  log "clicks, $cap (each row, then its floor)"
  start_server 18101
  click_row "1 process, spread, $cap" 18101 500
  click_row "1 process, hot, $cap" 18101 1
  start_server 18102
  click_row "2 processes, spread, $cap" 18101,18102 500
  click_row "2 processes, hot, $cap" 18101,18102 1
  stop_servers
done

echo
echo "| run (clicks) | clicks/s | p50 ms | p99 ms | errors | server RSS | floor (pgbench tps) | ratio | floor p50 ms | floor p99 ms | p99 / floor p99 |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
while IFS='|' read -r label floor_label json rss; do
  read -r ftps fp50 fp99 < <(awk -F'|' -v l="$floor_label" '$1==l {print $2, $3, $4}' "$OUT/floor")
  cps=$(json_field clicks_per_s "$json")
  p99=$(json_field p99_ms "$json")
  echo "| $label | $cps | $(json_field p50_ms "$json") | $p99 | $(json_field errors "$json") | $rss | $ftps | $(ratio "$cps" "$ftps") | $fp50 | $fp99 | $(ratio "$p99" "$fp99") |"
done <"$OUT/click_results"
