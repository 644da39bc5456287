use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use partnerdesk_storage::sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{Db, PASSWORD, TestApp, error_code, error_field, spawn_app};
use crate::traffic::{Setup, post_lead, setup};

/// A small deterministic generator, so a failing sequence can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

type Key = (String, String, String, String, [String; 5]);

/// daily_stats as stored: (campaign, partner, day, kind, subs) -> [counted, not counted, approved, rejected,
/// converted, returned, earnings].
async fn stored(app: &TestApp) -> BTreeMap<Key, [i64; 7]> {
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT campaign_id, partner_id, day, kind, sub1, sub2, sub3, sub4, sub5, counted, not_counted, approved, \
             rejected, converted, returned, earnings FROM daily_stats",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            let subs: [String; 5] = std::array::from_fn(|i| r.try_get_by_index(4 + i).unwrap());
            let key = (
                r.try_get_by_index::<uuid::Uuid>(0).unwrap().to_string(),
                r.try_get_by_index::<uuid::Uuid>(1).unwrap().to_string(),
                r.try_get_by_index(2).unwrap(),
                r.try_get_by_index(3).unwrap(),
                subs,
            );
            (key, std::array::from_fn(|i| r.try_get_by_index(9 + i).unwrap()))
        })
        .filter(|(_, v): &(Key, [i64; 7])| v.iter().any(|n| *n != 0))
        .collect()
}

/// campaign_stats with its shards added up: (campaign, day) -> [clicks, clicks not counted, forms, calls, approved,
/// rejected, converted, returned, earnings].
async fn stored_per_campaign(app: &TestApp) -> BTreeMap<(String, String), [i64; 9]> {
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT campaign_id, day, clicks, clicks_not_counted, forms, calls, approved, rejected, converted, \
             returned, earnings FROM campaign_stats",
        ))
        .await
        .unwrap();
    let mut sums: BTreeMap<(String, String), [i64; 9]> = BTreeMap::new();
    for r in rows {
        let key = (r.try_get_by_index::<uuid::Uuid>(0).unwrap().to_string(), r.try_get_by_index(1).unwrap());
        let sum = sums.entry(key).or_default();
        for (i, n) in sum.iter_mut().enumerate() {
            *n += r.try_get_by_index::<i64>(2 + i).unwrap();
        }
    }
    sums.retain(|_, v| v.iter().any(|n| *n != 0));
    sums
}

/// The daily_stats rows added up per campaign and day, clicks, forms and calls apart: what campaign_stats must hold.
fn per_campaign(fine: &BTreeMap<Key, [i64; 7]>) -> BTreeMap<(String, String), [i64; 9]> {
    let mut sums: BTreeMap<(String, String), [i64; 9]> = BTreeMap::new();
    for ((campaign, _, day, kind, _), [counted, not_counted, approved, rejected, converted, returned, earnings]) in fine
    {
        let sum = sums.entry((campaign.clone(), day.clone())).or_default();
        let slot = match kind.as_str() {
            "CLICK" => 0,
            "FORM" => 2,
            _ => 3,
        };
        sum[slot] += counted;
        for (i, n) in [(1, not_counted), (4, approved), (5, rejected), (6, converted), (7, returned), (8, earnings)] {
            sum[i] += n;
        }
    }
    sums
}

