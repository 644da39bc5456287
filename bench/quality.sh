# The lead-quality rows of bench/run.sh (issue 17), which sources this file at its end (it uses run.sh's functions).
# Leads spread over 500 partners at 64 clients, each lead another person with 6 fields (email, phone, ZIP, state, an
# enum, a name), one server process, on a freshly seeded database each row: the campaign free-form (fields stored as
# sent), then the same campaign declaring the 6 fields (checked and normalised) with a phone duplicate rule (one claim
# per lead in its statement). Alternated twice, so that drift on these shared cores shows.

stop_servers
quality_row() { # label [seed arguments]
  local label="$1"; shift
  reset_db "$@"
  start_server 18101
  LOAD_ARGS=--people row "$label" "http://127.0.0.1:18101" 500
  echo "$label|$(tail -1 "$OUT/results" | cut -d'|' -f2)" >>"$OUT/q_results"
  stop_servers
}
for round in 1 2; do
  quality_row "free-form ($round)"
  quality_row "6 declared fields + phone duplicate rule ($round)" --quality
done

echo
echo "| run (lead quality, 64 clients, spread) | leads/s | p50 ms | p99 ms | errors | ratio to the free-form row before |"
echo "|---|---|---|---|---|---|"
base=""
while IFS='|' read -r label json; do
  lps=$(json_field leads_per_s "$json")
  r="—"; [[ "$label" == 6* ]] && r=$(ratio "$lps" "$base")
  [[ "$label" == free* ]] && base="$lps"
  echo "| $label | ${lps%.*} | $(json_field p50_ms "$json") | $(json_field p99_ms "$json") | $(json_field errors "$json") | $r |"
done <"$OUT/q_results"
