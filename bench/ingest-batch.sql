-- The same writes as ingest.sql, as the ingest path now sends them on PostgreSQL: one statement (data-modifying
-- CTEs, `db::Batch`), each cap counter guarded by pd_guard (migration m20261203_000010), so one round trip per lead
-- and no BEGIN / COMMIT; in the server's shape: first the API key's count of the request (its rate window and last
-- use); after each counter the `cap.reached` event it writes only when the lead takes the cap's last unit; last, the
-- lead's deliveries (postbacks, webhooks; none configured here) in one INSERT of every source.
-- Run it with `pgbench -M prepared`; :p picks the partner (random over 500 or 0).
WITH a AS (SELECT id, organization_id, campaign_id, partner_id FROM campaign_assignments WHERE tracking_code = 'bench' || :p),
k AS (UPDATE api_keys SET last_used_at = now(),
  rate_window_requests = CASE WHEN rate_window_started_at IS NULL OR rate_window_started_at <= now() - interval '1 minute'
                         THEN 1 ELSE rate_window_requests + 1 END,
  rate_window_started_at = CASE WHEN rate_window_started_at IS NULL OR rate_window_started_at <= now() - interval '1 minute'
                           THEN now() ELSE rate_window_started_at END
  WHERE key_hash = encode(sha256(convert_to('pdk_bench_' || lpad(:p::text, 5, '0') || '_0123456789abcdef0123456789abcdef',
                                            'UTF8')), 'hex')
  RETURNING 1),
w0 AS (INSERT INTO cap_counters (assignment_id, metric, period, window_key, used)
  SELECT id, 'FORM', 'GLOBAL', 'all', 1 FROM a
  ON CONFLICT (assignment_id, metric, period, window_key) DO UPDATE SET used = cap_counters.used + 1
  WHERE cap_counters.used < 1000000000 RETURNING used),
e0 AS (INSERT INTO events (id, organization_id, type, data, created_at)
  SELECT gen_random_uuid(), organization_id, 'cap.reached', '{"limit":1000000000}', now() FROM a
  WHERE EXISTS (SELECT 1 FROM w0 AS r(v) WHERE r.v = 1000000000) RETURNING 1),
w1 AS (INSERT INTO cap_counters (assignment_id, metric, period, window_key, used)
  SELECT id, 'FORM', 'DAILY', to_char(now() AT TIME ZONE 'America/New_York', 'YYYY-MM-DD'), 1 FROM a
  ON CONFLICT (assignment_id, metric, period, window_key) DO UPDATE SET used = cap_counters.used + 1
  WHERE cap_counters.used < 100000000 RETURNING used),
e1 AS (INSERT INTO events (id, organization_id, type, data, created_at)
  SELECT gen_random_uuid(), organization_id, 'cap.reached', '{"limit":100000000}', now() FROM a
  WHERE EXISTS (SELECT 1 FROM w1 AS r(v) WHERE r.v = 100000000) RETURNING 1),
w2 AS (INSERT INTO cap_counters (assignment_id, metric, period, window_key, used)
  SELECT id, 'FORM', 'MONTHLY', to_char(now() AT TIME ZONE 'America/New_York', 'YYYY-MM'), 1 FROM a
  ON CONFLICT (assignment_id, metric, period, window_key) DO UPDATE SET used = cap_counters.used + 1
  WHERE cap_counters.used < 500000000 RETURNING used),
e2 AS (INSERT INTO events (id, organization_id, type, data, created_at)
  SELECT gen_random_uuid(), organization_id, 'cap.reached', '{"limit":500000000}', now() FROM a
  WHERE EXISTS (SELECT 1 FROM w2 AS r(v) WHERE r.v = 500000000) RETURNING 1),
w3 AS (INSERT INTO leads (id, organization_id, campaign_id, partner_id, assignment_id, kind, status, fields, payout, created_at, updated_at)
  SELECT gen_random_uuid(), organization_id, campaign_id, partner_id, id, 'FORM', 'RECEIVED',
         '{"name":"Bench Lead","zip":"10001","phone":"+12125550123"}', 125000, now(), now()
  FROM a RETURNING id),
