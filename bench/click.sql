-- What the click path (`GET /c/{code}`, crates/services/src/clicks.rs) sends PostgreSQL for one counted click, in the
-- same shape: every write in one statement (`db::Batch`: data-modifying CTEs, the cap counter guarded by pd_guard):
-- with a cap its window's counter upsert that checks the limit, the click, its day in daily_stats (kind CLICK, with
-- its sub-ids) and its campaign's day in campaign_stats (one of 32 shards, from the partner), with a cap its
-- `cap.reached` event (written only when the click takes the cap's last unit), and last its deliveries (the
-- partner's postbacks that want clicks, the owner's webhooks for a filled cap; none configured here) in one INSERT.
-- One round trip, no BEGIN / COMMIT. The server keeps a link's target between clicks (`clicks::Links`) and sends its
-- ids as parameters, after checking `config_generation`; pgbench cannot map :p to ids without a query, so this
-- statement finds the assignment by its tracking code in a CTE (`a`), as bench/ingest-batch.sql does for leads: a
-- little more work for the database than the server's statement, never less. pgbench runs it as the floor under the
-- click rows of bench/run.sh (until aa77efe the floor read the target in a statement of its own first, as the server did).
-- Run it with `pgbench -M prepared` (as the server, it prepares statements). :p picks the partner (random over 500
-- for "spread", 0 for "hot"); :s1 and :s2 the sub-ids as bench/clicks.lua draws them; `-D capped=1` when every
-- assignment has its daily click cap of 100,000,000 (bench/clicks.sh adds them), `-D capped=0` before.
\set s1 random(0, 4)
\set s2 random(0, 3)
\if :capped
WITH a AS (SELECT id, organization_id, campaign_id, partner_id FROM campaign_assignments WHERE tracking_code = 'bench' || :p),
w0 AS (INSERT INTO cap_counters (assignment_id, metric, period, window_key, used)
  SELECT id, 'CLICK', 'DAILY', to_char(now() AT TIME ZONE 'America/New_York', 'YYYY-MM-DD'), 1 FROM a
  ON CONFLICT (assignment_id, metric, period, window_key) DO UPDATE SET used = cap_counters.used + 1
  WHERE cap_counters.used < 100000000 RETURNING used),
e0 AS (INSERT INTO events (id, organization_id, type, data, created_at)
  SELECT gen_random_uuid(), organization_id, 'cap.reached', '{"metric":"CLICK"}', now() FROM a
  WHERE EXISTS (SELECT 1 FROM w0 AS r(v) WHERE r.v = 100000000) RETURNING 1),
w1 AS (INSERT INTO clicks (id, organization_id, campaign_id, partner_id, assignment_id, counted, reason, payout,
                    sub1, sub2, sub3, sub4, sub5, created_at)
  SELECT gen_random_uuid(), organization_id, campaign_id, partner_id, id, TRUE, NULL, 0, 'src' || :s1, 'ad' || :s2,
         NULL, NULL, NULL, now()
  FROM a RETURNING 1),
w2 AS (INSERT INTO daily_stats AS s (organization_id, campaign_id, partner_id, day, kind, sub1, sub2, sub3, sub4, sub5,
                              counted, not_counted, approved, rejected, converted, earnings)
  SELECT organization_id, campaign_id, partner_id, to_char(now() AT TIME ZONE 'America/New_York', 'YYYY-MM-DD'), 'CLICK',
         'src' || :s1, 'ad' || :s2, '', '', '', 1, 0, 0, 0, 0, 0
  FROM a
  ON CONFLICT (campaign_id, partner_id, day, kind, sub1, sub2, sub3, sub4, sub5) DO UPDATE SET
  counted = s.counted + excluded.counted, not_counted = s.not_counted + excluded.not_counted,
  approved = s.approved + excluded.approved, rejected = s.rejected + excluded.rejected,
  converted = s.converted + excluded.converted, earnings = s.earnings + excluded.earnings RETURNING 1),
w3 AS (INSERT INTO campaign_stats AS s (organization_id, campaign_id, day, shard,
                                 clicks, clicks_not_counted, forms, calls, approved, rejected, converted, earnings)
  SELECT organization_id, campaign_id, to_char(now() AT TIME ZONE 'America/New_York', 'YYYY-MM-DD'), :p % 32,
         1, 0, 0, 0, 0, 0, 0, 0
  FROM a
  ON CONFLICT (campaign_id, day, shard) DO UPDATE SET clicks = s.clicks + excluded.clicks,
  clicks_not_counted = s.clicks_not_counted + excluded.clicks_not_counted, forms = s.forms + excluded.forms,
  calls = s.calls + excluded.calls, approved = s.approved + excluded.approved, rejected = s.rejected + excluded.rejected,
  converted = s.converted + excluded.converted, earnings = s.earnings + excluded.earnings RETURNING 1),
