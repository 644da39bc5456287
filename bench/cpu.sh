# "Where the time goes" rows of bench/run.sh (issue 15, item 6), which sources this file (it uses run.sh's database,
# servers and functions): the CPU time each part spends per lead and per click, one server process, 64 connections
# from wrk, spread over the 500 seeded partners; beside each, pgbench running the path's floor. CPU from /proc
# (user + system): the server process (/proc/<pid>/stat), the load generator (wrk or pgbench, by time(1)), and the
# rest of the machine's busy time (/proc/stat): PostgreSQL's processes and the kernel's loopback networking. On these
# 2 cores the throughput is about 2 cores divided by the sum, so the sum per operation is the figure to lower, and its
# parts say where (`cpu_row`, in run.sh).

CPU_RESULTS=cpu_results
stop_servers
reset_db
warm_up
start_server 18101
# pgbench's own count of transactions, and wrk's count of leads / clicks (bench/leads.lua, bench/clicks.lua).
cpu_row "leads, server (wrk)" leads env LEAD_CAMPAIGN="$CAMPAIGN" LEAD_PARTNERS=500 wrk -t2 -c"$CONCURRENCY" \
  -d"${SECONDS_PER_RUN}s" --timeout 10s -s "$ROOT/bench/leads.lua" http://127.0.0.1:18101
cpu_row "clicks, server (wrk)" clicks env CLICK_PORTS=18101 CLICK_PARTNERS=500 wrk -t2 -c"$CONCURRENCY" \
  -d"${SECONDS_PER_RUN}s" --timeout 10s -s "$ROOT/bench/clicks.lua" http://127.0.0.1:18101
stop_servers
floor_file "$OUT/cpu-lead-floor.sql" ingest-batch.sql 'random(0, 499)'
floor_file "$OUT/cpu-click-floor.sql" click.sql 'random(0, 499)' 0
for f in lead click; do
  cpu_row "$f floor (pgbench)" none pgbench -n -M prepared -c "$CONCURRENCY" -j 2 -T "$SECONDS_PER_RUN" \
    -f "$OUT/cpu-$f-floor.sql" "$DB_URL"
done

echo
echo "| run (64 connections, spread, 1 process) | per s | server CPU ms / op | PostgreSQL and kernel CPU ms / op | load generator CPU ms / op | machine CPU ms / op |"
echo "|---|---|---|---|---|---|"
cat "$OUT/cpu_results"