/// The same figures recomputed from the raw clicks and leads, with days in each campaign's time zone.
async fn recomputed(app: &TestApp) -> BTreeMap<Key, [i64; 7]> {
    let backend = app.db.get_database_backend();
    let sql = |table: &str, kind: &str, status: &str, counted: &str| {
        format!(
            "SELECT e.campaign_id, e.partner_id, e.created_at, c.time_zone, {kind}, {status}, {counted}, e.payout, \
             e.sub1, e.sub2, e.sub3, e.sub4, e.sub5 FROM {table} e JOIN campaigns c ON c.id = e.campaign_id"
        )
    };
    let mut sums: BTreeMap<Key, [i64; 7]> = BTreeMap::new();
    for q in [sql("clicks", "'CLICK'", "''", "e.counted"), sql("leads", "e.kind", "e.status", "TRUE")] {
        for r in app.db.query_all_raw(Statement::from_string(backend, q)).await.unwrap() {
            let at: DateTime<Utc> = r.try_get_by_index(2).unwrap();
            let tz: Tz = r.try_get_by_index::<String>(3).unwrap().parse().unwrap();
            let kind: String = r.try_get_by_index(4).unwrap();
            let status: String = r.try_get_by_index(5).unwrap();
            let counted: bool = r.try_get_by_index(6).unwrap();
            let payout: i64 = r.try_get_by_index(7).unwrap();
            let subs: [String; 5] =
                std::array::from_fn(|i| r.try_get_by_index::<Option<String>>(8 + i).unwrap().unwrap_or_default());
            let key = (
                r.try_get_by_index::<uuid::Uuid>(0).unwrap().to_string(),
                r.try_get_by_index::<uuid::Uuid>(1).unwrap().to_string(),
                at.with_timezone(&tz).format("%Y-%m-%d").to_string(),
                kind.clone(),
                subs,
            );
            let v = sums.entry(key).or_default();
            // A returned lead was approved, and earns nothing any more.
            let approved = matches!(status.as_str(), "APPROVED" | "CONVERTED" | "RETURNED");
            let earns = matches!(status.as_str(), "APPROVED" | "CONVERTED");
            match (kind.as_str(), counted) {
                ("CLICK", true) => {
                    v[0] += 1;
                    v[6] += payout;
                }
                ("CLICK", false) => v[1] += 1,
                _ => {
                    v[0] += 1;
                    v[2] += i64::from(approved);
                    v[3] += i64::from(status == "REJECTED");
                    v[4] += i64::from(status == "CONVERTED");
                    v[5] += i64::from(status == "RETURNED");
                    v[6] += if earns { payout } else { 0 };
                }
            }
        }
    }
    sums
}

async fn owner_token(app: &TestApp, s: &Setup) -> String {
    // The test clock jumps hours ahead, past access-token lifetimes: sign in again for each decision.
    app.login(&s.owner.email, PASSWORD).await["data"]["login"]["accessToken"].as_str().unwrap().to_owned()
}