d AS (INSERT INTO deliveries (destination_id, event_id, event, organization_id, status, attempts, next_attempt_at,
                             created_at, channel)
  SELECT p.id, gen_random_uuid(), 'click.counted', a.organization_id, 'PENDING', 0, now(), now(), 'POSTBACK'
    FROM postbacks p, a WHERE p.user_id = gen_random_uuid() AND (p.campaign_id IS NULL OR p.campaign_id = a.campaign_id)
     AND (p.events & 16) <> 0
  UNION ALL SELECT w.id, gen_random_uuid(), 'cap.reached', w.organization_id, 'PENDING', 0, now(), now(), 'WEBHOOK'
    FROM webhook_endpoints w, a WHERE w.organization_id = a.organization_id AND (w.events & 16) <> 0
     AND EXISTS (SELECT 1 FROM w0 AS r(v) WHERE r.v = 100000000)
  RETURNING 1)
SELECT pd_guard((SELECT count(*) FROM w0), '0'), (SELECT count(*) FROM e0), (SELECT count(*) FROM w1),
       (SELECT count(*) FROM w2), (SELECT count(*) FROM w3), (SELECT count(*) FROM d);
\else
WITH a AS (SELECT id, organization_id, campaign_id, partner_id FROM campaign_assignments WHERE tracking_code = 'bench' || :p),
w1 AS (INSERT INTO clicks (id, organization_id, campaign_id, partner_id, assignment_id, counted, reason, payout,
                    sub1, sub2, sub3, sub4, sub5, created_at)
  SELECT gen_random_uuid(), organization_id, campaign_id, partner_id, id, TRUE, NULL, 0, 'src' || :s1, 'ad' || :s2,
         NULL, NULL, NULL, now()
  FROM a RETURNING 1),
w2 AS (INSERT INTO daily_stats AS s (organization_id, campaign_id, partner_id, day, kind, sub1, sub2, sub3, sub4, sub5,
                              counted, not_counted, approved, rejected, converted, earnings)
  SELECT organization_id, campaign_id, partner_id, to_char(now() AT TIME ZONE 'America/New_York', 'YYYY-MM-DD'), 'CLICK',
         'src' || :s1, 'ad' || :s2, '', '', '', 1, 0, 0, 0, 0, 0
  FROM a
  ON CONFLICT (campaign_id, partner_id, day, kind, sub1, sub2, sub3, sub4, sub5) DO UPDATE SET
  counted = s.counted + excluded.counted, not_counted = s.not_counted + excluded.not_counted,
  approved = s.approved + excluded.approved, rejected = s.rejected + excluded.rejected,
  converted = s.converted + excluded.converted, earnings = s.earnings + excluded.earnings RETURNING 1),
w3 AS (INSERT INTO campaign_stats AS s (organization_id, campaign_id, day, shard,
                                 clicks, clicks_not_counted, forms, calls, approved, rejected, converted, earnings)
  SELECT organization_id, campaign_id, to_char(now() AT TIME ZONE 'America/New_York', 'YYYY-MM-DD'), :p % 32,
         1, 0, 0, 0, 0, 0, 0, 0
  FROM a
  ON CONFLICT (campaign_id, day, shard) DO UPDATE SET clicks = s.clicks + excluded.clicks,
  clicks_not_counted = s.clicks_not_counted + excluded.clicks_not_counted, forms = s.forms + excluded.forms,
  calls = s.calls + excluded.calls, approved = s.approved + excluded.approved, rejected = s.rejected + excluded.rejected,
  converted = s.converted + excluded.converted, earnings = s.earnings + excluded.earnings RETURNING 1),
d AS (INSERT INTO deliveries (destination_id, event_id, event, organization_id, status, attempts, next_attempt_at,
                             created_at, channel)
  SELECT p.id, gen_random_uuid(), 'click.counted', a.organization_id, 'PENDING', 0, now(), now(), 'POSTBACK'
    FROM postbacks p, a WHERE p.user_id = gen_random_uuid() AND (p.campaign_id IS NULL OR p.campaign_id = a.campaign_id)
     AND (p.events & 16) <> 0
  RETURNING 1)
SELECT (SELECT count(*) FROM w1), (SELECT count(*) FROM w2), (SELECT count(*) FROM w3), (SELECT count(*) FROM d);
\endif
