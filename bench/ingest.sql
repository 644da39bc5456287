-- The transaction the ingest path runs for one form lead with caps on (global, daily, monthly): three counter
-- upserts that check the limit, the lead, its first history row, the lead's day in daily_stats and its campaign's day
-- in campaign_stats (one of 32 shards, from the partner). pgbench runs it as the floor under POST /v1/leads.
-- Run it with `pgbench -M prepared` (as the server, it prepares statements). :p picks the partner (random over 500 for "spread", 0 for "hot").
BEGIN;
INSERT INTO cap_counters (assignment_id, metric, period, window_key, used)
  SELECT id, 'FORM', 'GLOBAL', 'all', 1 FROM campaign_assignments WHERE tracking_code = 'bench' || :p
  ON CONFLICT (assignment_id, metric, period, window_key) DO UPDATE SET used = cap_counters.used + 1
  WHERE cap_counters.used < 1000000000 RETURNING used;
INSERT INTO cap_counters (assignment_id, metric, period, window_key, used)
  SELECT id, 'FORM', 'DAILY', to_char(now() AT TIME ZONE 'America/New_York', 'YYYY-MM-DD'), 1 FROM campaign_assignments WHERE tracking_code = 'bench' || :p
  ON CONFLICT (assignment_id, metric, period, window_key) DO UPDATE SET used = cap_counters.used + 1
  WHERE cap_counters.used < 100000000 RETURNING used;
INSERT INTO cap_counters (assignment_id, metric, period, window_key, used)
  SELECT id, 'FORM', 'MONTHLY', to_char(now() AT TIME ZONE 'America/New_York', 'YYYY-MM'), 1 FROM campaign_assignments WHERE tracking_code = 'bench' || :p
  ON CONFLICT (assignment_id, metric, period, window_key) DO UPDATE SET used = cap_counters.used + 1
  WHERE cap_counters.used < 500000000 RETURNING used;
INSERT INTO leads (id, organization_id, campaign_id, partner_id, assignment_id, kind, status, fields, payout, created_at, updated_at)
  SELECT gen_random_uuid(), organization_id, campaign_id, partner_id, id, 'FORM', 'RECEIVED',
         '{"name":"Bench Lead","zip":"10001","phone":"+12125550123"}', 125000, now(), now()
  FROM campaign_assignments WHERE tracking_code = 'bench' || :p RETURNING id AS lead_id \gset
INSERT INTO lead_history (id, lead_id, to_status, created_at) VALUES (gen_random_uuid(), :lead_id, 'RECEIVED', now());
INSERT INTO daily_stats AS s (organization_id, campaign_id, partner_id, day, kind, sub1, sub2, sub3, sub4, sub5,
                              counted, not_counted, approved, rejected, converted, earnings)
  SELECT organization_id, campaign_id, partner_id, to_char(now() AT TIME ZONE 'America/New_York', 'YYYY-MM-DD'), 'FORM',
         '', '', '', '', '', 1, 0, 0, 0, 0, 0
  FROM campaign_assignments WHERE tracking_code = 'bench' || :p
  ON CONFLICT (campaign_id, partner_id, day, kind, sub1, sub2, sub3, sub4, sub5) DO UPDATE SET
  counted = s.counted + excluded.counted, not_counted = s.not_counted + excluded.not_counted,
  approved = s.approved + excluded.approved, rejected = s.rejected + excluded.rejected,
  converted = s.converted + excluded.converted, earnings = s.earnings + excluded.earnings;
INSERT INTO campaign_stats AS s (organization_id, campaign_id, day, shard,
                                 clicks, clicks_not_counted, forms, calls, approved, rejected, converted, earnings)
  SELECT organization_id, campaign_id, to_char(now() AT TIME ZONE 'America/New_York', 'YYYY-MM-DD'), :p % 32,
         0, 0, 1, 0, 0, 0, 0, 0
  FROM campaign_assignments WHERE tracking_code = 'bench' || :p
  ON CONFLICT (campaign_id, day, shard) DO UPDATE SET clicks = s.clicks + excluded.clicks,
  clicks_not_counted = s.clicks_not_counted + excluded.clicks_not_counted, forms = s.forms + excluded.forms,
  calls = s.calls + excluded.calls, approved = s.approved + excluded.approved, rejected = s.rejected + excluded.rejected,
  converted = s.converted + excluded.converted, earnings = s.earnings + excluded.earnings;
END;