/// Random sequences of clicks, leads, decisions and returns (some invalid, refused whole), pauses and clock jumps across days:
/// the counters kept with each change always equal a recomputation from the raw events, and the report's totals
/// agree with the leads list.
async fn rollups_match_the_raw_events(db: Db) {
    let seed = std::env::var("STATS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| u64::try_from(Utc::now().timestamp_nanos_opt().unwrap_or(1)).unwrap_or(1) | 1);
    println!("STATS_SEED={seed}");
    let mut rng = Rng(seed);
    let app = spawn_app(db).await;
    let s = setup(&app, json!([{ "metric": "CLICK", "window": "DAILY", "limit": 3 }])).await;
    // A second campaign in a half-hour time zone, for the same partner.
    let token = owner_token(&app, &s).await;
    let second = app
        .gql(
            Some(&token),
            "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
            json!({ "i": { "name": "Kolkata", "timeZone": "Asia/Kolkata", "landingUrl": "https://example.com/k", "formPayout": "3.3333", "clickPayout": "0.01" } }),
        )
        .await["data"]["createCampaign"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let added = app
        .gql(
            Some(&token),
            "mutation($c: ID!) { addMarketingPartner(input: { campaignId: $c, email: \"pat@partner.test\" }) { existingPartner } }",
            json!({ "c": second }),
        )
        .await;
    assert_eq!(added["data"]["addMarketingPartner"]["existingPartner"], true, "{added}");
    let portal = app
        .gql(Some(&s.partner.access_token), "{ myPartnerAccount { campaigns { id trackingUrl } } }", json!({}))
        .await;
    let links: Vec<String> = portal["data"]["myPartnerAccount"]["campaigns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["trackingUrl"].as_str().unwrap().to_owned())
        .collect();
    let campaigns = [s.campaign.clone(), second];
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let subs = ["", "a", "b"];
    let mut lead_ids: Vec<String> = Vec::new();
    let mut paused = false;
    for step in 0..120 {
        match rng.below(10) {
            0 => {
                app.clock.advance(Duration::minutes(i64::try_from(rng.below(12 * 60)).unwrap()));
                // What the hourly housekeeping does: fold the shards of finished days.
                partnerdesk_services::stats::fold(&app.db, app.clock.now()).await.unwrap();
            }
            1..=3 => {
                let link = &links[usize::try_from(rng.below(2)).unwrap()];
                let sub = subs[usize::try_from(rng.below(3)).unwrap()];
                let status = no_redirect.get(format!("{link}?sub1={sub}")).send().await.unwrap().status();
                assert!(status == 302 || status == 429, "click: {status}");
            }
            4..=6 => {
                let campaign = &campaigns[usize::try_from(rng.below(2)).unwrap()];
                let mut body = if rng.below(3) == 0 {
                    json!({ "campaignId": campaign, "type": "call", "callerNumber": "+12125550123", "durationSeconds": 60 })
                } else {
                    json!({ "campaignId": campaign, "type": "form", "fields": { "name": "Ann" } })
                };
                let sub = subs[usize::try_from(rng.below(3)).unwrap()];
                body["subIds"] = json!({ "sub1": sub, "sub3": if rng.below(2) == 0 { "x" } else { "" } });
                let (status, res) = post_lead(&app, &s.key, &body, None).await;
                match status {
                    201 => lead_ids.push(res["id"].as_str().unwrap().to_owned()),
                    403 => assert!(paused, "step {step}: {res}"),
                    _ => panic!("step {step}: {status} {res}"),
                }
            }
            7..=8 if !lead_ids.is_empty() => {
                let n = 1 + rng.below(3);
                let ids: Vec<&String> =
                    (0..n).map(|_| &lead_ids[usize::try_from(rng.below(lead_ids.len() as u64)).unwrap()]).collect();
                let status = ["APPROVED", "REJECTED", "CONVERTED", "RETURNED"][usize::try_from(rng.below(4)).unwrap()];
                let code = (status == "RETURNED").then_some("FRAUD");
                let res = app
                    .gql(
                        Some(&owner_token(&app, &s).await),
                        "mutation($ids: [ID!]!, $s: LeadStatus!, $c: String) { setLeadStatus(ids: $ids, status: $s, reason: \"Duplicate\", reasonCode: $c) { id } }",
                        json!({ "ids": ids, "s": status, "c": code }),
                    )
                    .await;
                // A batch with one lead that cannot move is refused whole.
                assert!(res["errors"].is_null() || error_code(&res) == Some("VALIDATION"), "{res}");
            }
            _ => {
                let op = if paused { "resumePartner" } else { "pausePartner" };
                let res = app
                    .gql(
                        Some(&owner_token(&app, &s).await),
                        &format!("mutation($p: ID!) {{ {op}(partnerId: $p) {{ id }} }}"),
                        json!({ "p": s.partner_id }),
                    )
                    .await;
                assert!(res["errors"].is_null(), "{res}");
                paused = !paused;
            }
        }
    }
    let want = recomputed(&app).await;
    assert!(!want.is_empty());
    assert_eq!(stored(&app).await, want, "seed {seed}");
    assert_eq!(stored_per_campaign(&app).await, per_campaign(&want), "seed {seed}");

    // Once every day recorded is over, it is folded into one row per campaign and day, and the figures are unchanged.
    // The fold takes days before the day before yesterday, UTC; a Kolkata day can be one date ahead of UTC's, so four
    // days on covers the last event's.
    app.clock.advance(Duration::days(4));
    let folded = partnerdesk_services::stats::fold(&app.db, app.clock.now()).await.unwrap();
    let shards = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) FROM campaign_stats WHERE shard > 0",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(shards, 0, "seed {seed}: {folded} campaign days folded");
    assert_eq!(stored_per_campaign(&app).await, per_campaign(&want), "seed {seed}");

    // The report agrees with the leads list.
    let token = owner_token(&app, &s).await;
    let report = app
        .gql(Some(&token), "{ report { totals { submitted approved rejected converted returned } } }", json!({}))
        .await;
    let totals = &report["data"]["report"]["totals"][0];
    let count = |status: &'static str| {
        let app = &app;
        let token = &token;
        async move {
            app.gql(
                Some(token),
                "query($s: LeadStatus) { leads(filter: { status: $s }) { totalCount } }",
                json!({ "s": status }),
            )
            .await["data"]["leads"]["totalCount"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(totals["submitted"], json!(lead_ids.len()));
    // A returned lead was approved, and stays counted as approved.
    let approved = count("APPROVED").await + count("CONVERTED").await + count("RETURNED").await;
    assert_eq!(totals["approved"].as_i64().unwrap(), approved);
    assert_eq!(totals["rejected"].as_i64().unwrap(), count("REJECTED").await);
    assert_eq!(totals["converted"].as_i64().unwrap(), count("CONVERTED").await);
    assert_eq!(totals["returned"].as_i64().unwrap(), count("RETURNED").await);
}

const ROW: &str = "day campaign { name } partner { email } type subId1 currency clicks clicksNotCounted forms calls \
                   submitted approved rejected converted approvalRate conversionRate earnings epc";

/// Reports group, sort, page and add up; rates with nothing to divide by are null; a partner sees only its own.
async fn reports_group_and_add_up(db: Db) {
    let app = spawn_app(db).await;
    let s = setup(&app, json!([])).await;
    let (other, _) = crate::traffic::partner_on(&app, &s.owner, &s.campaign, "other@partner.test", json!([])).await;
    let other_key = crate::traffic::api_key(&app, &other).await;
    let lead = |sub: &str| json!({ "campaignId": s.campaign, "type": "form", "subIds": { "sub1": sub } });
    // Pat: three leads on day one (two "a", one "b"), one the next day; the other partner one lead.
    let mut pat = Vec::new();
    for sub in ["a", "a", "b"] {
        pat.push(post_lead(&app, &s.key, &lead(sub), None).await.1["id"].as_str().unwrap().to_owned());
    }
    let day_one = app.clock.now().with_timezone(&chrono_tz::America::New_York).date_naive();
    app.clock.advance(Duration::days(1));
    pat.push(post_lead(&app, &s.key, &lead("a"), None).await.1["id"].as_str().unwrap().to_owned());
    assert_eq!(post_lead(&app, &other_key, &lead("z"), None).await.0, 201);
    let owner = app.login(&s.owner.email, PASSWORD).await["data"]["login"]["accessToken"].as_str().unwrap().to_owned();
    let decide = |ids: Vec<String>, status: &'static str| {
        let app = &app;
        let owner = &owner;
        async move {
            let res = app
                .gql(
                    Some(owner),
                    "mutation($ids: [ID!]!, $s: LeadStatus!) { setLeadStatus(ids: $ids, status: $s, reason: \"Bad zip\") { id } }",
                    json!({ "ids": ids, "s": status }),
                )
                .await;
            assert!(res["errors"].is_null(), "{res}");
        }
    };
    decide(vec![pat[0].clone(), pat[1].clone()], "APPROVED").await;
    decide(vec![pat[2].clone()], "REJECTED").await;
    decide(vec![pat[0].clone()], "CONVERTED").await;

    let q = format!(
        "query($f: ReportFilter, $g: [ReportDimension!], $o: ReportOrder, $first: Int, $after: String) {{
            report(filter: $f, groupBy: $g, orderBy: $o, first: $first, after: $after) {{
                totalCount totals {{ {ROW} }} pageInfo {{ hasNextPage endCursor }} nodes {{ {ROW} }} }} }}"
    );
    let report = |token: String, vars: Value| {
        let app = &app;
        let q = q.clone();
        async move { app.gql(Some(&token), &q, vars).await }
    };

    // By day, for the owner: two days, totals over both partners.
    let res = report(owner.clone(), json!({ "g": ["DAY"] })).await;
    let r = &res["data"]["report"];
    assert_eq!(r["totalCount"], 2, "{res}");
    assert_eq!(r["nodes"][0]["day"], json!(day_one.to_string()));
    assert_eq!(r["nodes"][0]["submitted"], 3);
    assert_eq!(r["nodes"][0]["approved"], 2);
    assert_eq!(r["nodes"][0]["rejected"], 1);
    assert_eq!(r["nodes"][0]["converted"], 1);
    assert_eq!(r["nodes"][0]["approvalRate"].as_f64().unwrap(), 0.666667);
    assert_eq!(r["nodes"][0]["conversionRate"].as_f64().unwrap(), 0.333333);
    assert_eq!(r["nodes"][0]["earnings"], "25.00", "two approved leads at 12.50");
    assert_eq!(r["nodes"][0]["epc"], Value::Null, "no clicks: EPC is unknown, not 0");
    assert_eq!(r["nodes"][1]["submitted"], 2);
    assert_eq!(r["nodes"][1]["approvalRate"], Value::Null, "nothing decided: no approval rate");
    assert_eq!(r["totals"][0]["submitted"], 5);
    assert_eq!(r["totals"][0]["currency"], "USD");
    assert_eq!(r["totals"][0]["day"], Value::Null);

    // By partner and sub-id, sorted by leads, paged one row at a time.
    let vars = json!({ "g": ["PARTNER", "SUB_ID1"], "o": { "field": "SUBMITTED", "direction": "DESC" }, "first": 1 });
    let res = report(owner.clone(), vars.clone()).await;
    let r = &res["data"]["report"];
    assert_eq!(r["totalCount"], 3, "{res}");
    assert_eq!(r["nodes"][0]["partner"]["email"], "pat@partner.test");
    assert_eq!(r["nodes"][0]["subId1"], "a");
    assert_eq!(r["nodes"][0]["submitted"], 3);
    assert_eq!(r["pageInfo"]["hasNextPage"], true);
    let mut next = vars;
    next["after"] = r["pageInfo"]["endCursor"].clone();
    let res = report(owner.clone(), next).await;
    assert_eq!(res["data"]["report"]["nodes"][0]["submitted"], 1, "{res}");
    assert_eq!(res["data"]["report"]["totals"][0]["submitted"], 5, "totals cover the whole report");

    // The partner's report holds its own traffic only, even when it names the other partner.
    let partner =
        app.login("pat@partner.test", PASSWORD).await["data"]["login"]["accessToken"].as_str().unwrap().to_owned();
    let other_id = app.gql(Some(&owner), "{ marketingPartners { nodes { id email } } }", json!({})).await["data"]
        ["marketingPartners"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["email"] == "other@partner.test")
        .unwrap()["id"]
        .clone();
    let res = report(partner.clone(), json!({ "g": ["PARTNER"], "f": { "partnerIds": [other_id] } })).await;
    assert_eq!(res["data"]["report"]["totalCount"], 0, "{res}");
    let res = report(partner.clone(), json!({ "g": ["CAMPAIGN"] })).await;
    assert_eq!(res["data"]["report"]["nodes"][0]["campaign"]["name"], "Solar", "{res}");
    assert_eq!(res["data"]["report"]["totals"][0]["submitted"], 4);

    // Filters: one day only; one type.
    let res = report(owner.clone(), json!({ "f": { "from": day_one.to_string(), "to": day_one.to_string() } })).await;
    assert_eq!(res["data"]["report"]["totals"][0]["submitted"], 3, "{res}");
    let res = report(owner.clone(), json!({ "f": { "types": ["CALL"] } })).await;
    assert_eq!(res["data"]["report"]["totals"], json!([]), "{res}");

    // Bad requests say what is wrong.
    for (vars, field) in [
        (json!({ "g": ["DAY", "MONTH"] }), "groupBy"),
        (json!({ "f": { "from": "2026-02-01", "to": "2026-01-01" } }), "filter.to"),
        (json!({ "first": 0 }), "first"),
        (json!({ "after": "bm9wZQ" }), "after"),
    ] {
        let res = report(owner.clone(), vars).await;
        assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
        assert_eq!(error_field(&res), Some(field), "{res}");
    }
}

on_both_databases!(rollups_match_the_raw_events, reports_group_and_add_up);

/// Reporting tokens (personal access tokens) read reports over GraphQL and CSV, and nothing else; CSV cells are
/// quoted and formula-safe.
async fn reporting_tokens_and_csv_exports(db: Db) {
    let app = spawn_app(db).await;
    let s = setup(&app, json!([])).await;
    for sub in ["=cmd()", "a,b"] {
        let body = json!({ "campaignId": s.campaign, "type": "form", "subIds": { "sub1": sub } });
        assert_eq!(post_lead(&app, &s.key, &body, None).await.0, 201);
    }
    let owner = &s.owner.access_token;
    let created = app
        .gql(
            Some(owner),
            "mutation { createApiKey(name: \"BI\", scope: REPORTS) { key apiKey { id scope } } }",
            json!({}),
        )
        .await;
    let token = created["data"]["createApiKey"]["key"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned();
    assert!(token.starts_with("pdr_"));
    assert_eq!(created["data"]["createApiKey"]["apiKey"]["scope"], "REPORTS");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM api_keys WHERE key_hash = '{token}'")).await, 0);

    let res = app.gql(Some(&token), "{ report { totals { submitted } } }", json!({})).await;
    assert_eq!(res["data"]["report"]["totals"][0]["submitted"], 2, "{res}");
    for q in ["{ me { id } }", "{ leads { totalCount } }", "mutation { createApiKey(name: \"x\") { key } }"] {
        assert_eq!(error_code(&app.gql(Some(&token), q, json!({})).await), Some("FORBIDDEN"), "{q}");
    }
    // Neither kind of key does the other's job.
    let (status, body) = post_lead(&app, &token, &json!({ "campaignId": s.campaign, "type": "form" }), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("FORBIDDEN")));
    assert_eq!(
        error_code(&app.gql(Some(&s.key), "{ report { totalCount } }", json!({})).await),
        Some("UNAUTHENTICATED")
    );

    let csv = |token: String, query: &'static str| {
        let app = &app;
        async move {
            let res = app
                .client
                .get(format!("{}/v1/reports.csv{query}", app.address))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let ctype = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
            (status, ctype, res.text().await.unwrap())
        }
    };
    let (status, ctype, text) = csv(token.clone(), "?groupBy=CAMPAIGN,SUB_ID1&orderBy=SUBMITTED&direction=DESC").await;
    assert_eq!((status, ctype.as_str()), (200, "text/csv; charset=utf-8"), "{text}");
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "campaign_id,campaign,sub_id1,currency,clicks,clicks_not_counted,forms,calls,submitted,approved,rejected,\
         converted,returned,approval_rate,conversion_rate,return_rate,earnings,epc"
    );
    assert_eq!(lines.len(), 4, "a header, two rows and the final line break: {text}");
    let row = |sub: &str| lines.iter().find(|l| l.contains(sub)).copied().unwrap_or_default().to_owned();
    assert_eq!(row("cmd"), format!("{},Solar,'=cmd(),USD,0,0,1,0,1,0,0,0,0,,0.000000,,0.00,", s.campaign));
    assert!(row("a,b").contains(",\"a,b\",USD,"), "{text}");

    // A partner's own access token: its own rows; bad requests are JSON errors; no token, no report.
    let (status, _, text) = csv(s.partner.access_token.clone(), "?groupBy=PARTNER").await;
    assert_eq!(status, 200);
    assert!(text.contains("pat@partner.test") && text.lines().count() == 2, "{text}");
    let (status, ctype, text) = csv(token.clone(), "?groupBy=HOUR").await;
    assert_eq!((status, ctype.as_str()), (400, "application/json"), "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["error"]["field"], "groupBy");
    let res = app.client.get(format!("{}/v1/reports.csv", app.address)).send().await.unwrap();
    assert_eq!(res.status(), 401);

    // Revoked: refused.
    let id = created["data"]["createApiKey"]["apiKey"]["id"].clone();
    app.gql(Some(owner), "mutation($id: ID!) { revokeApiKey(id: $id) { id } }", json!({ "id": id })).await;
    assert_eq!(
        error_code(&app.gql(Some(&token), "{ report { totalCount } }", json!({})).await),
        Some("UNAUTHENTICATED")
    );
}

