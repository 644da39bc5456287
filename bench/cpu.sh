# "Where the time goes" rows of bench/run.sh (issue 15, item 6), which sources this file (it uses run.sh's database,
# servers and functions): the CPU time each part spends per lead and per click, one server process, 64 connections
# from wrk, spread over the 500 seeded partners; beside each, pgbench running the path's floor. CPU from /proc
# (user + system): the server process (/proc/<pid>/stat), the load generator (wrk or pgbench, by time(1)), and the
# rest of the machine's busy time (/proc/stat): PostgreSQL's processes and the kernel's loopback networking. On these
# 2 cores the throughput is about 2 cores divided by the sum, so the sum per operation is the figure to lower, and its
# parts say where.

ticks_of() { # pids...: their user + system CPU in clock ticks
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  echo "$t"
}
busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; } # the machine's busy ticks, all cores
cpu_row() { # label ops-field command...: runs the command (wrk or pgbench), prints CPU ms per operation by part
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
    printf "| %s | %.0f | %.3f | %.3f | %.3f | %.3f |\n", l, n / t, sv, all - sv - gn, gn, all }' >>"$OUT/cpu_results"
  tail -1 "$OUT/cpu_results" >&2
}

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
sed 's/^WITH a AS/\\set p random(0, 499)\nWITH a AS/' "$ROOT/bench/ingest-batch.sql" >"$OUT/cpu-lead-floor.sql"
{ printf '\\set p random(0, 499)\n\\set capped 0\n'; cat "$ROOT/bench/click.sql"; } >"$OUT/cpu-click-floor.sql"
for f in lead click; do
  cpu_row "$f floor (pgbench)" none pgbench -n -M prepared -c "$CONCURRENCY" -j 2 -T "$SECONDS_PER_RUN" \
    -f "$OUT/cpu-$f-floor.sql" "$DB_URL"
done

echo
echo "| run (64 connections, spread, 1 process) | per s | server CPU ms / op | PostgreSQL and kernel CPU ms / op | load generator CPU ms / op | machine CPU ms / op |"
echo "|---|---|---|---|---|---|"
cat "$OUT/cpu_results"
