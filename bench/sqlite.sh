# The embedded default's rows of bench/run.sh (issue 15, item 4), which sources this file at its end (it uses
# run.sh's functions): one server process on SQLite (WAL), leads (partnerdesk-bench load) and clicks (wrk with
# bench/clicks.lua) at 1, 8 and 64 clients over the 500 seeded partners with their three form caps; beside each, the
# floor: the same statements run by a minimal program on the same file with the server's settings
# (`partnerdesk-bench sqlite-floor`, bench/src/sqlite_floor.rs). Each pair starts from a freshly seeded file.

stop_servers
SQ_DIR="$OUT/sqlite"
SQ_URL="sqlite://$SQ_DIR/partnerdesk.db?mode=rwc"
sq_reset() {
  rm -rf "$SQ_DIR" && mkdir -p "$SQ_DIR"
  DATABASE_URL="$SQ_URL" DATA_DIR="$SQ_DIR" JWT_SECRET=bench-secret-bench-secret-bench-secret "$BIN" migrate >/dev/null
  CAMPAIGN=$("$LOAD" seed --database-url "$SQ_URL" --partners 500)
}
sq_pair() { # what clients
  local what="$1" c="$2" served floor
  sq_reset
  DB_URL="$SQ_URL" start_server 18101
  if [ "$what" = leads ]; then
    served=$("$LOAD" load --urls http://127.0.0.1:18101 --campaign "$CAMPAIGN" --keys 500 --concurrency "$c" \
             --seconds "$SECONDS_PER_RUN" | sed 's/leads_per_s/ops_per_s/')
  else
    served=$(CLICK_PARTNERS=500 wrk -t"$([ "$c" = 1 ] && echo 1 || echo 2)" -c"$c" -d"${SECONDS_PER_RUN}s" --timeout 10s \
             -s "$ROOT/bench/clicks.lua" http://127.0.0.1:18101 | sed -n 's/^CLICKS //p' | sed 's/clicks_per_s/ops_per_s/')
  fi
  stop_servers
  sq_reset
  floor=$("$LOAD" sqlite-floor --database-url "$SQ_URL" --what "$what" --clients "$c" --seconds "$SECONDS_PER_RUN")
  echo "$what|$c|$served|$floor" >>"$OUT/sq_results"
  echo "sqlite $what, $c clients: server $served, floor $floor" >&2
}
for what in leads clicks; do
  for c in 1 8 64; do sq_pair "$what" "$c"; done
done

echo
echo "| SQLite, one process | clients | server /s | p50 ms | p99 ms | errors | floor /s | floor p50 ms | floor p99 ms | ratio |"
echo "|---|---|---|---|---|---|---|---|---|---|"
while IFS='|' read -r what c served floor; do
  s=$(json_field ops_per_s "$served"); f=$(json_field ops_per_s "$floor")
  echo "| $what | $c | ${s%.*} | $(json_field p50_ms "$served") | $(json_field p99_ms "$served") | $(json_field errors "$served") | ${f%.*} | $(json_field p50_ms "$floor") | $(json_field p99_ms "$floor") | $(ratio "$s" "$f") |"
done <"$OUT/sq_results"