on_both_databases!(reporting_tokens_and_csv_exports);

/// A report read in a chosen time zone cuts days at that zone's midnight (from the raw events); by default each
/// campaign's own zone.
async fn reports_in_a_chosen_time_zone(db: Db) {
    let app = spawn_app(db).await;
    // 02:00 UTC is still the day before in New York (the campaign's zone).
    let now = app.clock.now();
    let two_am = (now + Duration::days(1)).date_naive().and_hms_opt(2, 0, 0).unwrap().and_utc();
    app.clock.advance(two_am - now);
    let s = setup(&app, json!([])).await;
    for sub in ["a", "a", "b"] {
        let body = json!({ "campaignId": s.campaign, "type": "form", "subIds": { "sub1": sub } });
        assert_eq!(post_lead(&app, &s.key, &body, None).await.0, 201);
    }
    let utc_day = two_am.date_naive();
    let ny_day = utc_day - Duration::days(1);
    let q = "query($f: ReportFilter) { report(filter: $f, groupBy: [DAY, SUB_ID1], orderBy: { field: SUBMITTED, direction: DESC }) {
        totalCount totals { submitted } nodes { day subId1 submitted } } }";
    let owner = &s.owner.access_token;
    let range =
        |tz: Option<&str>| json!({ "f": { "from": ny_day.to_string(), "to": utc_day.to_string(), "timeZone": tz } });
    let res = app.gql(Some(owner), q, range(None)).await;
    assert_eq!(
        res["data"]["report"]["nodes"],
        json!([{ "day": ny_day.to_string(), "subId1": "a", "submitted": 2 }, { "day": ny_day.to_string(), "subId1": "b", "submitted": 1 }]),
        "{res}"
    );
    let res = app.gql(Some(owner), q, range(Some("UTC"))).await;
    assert_eq!(
        res["data"]["report"]["nodes"],
        json!([{ "day": utc_day.to_string(), "subId1": "a", "submitted": 2 }, { "day": utc_day.to_string(), "subId1": "b", "submitted": 1 }]),
        "{res}"
    );
    assert_eq!(res["data"]["report"]["totals"], json!([{ "submitted": 3 }]));
    // The partner's own view in a zone, and the same on CSV.
    let res = app.gql(Some(&s.partner.access_token), q, range(Some("Asia/Kolkata"))).await;
    assert_eq!(res["data"]["report"]["totalCount"], 2, "{res}");
    let csv = app
        .client
        .get(format!("{}/v1/reports.csv?groupBy=DAY&from={ny_day}&to={utc_day}&timeZone=UTC", app.address))
        .bearer_auth(owner)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains(&format!("\r\n{utc_day},USD,0,0,3,0,3,")), "{csv}");

    for (vars, field) in [
        (json!({ "f": { "timeZone": "UTC" } }), "filter.from"),
        (json!({ "f": { "from": "2026-01-01", "to": "2026-01-02", "timeZone": "Mars/Olympus" } }), "filter.timeZone"),
        (json!({ "f": { "from": "2025-01-01", "to": "2026-06-01", "timeZone": "UTC" } }), "filter.to"),
    ] {
        let res = app.gql(Some(owner), q, vars).await;
        assert_eq!((error_code(&res), error_field(&res)), (Some("VALIDATION"), Some(field)), "{res}");
    }
}