w4 AS (INSERT INTO lead_history (id, lead_id, to_status, created_at) SELECT gen_random_uuid(), id, 'RECEIVED', now() FROM w3 RETURNING 1),
w5 AS (INSERT INTO daily_stats AS s (organization_id, campaign_id, partner_id, day, kind, sub1, sub2, sub3, sub4, sub5,
                              counted, not_counted, approved, rejected, converted, earnings)
  SELECT organization_id, campaign_id, partner_id, to_char(now() AT TIME ZONE 'America/New_York', 'YYYY-MM-DD'), 'FORM',
         '', '', '', '', '', 1, 0, 0, 0, 0, 0
  FROM a
  ON CONFLICT (campaign_id, partner_id, day, kind, sub1, sub2, sub3, sub4, sub5) DO UPDATE SET
  counted = s.counted + excluded.counted, not_counted = s.not_counted + excluded.not_counted,
  approved = s.approved + excluded.approved, rejected = s.rejected + excluded.rejected,
  converted = s.converted + excluded.converted, earnings = s.earnings + excluded.earnings RETURNING 1),
w6 AS (INSERT INTO campaign_stats AS s (organization_id, campaign_id, day, shard,
                                 clicks, clicks_not_counted, forms, calls, approved, rejected, converted, earnings)
  SELECT organization_id, campaign_id, to_char(now() AT TIME ZONE 'America/New_York', 'YYYY-MM-DD'), :p % 32,
         0, 0, 1, 0, 0, 0, 0, 0
  FROM a
  ON CONFLICT (campaign_id, day, shard) DO UPDATE SET clicks = s.clicks + excluded.clicks,
  clicks_not_counted = s.clicks_not_counted + excluded.clicks_not_counted, forms = s.forms + excluded.forms,
  calls = s.calls + excluded.calls, approved = s.approved + excluded.approved, rejected = s.rejected + excluded.rejected,
  converted = s.converted + excluded.converted, earnings = s.earnings + excluded.earnings RETURNING 1),
d AS (INSERT INTO deliveries (destination_id, event_id, event, organization_id, status, attempts, next_attempt_at,
                             created_at, channel)
  SELECT p.id, gen_random_uuid(), 'lead.received', a.organization_id, 'PENDING', 0, now(), now(), 'POSTBACK'
    FROM postbacks p, a WHERE p.user_id = gen_random_uuid() AND (p.campaign_id IS NULL OR p.campaign_id = a.campaign_id)
     AND (p.events & 1) <> 0
  UNION ALL SELECT w.id, gen_random_uuid(), 'lead.received', w.organization_id, 'PENDING', 0, now(), now(), 'WEBHOOK'
    FROM webhook_endpoints w, a WHERE w.organization_id = a.organization_id AND (w.events & 1) <> 0
  UNION ALL SELECT w.id, gen_random_uuid(), 'cap.reached', w.organization_id, 'PENDING', 0, now(), now(), 'WEBHOOK'
    FROM webhook_endpoints w, a WHERE w.organization_id = a.organization_id AND (w.events & 16) <> 0
     AND EXISTS (SELECT 1 FROM w0 AS r(v) WHERE r.v = 1000000000)
  UNION ALL SELECT w.id, gen_random_uuid(), 'cap.reached', w.organization_id, 'PENDING', 0, now(), now(), 'WEBHOOK'
    FROM webhook_endpoints w, a WHERE w.organization_id = a.organization_id AND (w.events & 16) <> 0
     AND EXISTS (SELECT 1 FROM w1 AS r(v) WHERE r.v = 100000000)
  UNION ALL SELECT w.id, gen_random_uuid(), 'cap.reached', w.organization_id, 'PENDING', 0, now(), now(), 'WEBHOOK'
    FROM webhook_endpoints w, a WHERE w.organization_id = a.organization_id AND (w.events & 16) <> 0
     AND EXISTS (SELECT 1 FROM w2 AS r(v) WHERE r.v = 500000000)
  RETURNING 1)
SELECT (SELECT count(*) FROM k), pd_guard((SELECT count(*) FROM w0), '0'), (SELECT count(*) FROM e0),
       pd_guard((SELECT count(*) FROM w1), '1'), (SELECT count(*) FROM e1), pd_guard((SELECT count(*) FROM w2), '2'),
       (SELECT count(*) FROM e2), (SELECT count(*) FROM w3), (SELECT count(*) FROM w4), (SELECT count(*) FROM w5),
       (SELECT count(*) FROM w6), (SELECT count(*) FROM d);
