# The ceiling rows of bench/run.sh (issue 15), which sources this file (it uses run.sh's database, servers and
# functions): what the least HTTP server on this stack reaches on these cores. `partnerdesk-bench ceiling`
# (bench/src/ceiling.rs) is actix-web answering each lead with the lead floor's one statement (ingest-batch.sql) and
# each click with the click floor's one (click.sql, no cap), prepared, on a sqlx pool, and nothing else. Driven by wrk
# with the server's own scripts (bench/leads.lua, bench/clicks.lua; 64 connections, spread over the 500 partners),
# alternated twice with the server and pgbench on the same files (64 connections, as issue 15's floor, and 16, as the
# pool), one process each; the CPU by part as bench/cpu.sh measures it. And the ceiling with the server's read before
# each lead's statement (the key and the target, one statement): what it costs. The ceiling's
# ratio to the floor bounds the server's: what it misses is the price of HTTP and of a server process on the cores
# PostgreSQL needs.

start_ceiling() { # port [pool] [more arguments]
  "$LOAD" ceiling --database-url "$DB_URL" --port "$1" --bench-dir "$ROOT/bench" --pool "${2:-16}" "${@:3}" \
    >"$OUT/ceiling-$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$1/c/none" && return; sleep 0.1; done
  die "the ceiling on $1 did not start: $(cat "$OUT/ceiling-$1.log")"
}

CPU_RESULTS=ceiling_results
stop_servers
reset_db
warm_up
# wrk as bench/cpu.sh runs it; the URL follows.
lead_wrk=(env LEAD_CAMPAIGN="$CAMPAIGN" LEAD_PARTNERS=500 wrk -t2 -c"$CONCURRENCY" -d"${SECONDS_PER_RUN}s" --timeout 10s
  -s "$ROOT/bench/leads.lua")
click_wrk=(env CLICK_PARTNERS=500 wrk -t2 -c"$CONCURRENCY" -d"${SECONDS_PER_RUN}s" --timeout 10s
  -s "$ROOT/bench/clicks.lua")
floor_file "$OUT/ceiling-lead-floor.sql" ingest-batch.sql 'random(0, 499)'
floor_file "$OUT/ceiling-click-floor.sql" click.sql 'random(0, 499)' 0
for round in 1 2; do
  start_ceiling 18111
  cpu_row "leads, ceiling (wrk), round $round" leads "${lead_wrk[@]}" http://127.0.0.1:18111
  cpu_row "clicks, ceiling (wrk), round $round" clicks "${click_wrk[@]}" http://127.0.0.1:18111
  stop_servers
  if [ "$round" = 1 ]; then # the pool as large as pgbench's connections: is the pool what holds the ceiling?
    start_ceiling 18111 64
    cpu_row "leads, ceiling with a pool of 64 (wrk)" leads "${lead_wrk[@]}" http://127.0.0.1:18111
    stop_servers
  fi
  # The server's read before each lead's statement (the key and the target, one statement): what it costs.
  start_ceiling 18111 16 --reads "$CAMPAIGN"
  cpu_row "leads, ceiling + the server's read (wrk), round $round" leads "${lead_wrk[@]}" http://127.0.0.1:18111
  stop_servers
  start_server 18101
  cpu_row "leads, server (wrk), round $round" leads "${lead_wrk[@]}" http://127.0.0.1:18101
  cpu_row "clicks, server (wrk), round $round" clicks "${click_wrk[@]}" http://127.0.0.1:18101
  stop_servers
  # The floors as issue 15 sets them (64 clients, one connection each), and with 16 connections: the pool the
  # server and the ceiling send their 64 clients' statements through.
  for f in lead click; do
    for c in "$CONCURRENCY" 16; do
      cpu_row "$f floor (pgbench, $c connections), round $round" none pgbench -n -M prepared -c "$c" -j 2 \
        -T "$SECONDS_PER_RUN" -f "$OUT/ceiling-$f-floor.sql" "$DB_URL"
    done
  done
done

echo
echo "| run (64 connections, spread, 1 process) | per s | server CPU ms / op | PostgreSQL and kernel CPU ms / op | load generator CPU ms / op | machine CPU ms / op |"
echo "|---|---|---|---|---|---|"
cat "$OUT/ceiling_results"
