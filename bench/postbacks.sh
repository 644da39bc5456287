# The postback rows of bench/run.sh (issue 16), which sources this file at its end (it uses run.sh's functions).
# Each row on a freshly seeded database (500 partners), one server process with POSTBACK_ALLOW_PRIVATE=1 (the
# receivers are on loopback) and POSTBACK_HOST_CONCURRENCY=16 (every partner's tracker is the same local host here,
# where in production each has its own), receivers from `partnerdesk-bench receive` (each request's delay from the
# lead's creation, read from the UUIDv7 `{lead_id}`, to its postback's arrival):
#   - leads spread at 64 clients without postbacks, then with 2 postbacks per lead (two receivers): the ingest ratio;
#   - 200 leads/s (16 clients, paced) with 2 postbacks per lead: the delay from the lead to each postback;
#   - 200 leads/s with one fast and one slow receiver (answers after 5 s): ingestion and the fast receiver unaffected.

stop_servers
PB_ENV="POSTBACK_ALLOW_PRIVATE=1 POSTBACK_HOST_CONCURRENCY=16 OUTBOX_POLL_MS=200"
rx_pids=()
receiver() { # port [delay ms]: listens for the row's seconds plus 15 s of draining, then prints its JSON
  "$LOAD" receive --port "$1" --seconds $((SECONDS_PER_RUN + 15)) --delay-ms "${2:-0}" >"$OUT/rx-$1" &
  rx_pids+=($!)
}
wait_receivers() { for p in "${rx_pids[@]}"; do wait "$p"; done; rx_pids=(); }
pb_row() { # label rate receivers...
  local label="$1" rate="$2"; shift 2
  SERVER_ENV="$PB_ENV" start_server 18101
  row "$label" "http://127.0.0.1:18101" 500 "$([ "$rate" = 0 ] && echo "$CONCURRENCY" || echo 16)" "$rate"
  wait_receivers
  local rx=""; for port in "$@"; do rx="$rx $(cat "$OUT/rx-$port")"; done
  echo "$label|$(tail -1 "$OUT/results" | cut -d'|' -f2)|$rx" >>"$OUT/pb_results"
  echo "$label: receivers$rx" >&2
  stop_servers
}

reset_db
pb_row "64 clients, no postbacks" 0
reset_db --postbacks 2 --postback-urls http://127.0.0.1:18190,http://127.0.0.1:18191
receiver 18190; receiver 18191
pb_row "64 clients, 2 postbacks per lead" 0 18190 18191
reset_db --postbacks 2 --postback-urls http://127.0.0.1:18190,http://127.0.0.1:18191
receiver 18190; receiver 18191
pb_row "200 leads/s, 2 postbacks per lead" 200 18190 18191
reset_db --postbacks 2 --postback-urls http://127.0.0.1:18192,http://localhost:18193
receiver 18192 5000; receiver 18193
pb_row "200 leads/s, one receiver answering in 5 s" 200 18192 18193

echo
echo "| run (postbacks) | leads/s | p50 ms | p99 ms | errors | receivers: arrived, delay from lead p50 / p99 / max ms |"
echo "|---|---|---|---|---|---|"
while IFS='|' read -r label json rx; do
  rxs=$( (echo "$rx" | grep -o '{[^}]*}' || true) | while read -r r; do
    printf '%s, %s / %s / %s; ' "$(json_field received "$r")" "$(json_field p50_ms "$r")" "$(json_field p99_ms "$r")" "$(json_field max_ms "$r")"
  done)
  echo "| $label | $(json_field leads_per_s "$json") | $(json_field p50_ms "$json") | $(json_field p99_ms "$json") | $(json_field errors "$json") | ${rxs:-—} |"
done <"$OUT/pb_results"
