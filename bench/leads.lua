-- wrk script: `POST /v1/leads` as `partnerdesk-bench load` sends it (the same body, each request with the API key of
-- a partner `partnerdesk-bench seed` made: `pdk_bench_<i>`), to measure the lead path with a load generator in C
-- beside the Rust one. Environment: LEAD_CAMPAIGN (the seeded campaign id), LEAD_PARTNERS (500 spread, 1 hot).
-- Prints one line `LEADS {json}`: leads/s (201 answers), p50 and p99 in ms, errors (anything else).

local partners = 500
local body = ""
local n = 0

function init(args)
  partners = tonumber(os.getenv("LEAD_PARTNERS") or "500")
  body = '{"campaignId":"' .. os.getenv("LEAD_CAMPAIGN") ..
    '","type":"form","fields":{"name":"Bench Lead","zip":"10001","phone":"+12125550123"}}'
  math.randomseed(os.time())
end

function request()
  n = n + 1
  local key = string.format("pdk_bench_%05d_0123456789abcdef0123456789abcdef", math.random(0, partners - 1))
  return wrk.format("POST", "/v1/leads",
    { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  local leads = summary.requests - e.status
  local seconds = summary.duration / 1e6
  io.write(string.format('LEADS {"leads":%d,"errors":%d,"leads_per_s":%.0f,"p50_ms":%.1f,"p99_ms":%.1f}\n',
    leads, errors, leads / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
