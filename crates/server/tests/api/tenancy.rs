//! One account, many advertisers: a partner's single login works with every organization that invites it, an owner
//! can be a partner of other organizations, and no organization learns anything of another through it.

use serde_json::{Value, json};

use crate::helpers::{
    Db, PASSWORD, Session, TestApp, assert_mentions_none, error_code, error_field, session, spawn_app, wait_until,
};
use crate::traffic::{api_key, partner_on, post_lead, post_status};

const ADD: &str = "mutation($c: ID!, $e: String!) { addMarketingPartner(input: { campaignId: $c, email: $e }) \
                   { existingPartner assignment { status partner { id email } campaign { name } } } }";
const PREVIEW: &str =
    "query($t: String!) { invitationPreview(token: $t) { organizationName email campaigns accountExists } }";
const PORTAL: &str = "{ myPartnerAccount { email name advertisers { partnerId name status organization { id name } } \
                      campaigns { id name currency status advertiser { id name } } } }";
const REPORT: &str = "query($as: Role, $f: ReportFilter, $g: [ReportDimension!]) { report(as: $as, filter: $f, groupBy: $g) \
                      { totalCount totals { currency submitted approved earnings } \
                        nodes { campaign { id name } partner { id email name } currency submitted earnings } } }";
const LEADS: &str =
    "{ leads(first: 100) { totalCount nodes { id campaignId partnerId partner { id email name } payout } } }";
const PARTNERS: &str = "{ marketingPartners(first: 100) { totalCount nodes { id email name status \
                        campaigns { status campaign { id name currency } } } } }";
const PARTNER_VIEW: &str = "query($p: ID!) { marketingPartner(id: $p) { id email name status registeredAt \
                            campaigns { status campaign { id name currency } } \
                            invitations { state sendCount } emails { kind subject } } }";
const CAMPAIGNS: &str = "{ campaigns(first: 100) { totalCount nodes { id name currency \
                         marketingPartners(first: 100) { nodes { status partner { id email name } } } } } }";
const ME: &str = "{ me { id email name organization { id name } advertisers { id name } } }";

