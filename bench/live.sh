# The live-at-scale rows of bench/run.sh (issue 15, item 5), which sources this file at its end (it uses run.sh's
# functions): two server processes on the seeded PostgreSQL database (500 partners), 10,000 partner dashboards
# (`statsChanged` over graphql-ws, 20 per partner) spread over both, then 200 leads one after another (each for a
# partner drawn at random, 50 to 250 ms apart): the delay from each POST to each of that partner's 20 dashboards'
# message, and the servers' resident memory with every socket open (the highest sampled, once a second).

stop_servers
SUBSCRIBERS="${LIVE_SUBSCRIBERS:-10000}"
# One descriptor per socket in the load generator (and half as many in each server): as many as the hard limit allows.
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt $((SUBSCRIBERS + 1000)) ] || die "open files limit $(ulimit -n) is too low for $SUBSCRIBERS subscribers"
reset_db
start_server 18101
start_server 18102
rss_log="$OUT/live-rss"
( while sleep 1; do echo "$(rss_mb "${pids[0]}") $(rss_mb "${pids[1]}")" >>"$rss_log" 2>/dev/null || exit 0; done ) &
sampler=$!
live_json=$("$LOAD" live-scale --urls http://127.0.0.1:18101,http://127.0.0.1:18102 --database-url "$DB_URL" \
  --jwt-secret bench-secret-bench-secret-bench-secret --campaign "$CAMPAIGN" --subscribers "$SUBSCRIBERS" --leads 200)
kill "$sampler" 2>/dev/null || true
stop_servers
peak=$(awk '{ if ($1 > a) a = $1; if ($2 > b) b = $2 } END { printf "%s MB, %s MB", a, b }' "$rss_log")
echo
echo "| live at scale | subscribers | connected in | leads | notified | missed | stray | p50 ms | p99 ms | max ms | peak RSS per process |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
connect=$(echo "$live_json" | head -1); result=$(echo "$live_json" | tail -1)
echo "| 2 processes | $(json_field subscribers "$result") | $(json_field connect_s "$connect") s | $(json_field leads "$result") | $(json_field notified "$result") | $(json_field missed "$result") | $(json_field stray_messages "$result") | $(json_field p50_ms "$result") | $(json_field p99_ms "$result") | $(json_field max_ms "$result") | $peak |"
