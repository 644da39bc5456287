# The click rows of bench/run.sh, which sources this file at its end (it uses run.sh's database, servers and
# functions): `GET /c/{code}?sub1=..&sub2=..` driven by wrk with bench/clicks.lua at 64 connections, spread over the
# 500 seeded partners and all on one partner, without and then with a daily click cap on every assignment, on one and
# two server processes; after each set, the floor: pgbench running the click path's own SQL (bench/click.sql).

click_row() { # label ports partners floor-label: wrk, 2 threads (one per process when there are 2 ports)
  local json rss=""
  json=$(CLICK_PORTS="$2" CLICK_PARTNERS="$3" wrk -t2 -c"$CONCURRENCY" -d"${SECONDS_PER_RUN}s" --timeout 10s \
         -s "$ROOT/bench/clicks.lua" "http://127.0.0.1:${2%%,*}" | sed -n 's/^CLICKS //p')
  [ -n "$json" ] || die "wrk printed no result for $1"
  for p in "${pids[@]}"; do rss="$rss$(rss_mb "$p") MB "; done
  echo "$1|$4|$json|$rss" >>"$OUT/click_results"
  echo "$1: $json, server RSS: $rss" >&2
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
  log "clicks, $cap"
  start_server 18101
  click_row "1 process, spread, $cap" 18101 500 "clicks, spread, $cap"
  click_row "1 process, hot, $cap" 18101 1 "clicks, hot, $cap"
  start_server 18102
  click_row "2 processes, spread, $cap" 18101,18102 500 "clicks, spread, $cap"
  click_row "2 processes, hot, $cap" 18101,18102 1 "clicks, hot, $cap"
  stop_servers
  log "floor: pgbench with the click path's SQL, $cap"
  # :p as for leads (random over 500, or partner 0); :capped says whether the assignments have their click cap now.
  floor_file "$OUT/click-spread.sql" click.sql 'random(0, 499)' "$capped"
  floor_file "$OUT/click-hot.sql" click.sql 0 "$capped"
  floor "clicks, spread, $cap" "$OUT/click-spread.sql"
  floor "clicks, hot, $cap" "$OUT/click-hot.sql"
done

echo
echo "| run (clicks) | clicks/s | p50 ms | p99 ms | errors | server RSS | floor (pgbench tps) | ratio | floor p99 ms | p99 / floor p99 |"
echo "|---|---|---|---|---|---|---|---|---|---|"
while IFS='|' read -r label floor_label json rss; do
  read -r ftps fp99 < <(awk -F'|' -v l="$floor_label" '$1==l {print $2, $4}' "$OUT/floor")
  cps=$(json_field clicks_per_s "$json")
  p99=$(json_field p99_ms "$json")
  ratio=$(awk -v a="$cps" -v b="$ftps" 'BEGIN { if (b + 0 > 0) printf "%.2fx", a / b; else print "—" }')
  p99_ratio=$(awk -v a="$p99" -v b="$fp99" 'BEGIN { if (b + 0 > 0) printf "%.2fx", a / b; else print "—" }')
  echo "| $label | $cps | $(json_field p50_ms "$json") | $p99 | $(json_field errors "$json") | $rss | $ftps | $ratio | $fp99 | $p99_ratio |"
done <"$OUT/click_results"
echo
echo "| floor (pgbench, $CONCURRENCY clients) | tps | p50 ms | p99 ms |"
echo "|---|---|---|---|"
while IFS='|' read -r label tps p50 p99; do
  if [[ "$label" == clicks* ]]; then echo "| $label | $tps | $p50 | $p99 |"; fi
done <"$OUT/floor"
