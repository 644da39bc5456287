-- wrk script for the click rows of bench/run.sh: `GET /c/{code}?sub1=..&sub2=..` on the tracking codes that
-- `partnerdesk-bench seed` gives its partners (`bench0` .. `bench<N-1>`), each request a random partner, sub1 one of
-- 5 sources, sub2 one of 4 placements (bench/click.sql draws the same).
-- Environment: CLICK_PARTNERS (how many partners to pick from: 500 spread, 1 hot; default 500) and CLICK_PORTS
-- (comma-separated ports on 127.0.0.1, one per server process; thread i sends to the (i mod n)-th; unset: the URL's).
-- Prints one line `CLICKS {json}`: clicks/s (answers below 400: the redirects), p50 and p99 in ms (of every answer),
-- errors (answers of 400 or more, failed connections, reads, writes, timeouts).

local threads = 0

function setup(thread)
  local ports = {}
  for port in string.gmatch(os.getenv("CLICK_PORTS") or "", "%d+") do
    ports[#ports + 1] = port
  end
  if #ports > 0 then
    thread.addr = wrk.lookup("127.0.0.1", ports[(threads % #ports) + 1])[1]
  end
  thread:set("id", threads)
  threads = threads + 1
end

local partners = 500

function init(args)
  partners = tonumber(os.getenv("CLICK_PARTNERS") or "500")
  math.randomseed(7919 * (id + 1))
end

function request()
  local path = "/c/bench" .. math.random(0, partners - 1) .. "?sub1=src" .. math.random(0, 4) .. "&sub2=ad"
    .. math.random(0, 3)
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  -- Answers with a status of 400 or more are in summary.requests; failed connections are not.
  local clicks = summary.requests - e.status
  local seconds = summary.duration / 1e6
  io.write(string.format('CLICKS {"clicks":%d,"errors":%d,"clicks_per_s":%.0f,"p50_ms":%.1f,"p99_ms":%.1f}\n',
    clicks, errors, clicks / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