on_both_databases!(reports_in_a_chosen_time_zone, the_rollup_migration_fills_in_existing_traffic);

/// Upgrading a database that already holds traffic: the migration that creates the rollups fills them from the
/// events recorded before, exactly as the running application would have.
async fn the_rollup_migration_fills_in_existing_traffic(db: Db) {
    use partnerdesk_migrations::{Migrator, MigratorTrait as _};
    let app = spawn_app(db).await;
    let s = setup(&app, json!([{ "metric": "CLICK", "window": "DAILY", "limit": 1 }])).await;
    let portal =
        app.gql(Some(&s.partner.access_token), "{ myPartnerAccount { campaigns { trackingUrl } } }", json!({})).await;
    let link = portal["data"]["myPartnerAccount"]["campaigns"][0]["trackingUrl"].as_str().unwrap().to_owned();
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for sub in ["a", "a"] {
        no_redirect.get(format!("{link}?sub1={sub}")).send().await.unwrap();
    }
    let mut ids = Vec::new();
    for sub in ["x", "y", "x"] {
        let body = json!({ "campaignId": s.campaign, "type": "form", "subIds": { "sub2": sub } });
        ids.push(post_lead(&app, &s.key, &body, None).await.1["id"].as_str().unwrap().to_owned());
    }
    let res = app
        .gql(
            Some(&s.owner.access_token),
            "mutation($ids: [ID!]!) { setLeadStatus(ids: $ids, status: APPROVED) { id } }",
            json!({ "ids": [ids[0], ids[1]] }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    let before = stored(&app).await;
    assert_eq!(before.len(), 3, "clicks (one counted, one not) and leads by sub2: {before:?}");

    assert_eq!(stored_per_campaign(&app).await, per_campaign(&before));

    // Back to the first eight migrations (undoing every later one, the one-statement write batch among them), and
    // up again.
    Migrator::down(&app.db, Some(Migrator::migrations().len() as u32 - 8)).await.unwrap();
    Migrator::up(&app.db, None).await.unwrap();
    assert_eq!(stored(&app).await, before);
    assert_eq!(stored_per_campaign(&app).await, per_campaign(&before));
}