async fn create(app: &TestApp, owner: &Session, name: &str, currency: &str, zone: &str, form_payout: &str) -> String {
    let res = app
        .gql(
            Some(&owner.access_token),
            "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
            json!({ "i": { "name": name, "timeZone": zone, "landingUrl": "https://example.com/offer",
                           "currency": currency, "formPayout": form_payout } }),
        )
        .await;
    res["data"]["createCampaign"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_owned()
}

/// `data` of a GraphQL answer that must succeed.
pub async fn ok(app: &TestApp, token: &str, query: &str, vars: Value) -> Value {
    let res = app.gql(Some(token), query, vars).await;
    assert!(res["errors"].is_null(), "{query}: {res}");
    res["data"].clone()
}

/// A form lead sent with an API key: the status and the body.
async fn send(app: &TestApp, key: &str, campaign: &str) -> (u16, Value) {
    post_lead(app, key, &json!({ "campaignId": campaign, "type": "form", "fields": { "name": "Ann" } }), None).await
}

async fn sent(app: &TestApp, key: &str, campaign: &str) -> String {
    let (status, body) = send(app, key, campaign).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// A report's totals as (currency, submitted, earnings), in currency order.
fn totals(report: &Value) -> Vec<(String, i64, String)> {
    let mut t: Vec<(String, i64, String)> = report["totals"]
        .as_array()
        .unwrap_or_else(|| panic!("{report}"))
        .iter()
        .map(|r| {
            (
                r["currency"].as_str().unwrap().to_owned(),
                r["submitted"].as_i64().unwrap(),
                r["earnings"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    t.sort();
    t
}

fn t(currency: &str, submitted: i64, earnings: &str) -> (String, i64, String) {
    (currency.to_owned(), submitted, earnings.to_owned())
}

fn message(res: &Value) -> &str {
    res["errors"][0]["message"].as_str().unwrap_or_default()
}

/// The seed flow of issue 12: a partner registered with A is invited by B under the same email; it logs in and
/// accepts; one API key sends to both; the portal and reports show both advertisers, one total per currency; each
/// owner sees nothing of the other; A's pause touches only A.
async fn one_login_works_for_two_advertisers(db: Db) {
    let app = spawn_app(db).await;
    let a = app.sign_up("owner@alpha.test", "Alpha Leads").await;
    let b = app.sign_up("owner@beta.test", "Beta Media").await;
    let solar = create(&app, &a, "Alpha Solar", "USD", "America/New_York", "12.50").await;
    let roofing = create(&app, &b, "Beta Roofing", "EUR", "Europe/Berlin", "20").await;
    let (org_a, org_b) = (app.organization_id(&a).await, app.organization_id(&b).await);

    // A partner of A only, with a lead of its own.
    let (ann, _) = partner_on(&app, &a, &solar, "ann@alpha-only.test", json!([])).await;
    let ann_lead = sent(&app, &api_key(&app, &ann).await, &solar).await;
    // Pat registers with A and makes an API key.
    let (pat, pat_in_a) = partner_on(&app, &a, &solar, "pat@partner.test", json!([])).await;
    let key = api_key(&app, &pat).await;

    // B invites the same email in another letter case: a partner record of B's own, invited; the email says log in.
    let res = app.gql(Some(&b.access_token), ADD, json!({ "c": roofing, "e": "Pat@Partner.TEST" })).await;
    let added = &res["data"]["addMarketingPartner"];
    assert_eq!(added["existingPartner"], false, "B never had this partner: {res}");
    assert_eq!(
        (&added["assignment"]["status"], &added["assignment"]["partner"]["email"]),
        (&json!("INVITED"), &json!("pat@partner.test")),
        "{res}"
    );
    let pat_in_b = added["assignment"]["partner"]["id"].as_str().unwrap().to_owned();
    assert_ne!(pat_in_a, pat_in_b, "one partner record per organization");
    let (token, mail) = app.invitation_from("pat@partner.test", "Beta Media").await;
    assert!(mail.contains("Log in to accept"), "{mail}");
    assert!(!mail.contains("Register"), "an existing account is not asked to register: {mail}");
    assert!(mail.contains("Beta Roofing") && !mail.contains("Alpha"), "{mail}");

    // A new email invited by B registers, for contrast.
    app.gql(Some(&b.access_token), ADD, json!({ "c": roofing, "e": "bo@beta-only.test" })).await;
    let (bo_token, bo_mail) = app.invitation_from("bo@beta-only.test", "Beta Media").await;
    assert!(bo_mail.contains("Register") && !bo_mail.contains("Log in to accept"), "{bo_mail}");
    let preview = app.gql(None, PREVIEW, json!({ "t": bo_token })).await;
    assert_eq!(preview["data"]["invitationPreview"]["accountExists"], false, "{preview}");
    let bo = session(&app.accept_invitation(None, &bo_token, Some("Bo"), Some(PASSWORD)).await, "acceptInvitation");
    let bo_lead = sent(&app, &api_key(&app, &bo).await, &roofing).await;

    // The register page: the invitation says the account exists.
    let preview = app.gql(None, PREVIEW, json!({ "t": token })).await;
    assert_eq!(
        preview["data"]["invitationPreview"],
        json!({ "organizationName": "Beta Media", "email": "pat@partner.test", "campaigns": ["Beta Roofing"], "accountExists": true }),
        "{preview}"
    );

    // Anonymous: told to log in as the invited address, with or without a new password (no second account, and the
    // password stays).
    for (name, password) in [(None, None), (Some("Pat Again"), Some("another password 123"))] {
        let res = app.accept_invitation(None, &token, name, password).await;
        assert_eq!(error_code(&res), Some("UNAUTHENTICATED"), "{res}");
        assert!(message(&res).contains("pat@partner.test"), "the message names the invited address: {res}");
    }
    assert_eq!(error_code(&app.login("pat@partner.test", "another password 123").await), Some("INVALID_CREDENTIALS"));
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'pat@partner.test'").await, 1);

    // Signed in as another account (a partner of A, B's own owner): FORBIDDEN naming the invited address, and
    // nothing changes.
    for other in [&ann, &b, &a] {
        let res = app.accept_invitation(Some(&other.access_token), &token, Some("Pat"), None).await;
        assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
        assert!(message(&res).contains("pat@partner.test"), "the message names the invited address: {res}");
    }
    let view = ok(&app, &b.access_token, PARTNER_VIEW, json!({ "p": pat_in_b })).await;
    assert_eq!(
        (&view["marketingPartner"]["status"], &view["marketingPartner"]["registeredAt"]),
        (&json!("INVITED"), &Value::Null),
        "{view}"
    );
    let me = ok(&app, &ann.access_token, ME, json!({})).await;
    assert_eq!(me["me"]["advertisers"], json!([{ "id": org_a, "name": "Alpha Leads" }]), "{me}");
    let me = ok(&app, &b.access_token, ME, json!({})).await;
    assert_eq!(me["me"]["advertisers"], json!([]), "{me}");
    assert!(app.gql(None, PREVIEW, json!({ "t": token })).await["data"]["invitationPreview"].is_object());

    // Pat logs in on the register page and accepts. The link works once.
    let pat = session(&app.login("pat@partner.test", PASSWORD).await, "login");
    let res = app.accept_invitation(Some(&pat.access_token), &token, None, None).await;
    let accepted = session(&res, "acceptInvitation");
    assert_eq!(accepted.email, "pat@partner.test");
    let res = app.accept_invitation(Some(&pat.access_token), &token, None, None).await;
    assert_eq!(error_code(&res), Some("INVITATION_USED"), "{res}");
    let me = ok(&app, &pat.access_token, ME, json!({})).await;
    assert_eq!(me["me"]["organization"], Value::Null);
    assert_eq!(
        me["me"]["advertisers"],
        json!([{ "id": org_a, "name": "Alpha Leads" }, { "id": org_b, "name": "Beta Media" }]),
        "{me}"
    );

    // One API key (made before B's invitation) sends to A's campaign and to B's.
    let lead_a = sent(&app, &key, &solar).await;
    let lead_b = sent(&app, &key, &roofing).await;

    // The portal: both advertisers, both campaigns with the advertiser's name and currency.
    let portal = ok(&app, &pat.access_token, PORTAL, json!({})).await;
    let p = &portal["myPartnerAccount"];
    assert_eq!((&p["email"], &p["name"]), (&json!("pat@partner.test"), &json!("Pat")), "{portal}");
    assert_eq!(
        p["advertisers"],
        json!([{ "partnerId": pat_in_a, "name": "Pat", "status": "ACTIVE", "organization": { "id": org_a, "name": "Alpha Leads" } },
               { "partnerId": pat_in_b, "name": "Pat", "status": "ACTIVE", "organization": { "id": org_b, "name": "Beta Media" } }]),
        "{portal}"
    );
    let mut campaigns: Vec<(Value, Value, Value)> = p["campaigns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].clone(), c["currency"].clone(), c["advertiser"]["name"].clone()))
        .collect();
    campaigns.sort_by_key(|c| c.0.to_string());
    assert_eq!(
        campaigns,
        vec![
            (json!("Alpha Solar"), json!("USD"), json!("Alpha Leads")),
            (json!("Beta Roofing"), json!("EUR"), json!("Beta Media"))
        ],
        "{portal}"
    );

    // Each owner approves the lead it got: earnings in each currency, never added up.
    for (owner, id) in [(&a, &lead_a), (&b, &lead_b)] {
        ok(
            &app,
            &owner.access_token,
            "mutation($id: ID!) { setLeadStatus(ids: [$id], status: APPROVED) { id } }",
            json!({ "id": id }),
        )
        .await;
    }
    let report = |token: String, vars: Value| {
        let app = &app;
        async move { ok(app, &token, REPORT, vars).await["report"].clone() }
    };
    let mine = report(pat.access_token.clone(), json!({ "as": "PARTNER" })).await;
    assert_eq!(totals(&mine), vec![t("EUR", 1, "20.00"), t("USD", 1, "12.50")], "{mine}");
    assert_eq!(mine["nodes"].as_array().unwrap().len(), 2, "grouped by nothing: one row per currency: {mine}");
    assert_eq!(report(pat.access_token.clone(), json!({})).await, mine, "a partner-only account reads as a partner");
    let only_b =
        report(pat.access_token.clone(), json!({ "as": "PARTNER", "f": { "organizationIds": [org_b] } })).await;
    assert_eq!(totals(&only_b), vec![t("EUR", 1, "20.00")], "{only_b}");
    let only_a =
        report(pat.access_token.clone(), json!({ "f": { "organizationIds": [org_a] }, "g": ["CAMPAIGN"] })).await;
    assert_eq!(totals(&only_a), vec![t("USD", 1, "12.50")], "{only_a}");
    assert_eq!(only_a["nodes"][0]["campaign"]["name"], "Alpha Solar", "{only_a}");
    let by_campaign = report(pat.access_token.clone(), json!({ "g": ["CAMPAIGN", "PARTNER"] })).await;
    assert_eq!(by_campaign["totalCount"], 2, "{by_campaign}");
    let my_leads = "query($o: ID) { myLeads(filter: { organizationId: $o }) { totalCount nodes { id } } }";
    let all = ok(&app, &pat.access_token, my_leads, json!({ "o": null })).await;
    assert_eq!(all["myLeads"]["totalCount"], 2, "{all}");
    let in_b = ok(&app, &pat.access_token, my_leads, json!({ "o": org_b })).await;
    assert_eq!(in_b["myLeads"]["nodes"], json!([{ "id": lead_b }]), "{in_b}");

    // Pat sees no other partner's traffic or address, in either organization.
    let others: [&str; 6] =
        ["ann@alpha-only.test", &ann_lead, "bo@beta-only.test", &bo_lead, "owner@alpha.test", "owner@beta.test"];
    for (what, answer) in [("portal", &portal), ("report", &by_campaign), ("myLeads", &all)] {
        assert_mentions_none(answer, &others, what);
    }

    // Owner A's views hold nothing of B, and owner B's nothing of A: no name, email, id, count or figure.
    let of_b: [&str; 11] = [
        "Beta Media",
        "Beta Roofing",
        &roofing,
        &org_b,
        &pat_in_b,
        &lead_b,
        &bo_lead,
        "bo@beta-only.test",
        "owner@beta.test",
        "\"currency\":\"EUR\"",
        "20.00",
    ];
    let of_a: [&str; 11] = [
        "Alpha Leads",
        "Alpha Solar",
        &solar,
        &org_a,
        &pat_in_a,
        &lead_a,
        &ann_lead,
        "ann@alpha-only.test",
        "owner@alpha.test",
        "\"currency\":\"USD\"",
        "12.50",
    ];
    for (owner, own_partner, foreign, leads, totals_want) in [
        (&a, &pat_in_a, &of_b, [&ann_lead, &lead_a], vec![t("USD", 2, "12.50")]),
        (&b, &pat_in_b, &of_a, [&bo_lead, &lead_b], vec![t("EUR", 2, "20.00")]),
    ] {
        let tok = &owner.access_token;
        let list = ok(&app, tok, LEADS, json!({})).await;
        let mut ids: Vec<&str> =
            list["leads"]["nodes"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
        ids.sort_unstable();
        let mut want: Vec<&str> = leads.iter().map(|s| s.as_str()).collect();
        want.sort_unstable();
        assert_eq!(ids, want, "{} sees its own leads only: {list}", owner.email);
        let full = report(tok.clone(), json!({ "g": ["CAMPAIGN", "PARTNER"] })).await;
        assert_eq!(totals(&full), totals_want, "{} report: {full}", owner.email);
        let partners = ok(&app, tok, PARTNERS, json!({})).await;
        let view = ok(&app, tok, PARTNER_VIEW, json!({ "p": own_partner })).await;
        let v = &view["marketingPartner"];
        assert_eq!(
            (&v["email"], &v["name"], &v["status"]),
            (&json!("pat@partner.test"), &json!("Pat"), &json!("ACTIVE")),
            "{view}"
        );
        assert_eq!(v["campaigns"].as_array().unwrap().len(), 1, "{view}");
        assert_eq!(v["invitations"], json!([{ "state": "ACCEPTED", "sendCount": 1 }]), "{view}");
        let campaigns = ok(&app, tok, CAMPAIGNS, json!({})).await;
        let me = ok(&app, tok, ME, json!({})).await;
        for (what, answer) in [
            ("leads", &list),
            ("report", &full),
            ("marketingPartners", &partners),
            ("marketingPartner", &view),
            ("campaigns", &campaigns),
            ("me", &me),
        ] {
            assert_mentions_none(answer, foreign, &format!("{}'s {what}", owner.email));
        }
        // The other organization's partner record is not found.
        let other = if *own_partner == pat_in_a { &pat_in_b } else { &pat_in_a };
        let res = app.gql(Some(tok), PARTNER_VIEW, json!({ "p": other })).await;
        assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
        assert_mentions_none(&res, foreign, "another organization's partner record");
    }

    // A pauses Pat everywhere: A's campaign refuses its leads, B's still takes them.
    ok(&app, &a.access_token, "mutation($p: ID!) { pausePartner(partnerId: $p) { status } }", json!({ "p": pat_in_a }))
        .await;
    let (status, body) = send(&app, &key, &solar).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("PARTNER_PAUSED")), "{body}");
    let (status, body) = send(&app, &key, &roofing).await;
    assert_eq!(status, 201, "B's campaign still takes Pat's leads: {body}");
    let view = ok(&app, &b.access_token, PARTNER_VIEW, json!({ "p": pat_in_b })).await;
    assert_eq!(view["marketingPartner"]["status"], "ACTIVE", "{view}");
    assert_mentions_none(&view, &of_a, "B's view of Pat after A paused it");
    let portal = ok(&app, &pat.access_token, PORTAL, json!({})).await;
    let statuses: Vec<(Value, Value)> = portal["myPartnerAccount"]["advertisers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["organization"]["name"].clone(), m["status"].clone()))
        .collect();
    assert_eq!(
        statuses,
        vec![(json!("Alpha Leads"), json!("PAUSED")), (json!("Beta Media"), json!("ACTIVE"))],
        "{portal}"
    );

    // A removes Pat from its campaign: the portal keeps B's; B's leads still come in.
    let res = ok(
        &app,
        &a.access_token,
        "mutation($p: ID!, $c: ID!) { removePartner(partnerId: $p, campaignId: $c) }",
        json!({ "p": pat_in_a, "c": solar }),
    )
    .await;
    assert_eq!(res["removePartner"], true);
    let portal = ok(&app, &pat.access_token, PORTAL, json!({})).await;
    let names: Vec<&Value> =
        portal["myPartnerAccount"]["campaigns"].as_array().unwrap().iter().map(|c| &c["name"]).collect();
    assert_eq!(names, vec![&json!("Beta Roofing")], "{portal}");
    assert_eq!(send(&app, &key, &roofing).await.0, 201);
    let view = ok(&app, &b.access_token, PARTNER_VIEW, json!({ "p": pat_in_b })).await;
    assert_eq!(view["marketingPartner"]["campaigns"].as_array().unwrap().len(), 1, "{view}");
}

/// Every token of `organization`'s invitations to `email` in the outbox, oldest first.
fn tokens_from(app: &TestApp, email: &str, organization: &str) -> Vec<(String, String)> {
    let subject = format!("Subject: {organization} invites you to Partnerdesk");
    app.eml_files()
        .into_iter()
        .filter(|m| m.contains(&format!("To: {email}")) && m.contains(&subject) && m.contains("/register?token="))
        .map(|m| (crate::smtp::token_of(&crate::smtp::invitation_link(&m)), crate::smtp::decoded(&m)))
        .collect()
}

/// An invitation to an email that has an account follows the rules of any invitation: a resend replaces the link,
/// it expires, it works once, a revoked one does not work; inviting one's own email is refused; inviting a partner
/// the organization already has assigns it.
async fn an_existing_accounts_invitation_expires_works_once_and_can_be_revoked(db: Db) {
    let app = spawn_app(db).await;
    let a = app.sign_up("owner@alpha.test", "Alpha Leads").await;
    let b = app.sign_up("owner@beta.test", "Beta Media").await;
    let c = app.sign_up("owner@gamma.test", "Gamma Ads").await;
    let solar = app.create_campaign(&a.access_token, "Alpha Solar").await;
    let roofing = app.create_campaign(&b.access_token, "Beta Roofing").await;
    let windows = app.create_campaign(&c.access_token, "Gamma Windows").await;
    partner_on(&app, &a, &solar, "pat@partner.test", json!([])).await;
    let accept = |token: String| {
        let app = &app;
        async move {
            let pat = session(&app.login("pat@partner.test", PASSWORD).await, "login");
            app.accept_invitation(Some(&pat.access_token), &token, None, None).await
        }
    };

    // B invites Pat; a resend within the minute is refused; after it, a new link replaces the old one.
    let res = app.gql(Some(&b.access_token), ADD, json!({ "c": roofing, "e": "pat@partner.test" })).await;
    let pat_in_b = res["data"]["addMarketingPartner"]["assignment"]["partner"]["id"].clone();
    let (first, _) = app.invitation_from("pat@partner.test", "Beta Media").await;
    let resend = "mutation($p: ID!) { resendInvitation(partnerId: $p) { status } }";
    let res = app.gql(Some(&b.access_token), resend, json!({ "p": pat_in_b })).await;
    assert_eq!(error_code(&res), Some("RATE_LIMITED"), "{res}");
    app.clock.advance(chrono::Duration::seconds(61));
    let res = app.gql(Some(&b.access_token), resend, json!({ "p": pat_in_b })).await;
    assert_eq!(res["data"]["resendInvitation"]["status"], "INVITED", "{res}");
    let (second, mail) = wait_until("the resent invitation", || async {
        tokens_from(&app, "pat@partner.test", "Beta Media").into_iter().find(|(t, _)| *t != first)
    })
    .await;
    assert!(mail.contains("Log in to accept") && !mail.contains("Register"), "the resent email says log in: {mail}");
    assert_eq!(error_code(&accept(first.clone()).await), Some("INVITATION_INVALID"));

    // Seven days later the link has expired; a resend gives a new one, which works once.
    app.clock.advance(chrono::Duration::days(7));
    assert_eq!(error_code(&accept(second.clone()).await), Some("INVITATION_EXPIRED"));
    let b = session(&app.login("owner@beta.test", PASSWORD).await, "login");
    let res = app.gql(Some(&b.access_token), resend, json!({ "p": pat_in_b })).await;
    assert!(res["errors"].is_null(), "{res}");
    let (third, _) = wait_until("the invitation sent again", || async {
        tokens_from(&app, "pat@partner.test", "Beta Media").into_iter().find(|(t, _)| *t != first && *t != second)
    })
    .await;
    session(&accept(third.clone()).await, "acceptInvitation");
    assert_eq!(error_code(&accept(third).await), Some("INVITATION_USED"));

    // C invites Pat and withdraws the invitation: the link does not work, and Pat has no part in C.
    let c = session(&app.login("owner@gamma.test", PASSWORD).await, "login");
    let res = app.gql(Some(&c.access_token), ADD, json!({ "c": windows, "e": "pat@partner.test" })).await;
    let pat_in_c = res["data"]["addMarketingPartner"]["assignment"]["partner"]["id"].clone();
    let (gone, _) = app.invitation_from("pat@partner.test", "Gamma Ads").await;
    let res = app
        .gql(
            Some(&c.access_token),
            "mutation($p: ID!) { revokeInvitation(partnerId: $p) { status } }",
            json!({ "p": pat_in_c }),
        )
        .await;
    assert_eq!(res["data"]["revokeInvitation"]["status"], "REVOKED", "{res}");
    assert_eq!(error_code(&accept(gone).await), Some("INVITATION_REVOKED"));
    let pat = session(&app.login("pat@partner.test", PASSWORD).await, "login");
    let me = ok(&app, &pat.access_token, ME, json!({})).await;
    let names: Vec<&Value> = me["me"]["advertisers"].as_array().unwrap().iter().map(|o| &o["name"]).collect();
    assert_eq!(names, vec![&json!("Alpha Leads"), &json!("Beta Media")], "{me}");

    // B adds Pat, now its partner, to another campaign: assigned at once, no new invitation.
    let gutters = app.create_campaign(&b.access_token, "Beta Gutters").await;
    let invitations = tokens_from(&app, "pat@partner.test", "Beta Media").len();
    let res = app.gql(Some(&b.access_token), ADD, json!({ "c": gutters, "e": "PAT@partner.test" })).await;
    assert_eq!(res["data"]["addMarketingPartner"]["existingPartner"], true, "{res}");
    assert_eq!(res["data"]["addMarketingPartner"]["assignment"]["status"], "ACTIVE", "{res}");
    let portal = ok(&app, &pat.access_token, PORTAL, json!({})).await;
    let gutters_in_portal = portal["myPartnerAccount"]["campaigns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == json!(gutters))
        .cloned()
        .unwrap_or_else(|| panic!("{portal}"));
    assert_eq!(gutters_in_portal["advertiser"]["name"], "Beta Media");
    assert_eq!(tokens_from(&app, "pat@partner.test", "Beta Media").len(), invitations);

    // An owner inviting its own email, in any letter case: VALIDATION, nothing written.
    let a = session(&app.login("owner@alpha.test", PASSWORD).await, "login");
    let res = app.gql(Some(&a.access_token), ADD, json!({ "c": solar, "e": " Owner@Alpha.TEST " })).await;
    assert_eq!((error_code(&res), error_field(&res)), (Some("VALIDATION"), Some("email")), "{res}");
    assert_eq!(app.count("SELECT COUNT(*) FROM marketing_partners WHERE email = 'owner@alpha.test'").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM email_outbox WHERE to_address = 'owner@alpha.test'").await, 0);
}

/// The owner of C accepts A's invitation with its owner account: it keeps its organization and gains the partner
/// portal; its two sides have their own figures; A sees it as a partner and nothing of C.
async fn an_owner_can_be_a_partner_of_another_organization(db: Db) {
    let app = spawn_app(db).await;
    let a = app.sign_up("owner@alpha.test", "Alpha Leads").await;
    let c = app.sign_up("owner@gamma.test", "Gamma Ads").await;
    let solar = create(&app, &a, "Alpha Solar", "USD", "America/New_York", "12.50").await;
    let windows = create(&app, &c, "Gamma Windows", "USD", "America/Chicago", "5").await;
    let org_c = app.organization_id(&c).await;
    let (cy, _) = partner_on(&app, &c, &windows, "cy@gamma-only.test", json!([])).await;
    let cy_lead = sent(&app, &api_key(&app, &cy).await, &windows).await;

    let res = app.gql(Some(&a.access_token), ADD, json!({ "c": solar, "e": "owner@gamma.test" })).await;
    let c_in_a = res["data"]["addMarketingPartner"]["assignment"]["partner"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{res}"))
        .to_owned();
    let (token, mail) = app.invitation_from("owner@gamma.test", "Alpha Leads").await;
    assert!(mail.contains("Log in to accept") && !mail.contains("Register"), "an owner has an account: {mail}");
    let preview = app.gql(None, PREVIEW, json!({ "t": token })).await;
    assert_eq!(preview["data"]["invitationPreview"]["accountExists"], true, "{preview}");

    // An owner account has no partner name yet: it gives one.
    let res = app.accept_invitation(Some(&c.access_token), &token, None, None).await;
    assert_eq!((error_code(&res), error_field(&res)), (Some("VALIDATION"), Some("name")), "{res}");
    session(
        &app.accept_invitation(Some(&c.access_token), &token, Some("Gamma Traffic"), None).await,
        "acceptInvitation",
    );

    // Memberships are read on each request: the access token from before the acceptance sees the new one.
    let me = ok(&app, &c.access_token, ME, json!({})).await;
    assert_eq!(me["me"]["organization"]["name"], "Gamma Ads", "{me}");
    assert_eq!(
        me["me"]["advertisers"],
        json!([{ "id": app.organization_id(&a).await, "name": "Alpha Leads" }]),
        "{me}"
    );
    let own = ok(&app, &c.access_token, CAMPAIGNS, json!({})).await;
    let ids: Vec<&Value> = own["campaigns"]["nodes"].as_array().unwrap().iter().map(|n| &n["id"]).collect();
    assert_eq!(ids, vec![&json!(windows)], "its own organization's campaigns only: {own}");
    let portal = ok(&app, &c.access_token, PORTAL, json!({})).await;
    let p = &portal["myPartnerAccount"];
    assert_eq!((&p["email"], &p["name"]), (&json!("owner@gamma.test"), &json!("Gamma Traffic")), "{portal}");
    assert_eq!(p["campaigns"].as_array().unwrap().len(), 1, "{portal}");
    assert_eq!(
        (&p["campaigns"][0]["id"], &p["campaigns"][0]["advertiser"]["name"]),
        (&json!(solar), &json!("Alpha Leads"))
    );

    // Its key sends to A as a partner; its own campaign is not one it is a partner of.
    let key = api_key(&app, &c).await;
    let to_a = [sent(&app, &key, &solar).await, sent(&app, &key, &solar).await];
    let (status, body) = send(&app, &key, &windows).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("NOT_ASSIGNED")), "{body}");

    // Two sides, two sets of figures; the owner's by default.
    let report = |side: Value| {
        let app = &app;
        let tok = c.access_token.clone();
        async move { ok(app, &tok, REPORT, json!({ "as": side, "g": ["CAMPAIGN", "PARTNER"] })).await["report"].clone() }
    };
    let as_owner = report(json!("OWNER")).await;
    let as_partner = report(json!("PARTNER")).await;
    assert_eq!(totals(&as_owner), vec![t("USD", 1, "0.00")], "{as_owner}");
    assert_eq!(totals(&as_partner), vec![t("USD", 2, "0.00")], "{as_partner}");
    assert_eq!(as_owner["nodes"][0]["partner"]["email"], "cy@gamma-only.test", "{as_owner}");
    assert_eq!(as_partner["nodes"][0]["campaign"]["name"], "Alpha Solar", "{as_partner}");
    assert_eq!(report(Value::Null).await, as_owner, "an owner reads as the owner by default");
    assert_mentions_none(
        &as_partner,
        &["cy@gamma-only.test", cy_lead.as_str(), "Gamma Windows", windows.as_str()],
        "the partner side",
    );
    let leads = ok(&app, &c.access_token, LEADS, json!({})).await;
    assert_eq!(leads["leads"]["nodes"].as_array().unwrap().len(), 1, "the owner's leads are C's: {leads}");
    assert_eq!(leads["leads"]["nodes"][0]["id"], json!(cy_lead));
    let mine = ok(&app, &c.access_token, "{ myLeads { totalCount nodes { id } } }", json!({})).await;
    assert_eq!(mine["myLeads"]["totalCount"], 2, "the partner's leads are those it sent to A: {mine}");
    let live = |side: &str| {
        let q = format!("subscription {{ statsChanged{side} {{ report {{ totals {{ submitted }} }} }} }}");
        let app = &app;
        let tok = c.access_token.clone();
        async move { crate::live::Subscription::open(app, Some(&tok), &q).await.next().await }
    };
    assert_eq!(live("(as: PARTNER)").await["data"]["statsChanged"]["report"]["totals"], json!([{ "submitted": 2 }]));
    assert_eq!(live("").await["data"]["statsChanged"]["report"]["totals"], json!([{ "submitted": 1 }]));
    let csv = |side: &str| {
        let url = format!("{}/v1/reports.csv?groupBy=CAMPAIGN{side}", app.address);
        let tok = c.access_token.clone();
        let client = app.client.clone();
        async move { client.get(url).bearer_auth(tok).send().await.unwrap().text().await.unwrap() }
    };
    let partner_csv = csv("&as=PARTNER").await;
    assert!(partner_csv.contains(&solar) && !partner_csv.contains(&windows), "{partner_csv}");
    let owner_csv = csv("").await;
    assert!(owner_csv.contains(&windows) && !owner_csv.contains(&solar), "{owner_csv}");

    // Its key decides on C's leads, not on A's (not even those it sent).
    let approve = json!({ "status": "APPROVED" });
    assert_eq!(post_status(&app, &key, &to_a[0], &approve).await.0, 404);
    assert_eq!(post_status(&app, &key, &cy_lead, &approve).await.0, 200);

    // A sees C's owner as one of its partners, by the name it gave, and nothing of C.
    let of_c: [&str; 6] = ["Gamma Ads", "Gamma Windows", &windows, &org_c, "cy@gamma-only.test", &cy_lead];
    let partners = ok(&app, &a.access_token, PARTNERS, json!({})).await;
    assert_eq!(partners["marketingPartners"]["nodes"][0]["name"], "Gamma Traffic", "{partners}");
    let view = ok(&app, &a.access_token, PARTNER_VIEW, json!({ "p": c_in_a })).await;
    let leads = ok(&app, &a.access_token, LEADS, json!({})).await;
    assert_eq!(leads["leads"]["totalCount"], 2, "{leads}");
    let full = ok(&app, &a.access_token, REPORT, json!({ "g": ["CAMPAIGN", "PARTNER"] })).await;
    assert_eq!(totals(&full["report"]), vec![t("USD", 2, "0.00")], "{full}");
    for (what, answer) in
        [("marketingPartners", &partners), ("marketingPartner", &view), ("leads", &leads), ("report", &full)]
    {
        assert_mentions_none(answer, &of_c, &format!("A's {what}"));
    }
}

on_both_databases!(
    one_login_works_for_two_advertisers,
    an_existing_accounts_invitation_expires_works_once_and_can_be_revoked,
    an_owner_can_be_a_partner_of_another_organization,
    the_accounts_migration_keeps_logins_memberships_keys_and_sessions,
    going_back_right_after_the_upgrade_keeps_every_membership,
);

/// Upgrading a database written under the model of before (a user belongs to one organization, as its owner or as
/// a partner; an API key to one organization, and to a partner record for a partner): every account still logs in,
/// owners still own their organization, partners still see their campaigns, API keys and reporting tokens still
/// work, and open sessions still refresh. The data is written by the application, taken back to that model (the
/// last migration down) and upgraded again.
async fn the_accounts_migration_keeps_logins_memberships_keys_and_sessions(db: Db) {
    use partnerdesk_migrations::{Migrator, MigratorTrait as _};
    let app = spawn_app(db).await;
    let acme = app.sign_up("owner@acme.test", "Acme").await;
    let beta = app.sign_up("owner@beta.test", "Beta Media").await;
    let solar = app.create_campaign(&acme.access_token, "Solar").await;
    let roofing = app.create_campaign(&beta.access_token, "Roofing").await;
    let (pat, _) = partner_on(&app, &acme, &solar, "pat@partner.test", json!([])).await;
    let (sam, _) = partner_on(&app, &beta, &roofing, "sam@partner.test", json!([])).await;
    let (pat_key, sam_key) = (api_key(&app, &pat).await, api_key(&app, &sam).await);
    let (acme_key, beta_key) = (api_key(&app, &acme).await, api_key(&app, &beta).await);
    let res =
        ok(&app, &beta.access_token, "mutation { createApiKey(name: \"BI\", scope: REPORTS) { key } }", json!({}))
            .await;
    let beta_reports = res["createApiKey"]["key"].as_str().unwrap().to_owned();
    let pat_lead = sent(&app, &pat_key, &solar).await;
    sent(&app, &sam_key, &roofing).await;
    // Each account's open session: a second login, so that the refresh tokens are unused.
    let mut sessions = Vec::new();
    for email in ["owner@acme.test", "owner@beta.test", "pat@partner.test", "sam@partner.test"] {
        sessions.push(session(&app.login(email, PASSWORD).await, "login"));
    }

    // Back to before the accounts migration (the ones added after it go first).
    Migrator::down(&app.db, Some(Migrator::migrations().len() as u32 - 7)).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM seaql_migrations").await, 7);
    // The model of before: users with their organization and role; keys with their organization (and partner).
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE role = 'OWNER'").await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE role = 'PARTNER'").await, 2);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM users u JOIN marketing_partners p ON p.user_id = u.id \
             WHERE u.role = 'PARTNER' AND u.organization_id = p.organization_id"
        )
        .await,
        2
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM api_keys WHERE partner_id IS NOT NULL").await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM api_keys").await, 5);
    Migrator::up(&app.db, None).await.unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM organization_members").await, 2);

    // Every account logs in; owners own their organization and its campaigns; partners see their campaigns.
    for (email, organization, campaign) in
        [("owner@acme.test", "Acme", &solar), ("owner@beta.test", "Beta Media", &roofing)]
    {
        let owner = session(&app.login(email, PASSWORD).await, "login");
        let me = ok(&app, &owner.access_token, ME, json!({})).await;
        assert_eq!(
            (&me["me"]["organization"]["name"], &me["me"]["advertisers"]),
            (&json!(organization), &json!([])),
            "{me}"
        );
        let list = ok(&app, &owner.access_token, CAMPAIGNS, json!({})).await;
        let ids: Vec<&Value> = list["campaigns"]["nodes"].as_array().unwrap().iter().map(|n| &n["id"]).collect();
        assert_eq!(ids, vec![&json!(campaign)], "{list}");
        let leads = ok(&app, &owner.access_token, LEADS, json!({})).await;
        assert_eq!(leads["leads"]["totalCount"], 1, "{leads}");
    }
    for (email, organization, campaign) in
        [("pat@partner.test", "Acme", "Solar"), ("sam@partner.test", "Beta Media", "Roofing")]
    {
        let partner = session(&app.login(email, PASSWORD).await, "login");
        let portal = ok(&app, &partner.access_token, PORTAL, json!({})).await;
        let p = &portal["myPartnerAccount"];
        assert_eq!(p["name"], "Pat", "the partner's name is kept: {portal}");
        assert_eq!(p["advertisers"].as_array().unwrap().len(), 1, "{portal}");
        assert_eq!(p["advertisers"][0]["organization"]["name"], organization, "{portal}");
        let names: Vec<&Value> = p["campaigns"].as_array().unwrap().iter().map(|c| &c["name"]).collect();
        assert_eq!(names, vec![&json!(campaign)], "{portal}");
        let me = ok(&app, &partner.access_token, ME, json!({})).await;
        assert_eq!(me["me"]["organization"], Value::Null, "a partner owns nothing: {me}");
    }

    // API keys of before still send leads (to their own campaigns only) and decide on them; the reporting token
    // still reads.
    assert_eq!(send(&app, &pat_key, &solar).await.0, 201);
    assert_eq!(send(&app, &sam_key, &roofing).await.0, 201);
    let (status, body) = send(&app, &pat_key, &roofing).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("NOT_ASSIGNED")), "{body}");
    let approve = json!({ "status": "APPROVED" });
    assert_eq!(post_status(&app, &beta_key, &pat_lead, &approve).await.0, 404);
    assert_eq!(post_status(&app, &acme_key, &pat_lead, &approve).await.0, 200);
    let res = app.gql(Some(&beta_reports), "{ report { totals { submitted } } }", json!({})).await;
    assert_eq!(res["data"]["report"]["totals"], json!([{ "submitted": 2 }]), "{res}");

    // Sessions of before: access tokens still work, refresh tokens still refresh (once).
    for s in &sessions {
        let me = app.gql(Some(&s.access_token), "{ me { email } }", json!({})).await;
        assert_eq!(me["data"]["me"]["email"], json!(s.email), "{me}");
        let res = app
            .gql(
                None,
                "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken user { email } } }",
                json!({ "t": s.refresh_token }),
            )
            .await;
        let refreshed = session(&res, "refreshSession");
        assert_eq!(refreshed.email, s.email);
        let me = app.gql(Some(&refreshed.access_token), "{ me { email } }", json!({})).await;
        assert_eq!(me["data"]["me"]["email"], json!(s.email), "{me}");
    }
}

/// Going down right after the upgrade and up again (the way back the migration offers) keeps accounts that the
/// model of before could not express: a partner of two organizations, an owner who is a partner of another.
async fn going_back_right_after_the_upgrade_keeps_every_membership(db: Db) {
    use partnerdesk_migrations::{Migrator, MigratorTrait as _};
    let app = spawn_app(db).await;
    let a = app.sign_up("owner@alpha.test", "Alpha Leads").await;
    let b = app.sign_up("owner@beta.test", "Beta Media").await;
    let solar = app.create_campaign(&a.access_token, "Alpha Solar").await;
    let roofing = app.create_campaign(&b.access_token, "Beta Roofing").await;
    let (pat, _) = partner_on(&app, &a, &solar, "pat@partner.test", json!([])).await;
    let key = api_key(&app, &pat).await;
    app.gql(Some(&b.access_token), ADD, json!({ "c": roofing, "e": "pat@partner.test" })).await;
    let (token, _) = app.invitation_from("pat@partner.test", "Beta Media").await;
    session(&app.accept_invitation(Some(&pat.access_token), &token, None, None).await, "acceptInvitation");
    app.gql(Some(&a.access_token), ADD, json!({ "c": solar, "e": "owner@beta.test" })).await;
    let (token, _) = app.invitation_from("owner@beta.test", "Alpha Leads").await;
    session(
        &app.accept_invitation(Some(&b.access_token), &token, Some("Beta as a partner"), None).await,
        "acceptInvitation",
    );

    Migrator::down(&app.db, Some(1)).await.unwrap();
    Migrator::up(&app.db, None).await.unwrap();

    let pat = session(&app.login("pat@partner.test", PASSWORD).await, "login");
    let me = ok(&app, &pat.access_token, ME, json!({})).await;
    let names: Vec<&Value> = me["me"]["advertisers"].as_array().unwrap().iter().map(|o| &o["name"]).collect();
    assert_eq!(names, vec![&json!("Alpha Leads"), &json!("Beta Media")], "{me}");
    assert_eq!(send(&app, &key, &solar).await.0, 201);
    assert_eq!(send(&app, &key, &roofing).await.0, 201);
    let b = session(&app.login("owner@beta.test", PASSWORD).await, "login");
    let me = ok(&app, &b.access_token, ME, json!({})).await;
    assert_eq!(me["me"]["organization"]["name"], "Beta Media", "{me}");
    assert_eq!(
        me["me"]["advertisers"],
        json!([{ "id": app.organization_id(&a).await, "name": "Alpha Leads" }]),
        "{me}"
    );
}
