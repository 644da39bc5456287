-- What the click path (`GET /c/{code}`, crates/services/src/clicks.rs) sends PostgreSQL for one counted click, in the
-- same shape: one read (the tracking code's assignment joined with its campaign, its partner and its click caps),
-- then every write in one statement (`db::Batch`: data-modifying CTEs, the cap counter guarded by pd_guard): with a
-- cap its window's counter upsert that checks the limit, the click, its day in daily_stats (kind CLICK, with its
-- sub-ids) and its campaign's day in campaign_stats (one of 32 shards, from the partner), with a cap its
-- `cap.reached` event (written only when the click takes the cap's last unit), and last its deliveries (the
-- partner's postbacks that want clicks, the owner's webhooks for a filled cap; none configured here) in one INSERT.
-- Two round trips, no BEGIN / COMMIT. pgbench runs it as the floor under the click rows of bench/run.sh.
-- Run it with `pgbench -M prepared` (as the server, it prepares statements). :p picks the partner (random over 500
-- for "spread", 0 for "hot"); :s1 and :s2 the sub-ids as bench/clicks.lua draws them; `-D capped=1` when every
-- assignment has its daily click cap (bench/clicks.sh adds them), `-D capped=0` before.
\set s1 random(0, 4)
\set s2 random(0, 3)
SELECT a.id AS a_id, a.status, a.click_payout AS o_payout, c.id AS c_id, c.organization_id AS o_id, c.status,
       c.time_zone, c.landing_url, c.fallback_url, c.click_payout, p.id AS m_id, p.user_id AS u_id, p.status,
       k.id AS k_id, k.period, k.limit_count AS lim
  FROM campaign_assignments a
  JOIN campaigns c ON c.id = a.campaign_id
  JOIN marketing_partners p ON p.id = a.partner_id
  LEFT JOIN caps k ON k.assignment_id = a.id AND k.metric = 'CLICK'
  WHERE a.tracking_code = 'bench' || :p \gset
\if :capped
WITH w0 AS (INSERT INTO cap_counters (assignment_id, metric, period, window_key, used)
  VALUES (:a_id, 'CLICK', 'DAILY', to_char(now() AT TIME ZONE 'America/New_York', 'YYYY-MM-DD'), 1)
  ON CONFLICT (assignment_id, metric, period, window_key) DO UPDATE SET used = cap_counters.used + 1
  WHERE cap_counters.used < :lim RETURNING used),
e0 AS (INSERT INTO events (id, organization_id, type, data, created_at)
  SELECT gen_random_uuid(), :o_id, 'cap.reached', '{"metric":"CLICK"}', now()
  WHERE EXISTS (SELECT 1 FROM w0 AS r(v) WHERE r.v = :lim) RETURNING 1),
w1 AS (INSERT INTO clicks (id, organization_id, campaign_id, partner_id, assignment_id, counted, reason, payout,
                    sub1, sub2, sub3, sub4, sub5, created_at)
  VALUES (gen_random_uuid(), :o_id, :c_id, :m_id, :a_id, TRUE, NULL, 0, 'src' || :s1, 'ad' || :s2, NULL, NULL, NULL, now())
  RETURNING 1),
w2 AS (INSERT INTO daily_stats AS s (organization_id, campaign_id, partner_id, day, kind, sub1, sub2, sub3, sub4, sub5,
                              counted, not_counted, approved, rejected, converted, earnings)
  VALUES (:o_id, :c_id, :m_id, to_char(now() AT TIME ZONE 'America/New_York', 'YYYY-MM-DD'), 'CLICK',
          'src' || :s1, 'ad' || :s2, '', '', '', 1, 0, 0, 0, 0, 0)
  ON CONFLICT (campaign_id, partner_id, day, kind, sub1, sub2, sub3, sub4, sub5) DO UPDATE SET
  counted = s.counted + excluded.counted, not_counted = s.not_counted + excluded.not_counted,
  approved = s.approved + excluded.approved, rejected = s.rejected + excluded.rejected,
  converted = s.converted + excluded.converted, earnings = s.earnings + excluded.earnings RETURNING 1),
