-- The same writes as ingest.sql, as the ingest path now sends them on PostgreSQL: one statement (data-modifying
-- CTEs, `db::Batch`), each cap counter guarded by pd_guard (migration m20261203_000010), so one round trip per lead
-- and no BEGIN / COMMIT. Run it with `pgbench -M prepared`; :p picks the partner (random over 500 or 0).
WITH a AS (SELECT id, organization_id, campaign_id, partner_id FROM campaign_assignments WHERE tracking_code = 'bench' || :p),
w0 AS (INSERT INTO cap_counters (assignment_id, metric, period, window_key, used)
  SELECT id, 'FORM', 'GLOBAL', 'all', 1 FROM a
  ON CONFLICT (assignment_id, metric, period, window_key) DO UPDATE SET used = cap_counters.used + 1
  WHERE cap_counters.used < 1000000000 RETURNING used),
w1 AS (INSERT INTO cap_counters (assignment_id, metric, period, window_key, used)
  SELECT id, 'FORM', 'DAILY', to_char(now() AT TIME ZONE 'America/New_York', 'YYYY-MM-DD'), 1 FROM a
  ON CONFLICT (assignment_id, metric, period, window_key) DO UPDATE SET used = cap_counters.used + 1
  WHERE cap_counters.used < 100000000 RETURNING used),
w2 AS (INSERT INTO cap_counters (assignment_id, metric, period, window_key, used)
  SELECT id, 'FORM', 'MONTHLY', to_char(now() AT TIME ZONE 'America/New_York', 'YYYY-MM'), 1 FROM a
  ON CONFLICT (assignment_id, metric, period, window_key) DO UPDATE SET used = cap_counters.used + 1
  WHERE cap_counters.used < 500000000 RETURNING used),
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
  converted = s.converted + excluded.converted, earnings = s.earnings + excluded.earnings RETURNING 1)
SELECT pd_guard((SELECT count(*) FROM w0), '0'), pd_guard((SELECT count(*) FROM w1), '1'),
       pd_guard((SELECT count(*) FROM w2), '2'), (SELECT count(*) FROM w3), (SELECT count(*) FROM w4),
       (SELECT count(*) FROM w5), (SELECT count(*) FROM w6);