w3 AS (INSERT INTO campaign_stats AS s (organization_id, campaign_id, day, shard,
                                 clicks, clicks_not_counted, forms, calls, approved, rejected, converted, earnings)
  VALUES (:o_id, :c_id, to_char(now() AT TIME ZONE 'America/New_York', 'YYYY-MM-DD'), :p % 32, 1, 0, 0, 0, 0, 0, 0, 0)
  ON CONFLICT (campaign_id, day, shard) DO UPDATE SET clicks = s.clicks + excluded.clicks,
  clicks_not_counted = s.clicks_not_counted + excluded.clicks_not_counted, forms = s.forms + excluded.forms,
  calls = s.calls + excluded.calls, approved = s.approved + excluded.approved, rejected = s.rejected + excluded.rejected,
  converted = s.converted + excluded.converted, earnings = s.earnings + excluded.earnings RETURNING 1),
d AS (INSERT INTO deliveries (destination_id, event_id, event, organization_id, status, attempts, next_attempt_at,
                             created_at, channel)
  SELECT id, gen_random_uuid(), 'click.counted', :o_id, 'PENDING', 0, now(), now(), 'POSTBACK' FROM postbacks
  WHERE user_id = :u_id AND (campaign_id IS NULL OR campaign_id = :c_id) AND (events & 16) <> 0
  UNION ALL SELECT id, gen_random_uuid(), 'cap.reached', organization_id, 'PENDING', 0, now(), now(), 'WEBHOOK'
  FROM webhook_endpoints WHERE organization_id = :o_id AND (events & 16) <> 0
   AND EXISTS (SELECT 1 FROM w0 AS r(v) WHERE r.v = :lim)
  RETURNING 1)
SELECT pd_guard((SELECT count(*) FROM w0), '0'), (SELECT count(*) FROM w1), (SELECT count(*) FROM w2),
       (SELECT count(*) FROM w3), (SELECT count(*) FROM d), (SELECT count(*) FROM e0);
\else
WITH w1 AS (INSERT INTO clicks (id, organization_id, campaign_id, partner_id, assignment_id, counted, reason, payout,
                    sub1, sub2, sub3, sub4, sub5, created_at)
  VALUES (gen_random_uuid(), :o_id, :c_id, :m_id, :a_id, TRUE, NULL, 0, 'src' || :s1, 'ad' || :s2, NULL, NULL, NULL, now())
  RETURNING 1),
w2 AS (INSERT INTO daily_stats AS s (organization_id, campaign_id, partner_id, day, kind, sub1, sub2, sub3, sub4, sub5,
                              counted, not_counted, approved, rejected, converted, earnings)
  VALUES (:o_id, :c_id, :m_id, to_char(now() AT TIME ZONE 'America/New_York', 'YYYY-MM-DD'), 'CLICK',
          'src' || :s1, 'ad' || :s2, '', '', '', 1, 0, 0, 0, 0, 0)
  ON CONFLICT (campaign_id, partner_id, day, kind, sub1, sub2, sub3, sub4, sub5) DO UPDATE SET
  counted = s.counted + excluded.counted, not_counted = s.not_counted + excluded.not_counted,
  approved = s.approved + excluded.approved, rejected = s.rejected + excluded.rejected,
  converted = s.converted + excluded.converted, earnings = s.earnings + excluded.earnings RETURNING 1),
w3 AS (INSERT INTO campaign_stats AS s (organization_id, campaign_id, day, shard,
                                 clicks, clicks_not_counted, forms, calls, approved, rejected, converted, earnings)
  VALUES (:o_id, :c_id, to_char(now() AT TIME ZONE 'America/New_York', 'YYYY-MM-DD'), :p % 32, 1, 0, 0, 0, 0, 0, 0, 0)
  ON CONFLICT (campaign_id, day, shard) DO UPDATE SET clicks = s.clicks + excluded.clicks,
  clicks_not_counted = s.clicks_not_counted + excluded.clicks_not_counted, forms = s.forms + excluded.forms,
  calls = s.calls + excluded.calls, approved = s.approved + excluded.approved, rejected = s.rejected + excluded.rejected,
  converted = s.converted + excluded.converted, earnings = s.earnings + excluded.earnings RETURNING 1),
d AS (INSERT INTO deliveries (destination_id, event_id, event, organization_id, status, attempts, next_attempt_at,
                             created_at, channel)
  SELECT id, gen_random_uuid(), 'click.counted', :o_id, 'PENDING', 0, now(), now(), 'POSTBACK' FROM postbacks
  WHERE user_id = :u_id AND (campaign_id IS NULL OR campaign_id = :c_id) AND (events & 16) <> 0
  RETURNING 1)
SELECT (SELECT count(*) FROM w1), (SELECT count(*) FROM w2),
       (SELECT count(*) FROM w3), (SELECT count(*) FROM d);
\endif
