use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::{
    Db, PASSWORD, Session, TestApp, error_code, error_field, session, spawn_app, spawn_app_with, wait_until,
};
use crate::smtp::{SmtpSink, decoded, free_port, invitation_link, token_of};

const ADD: &str = "mutation($i: AddMarketingPartnerInput!) { addMarketingPartner(input: $i) { existingPartner \
                   assignment { id status caps { metric window limit } partner { id email status } } } }";
const PREVIEW: &str =
    "query($t: String!) { invitationPreview(token: $t) { organizationName email campaigns expiresAt accountExists } }";
const ACCEPT: &str = "mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { accessToken refreshToken user { email organization { id } advertisers { name } } } }";
const PORTAL: &str = "{ myPartnerAccount { email name advertisers { name status organization { name } } campaigns { name status timeZone currency formPayout caps { metric window limit } advertiser { name } } } }";

async fn add(app: &TestApp, owner: &Session, campaign: &str, email: &str, caps: Value) -> Value {
    app.gql(Some(&owner.access_token), ADD, json!({ "i": { "campaignId": campaign, "email": email, "caps": caps } }))
        .await
}

/// Accounts that own no organization.
const PARTNER_ACCOUNTS: &str = "SELECT COUNT(*) FROM users WHERE id NOT IN (SELECT user_id FROM organization_members)";

fn accept_vars(token: &str) -> Value {
    json!({ "i": { "token": token, "name": "Pat Partner", "password": PASSWORD } })
}

/// The seed flow over real SMTP: invite with a daily form cap -> the email arrives -> its link registers the
/// partner -> the partner sees the campaign and its cap. Before that the partner cannot log in; the link works once.
async fn invitation_email_registers_the_partner(db: Db) {
    let (sink, port) = SmtpSink::start().await;
    let app = spawn_app_with(
        db,
        &[("SMTP_URL", &format!("smtp://127.0.0.1:{port}")), ("MAIL_FROM", "Partnerdesk <invites@partnerdesk.test>")],
    )
    .await;
    let owner = app.sign_up("owner@acme.test", "Acme Leads").await;
    let campaign = app.create_campaign(&owner.access_token, "Solar NY").await;
    let res = add(
        &app,
        &owner,
        &campaign,
        " Pat@Partner.test ",
        json!([{ "metric": "FORM", "window": "DAILY", "limit": 50 }]),
    )
    .await;
    let a = &res["data"]["addMarketingPartner"]["assignment"];
    assert_eq!(a["status"], "INVITED", "{res}");
    assert_eq!(a["partner"]["email"], "pat@partner.test");
    assert_eq!(a["caps"], json!([{ "metric": "FORM", "window": "DAILY", "limit": 50 }]));
    assert_eq!(res["data"]["addMarketingPartner"]["existingPartner"], false);

    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.to, vec!["pat@partner.test"]);
    let text = decoded(&mail.data);
    for part in [
        "Subject: Acme Leads invites you to Partnerdesk",
        "owner@acme.test",
        "Solar NY",
        "expires on",
        "text/plain",
        "text/html",
        "From: Partnerdesk <invites@partnerdesk.test>",
    ] {
        assert!(text.contains(part), "the email lacks {part:?}:\n{text}");
    }
    let link = invitation_link(&mail.data);
    assert!(link.starts_with(&format!("{}/register?token=", app.address)), "{link}");
    let token = token_of(&link);
    // Only a hash of the token is stored, and the outbox holds a placeholder, not the link.
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM invitations WHERE token_hash = '{token}'")).await, 0);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM email_outbox WHERE text_body LIKE '%{token}%'")).await, 0);

    // Until registration the partner cannot get in.
    assert_eq!(error_code(&app.login("pat@partner.test", PASSWORD).await), Some("INVALID_CREDENTIALS"));

    let preview = app.gql(None, PREVIEW, json!({ "t": token })).await;
    let p = &preview["data"]["invitationPreview"];
    assert_eq!(
        (&p["organizationName"], &p["email"], &p["campaigns"]),
        (&json!("Acme Leads"), &json!("pat@partner.test"), &json!(["Solar NY"])),
        "{preview}"
    );
    assert_eq!(p["accountExists"], false, "a new email registers");
    assert!(text.contains("Register") && !text.contains("Log in to accept"), "{text}");

    let res = app.gql(None, ACCEPT, accept_vars(&token)).await;
    let partner = session(&res, "acceptInvitation");
    // A partner-only account: no organization of its own, one advertiser.
    assert_eq!(
        res["data"]["acceptInvitation"]["user"],
        json!({ "email": "pat@partner.test", "organization": null, "advertisers": [{ "name": "Acme Leads" }] })
    );
    let portal = app.gql(Some(&partner.access_token), PORTAL, json!({})).await;
    assert_eq!(
        portal["data"]["myPartnerAccount"],
        json!({ "email": "pat@partner.test", "name": "Pat Partner",
                "advertisers": [{ "name": "Pat Partner", "status": "ACTIVE", "organization": { "name": "Acme Leads" } }],
                "campaigns": [{ "name": "Solar NY", "status": "ACTIVE", "timeZone": "America/New_York", "currency": "USD",
                                "formPayout": "0.00", "caps": [{ "metric": "FORM", "window": "DAILY", "limit": 50 }],
                                "advertiser": { "name": "Acme Leads" } }] }),
        "{portal}"
    );
    // The link works once.
    assert_eq!(error_code(&app.gql(None, ACCEPT, accept_vars(&token)).await), Some("INVITATION_USED"));
    assert_eq!(error_code(&app.gql(None, PREVIEW, json!({ "t": token })).await), Some("INVITATION_USED"));
    session(&app.login("pat@partner.test", PASSWORD).await, "login");
    assert_eq!(sink.messages().len(), 1);
}

/// Expired, revoked and superseded links each fail with their own code; a resend waits a minute.
async fn invitation_links_expire_are_revoked_and_replaced(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.sign_up("owner@acme.test", "Acme").await;
    let campaign = app.create_campaign(&owner.access_token, "Solar").await;
    let t = Some(owner.access_token.as_str());

    let res = add(&app, &owner, &campaign, "late@partner.test", json!([])).await;
    let late_id = res["data"]["addMarketingPartner"]["assignment"]["partner"]["id"].as_str().unwrap().to_owned();
    let first = app.invitation_token("late@partner.test").await;

    // A resend within the minute is refused; after it, a new link replaces the old one.
    let resend = "mutation($p: ID!) { resendInvitation(partnerId: $p) { status } }";
    let res = app.gql(t, resend, json!({ "p": late_id })).await;
    assert_eq!(error_code(&res), Some("RATE_LIMITED"), "{res}");
    app.clock.advance(Duration::seconds(61));
    let res = app.gql(t, resend, json!({ "p": late_id })).await;
    assert_eq!(res["data"]["resendInvitation"]["status"], "INVITED", "{res}");
    let second = wait_until("the resent invitation", || async {
        app.eml_files().iter().map(|m| token_of(&invitation_link(m))).find(|t| *t != first)
    })
    .await;
    assert_ne!(first, second);
    assert_eq!(error_code(&app.gql(None, PREVIEW, json!({ "t": first })).await), Some("INVITATION_INVALID"));
    assert!(app.gql(None, PREVIEW, json!({ "t": second })).await["data"]["invitationPreview"].is_object());

    // Seven days later the link has expired.
    app.clock.advance(Duration::days(7));
    assert_eq!(error_code(&app.gql(None, ACCEPT, accept_vars(&second)).await), Some("INVITATION_EXPIRED"));

    // A revoked invitation cannot be used. (A week later the owner signs in again.)
    let owner = session(&app.login("owner@acme.test", PASSWORD).await, "login");
    let t = Some(owner.access_token.as_str());
    add(&app, &owner, &campaign, "gone@partner.test", json!([])).await;
    let gone = app.invitation_token("gone@partner.test").await;
    let list = app.gql(t, "{ marketingPartners(search: \"gone@\") { nodes { id } } }", json!({})).await;
    let gone_id = list["data"]["marketingPartners"]["nodes"][0]["id"].clone();
    let res =
        app.gql(t, "mutation($p: ID!) { revokeInvitation(partnerId: $p) { status } }", json!({ "p": gone_id })).await;
    assert_eq!(res["data"]["revokeInvitation"]["status"], "REVOKED", "{res}");
    assert_eq!(error_code(&app.gql(None, ACCEPT, accept_vars(&gone)).await), Some("INVITATION_REVOKED"));
    assert_eq!(app.count(PARTNER_ACCOUNTS).await, 0);

    assert_eq!(error_code(&app.gql(None, PREVIEW, json!({ "t": "pdi_nonsense" })).await), Some("INVITATION_INVALID"));
}

async fn bad_invitations_are_refused_and_write_nothing(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.sign_up("owner@acme.test", "Acme").await;
    let campaign = app.create_campaign(&owner.access_token, "Solar").await;
    let cases = [
        ("not-an-email", json!([]), "email"),
        ("pat@partner.test", json!([{ "metric": "FORM", "window": "DAILY", "limit": 0 }]), "caps.FORM.DAILY"),
        ("pat@partner.test", json!([{ "metric": "CLICK", "window": "GLOBAL", "limit": -3 }]), "caps.CLICK.GLOBAL"),
        (
            "pat@partner.test",
            json!([{ "metric": "CALL", "window": "MONTHLY", "limit": 5 }, { "metric": "CALL", "window": "MONTHLY", "limit": 9 }]),
            "caps.CALL.MONTHLY",
        ),
    ];
    for (email, caps, field) in cases {
        let res = add(&app, &owner, &campaign, email, caps).await;
        assert_eq!((error_code(&res), error_field(&res)), (Some("VALIDATION"), Some(field)), "{res}");
    }
    for table in ["marketing_partners", "campaign_assignments", "caps", "invitations", "email_outbox"] {
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM {table}")).await, 0, "{table}");
    }
    let res = add(&app, &owner, "0192f8a4-0000-7000-8000-000000000000", "pat@partner.test", json!([])).await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"));
}

/// One partner record per email: a second campaign assigns it (and tells it by email), the same campaign conflicts.
async fn a_known_partner_is_assigned_not_invited_twice(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.sign_up("owner@acme.test", "Acme").await;
    let solar = app.create_campaign(&owner.access_token, "Solar").await;
    let roofing = app.create_campaign(&owner.access_token, "Roofing").await;
    add(&app, &owner, &solar, "pat@partner.test", json!([])).await;
    let token = app.invitation_token("pat@partner.test").await;
    session(&app.gql(None, ACCEPT, accept_vars(&token)).await, "acceptInvitation");

    let res = add(
        &app,
        &owner,
        &roofing,
        "PAT@partner.test",
        json!([{ "metric": "CLICK", "window": "MONTHLY", "limit": 1000 }]),
    )
    .await;
    assert_eq!(res["data"]["addMarketingPartner"]["existingPartner"], true, "{res}");
    assert_eq!(res["data"]["addMarketingPartner"]["assignment"]["status"], "ACTIVE");
    assert_eq!(app.count("SELECT COUNT(*) FROM marketing_partners").await, 1);
    assert_eq!(app.count(PARTNER_ACCOUNTS).await, 1);
    let told = wait_until("the assignment email", || async {
        app.eml_files().into_iter().find(|m| m.contains("Subject: Acme added you to Roofing"))
    })
    .await;
    assert!(decoded(&told).contains("/login"));

    let res = add(&app, &owner, &roofing, "pat@partner.test", json!([])).await;
    assert_eq!((error_code(&res), error_field(&res)), (Some("CONFLICT"), Some("email")), "{res}");

    let partner = session(&app.login("pat@partner.test", PASSWORD).await, "login");
    let portal = app.gql(Some(&partner.access_token), PORTAL, json!({})).await;
    let names: Vec<_> =
        portal["data"]["myPartnerAccount"]["campaigns"].as_array().unwrap().iter().map(|c| c["name"].clone()).collect();
    assert_eq!(names, vec![json!("Solar"), json!("Roofing")]);
}

const TAB: &str = "query($c: ID!, $status: PartnerStatus, $search: String) { campaign(id: $c) { marketingPartners(status: $status, search: $search) \
                   { totalCount nodes { status caps { metric window limit } partner { id email } } } } }";

/// The owner tunes, pauses, resumes and removes partners; the tab's filters follow.
async fn owner_tunes_pauses_and_removes_partners(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.sign_up("owner@acme.test", "Acme").await;
    let t = Some(owner.access_token.as_str());
    let campaign = app.create_campaign(&owner.access_token, "Solar").await;
    for email in ["ann@a.test", "bob@b.test", "cy@c.test"] {
        add(&app, &owner, &campaign, email, json!([])).await;
    }
    let token = app.invitation_token("ann@a.test").await;
    session(&app.gql(None, ACCEPT, accept_vars(&token)).await, "acceptInvitation");
    let tab =
        |status: Value, search: Value| app.gql(t, TAB, json!({ "c": campaign, "status": status, "search": search }));
    let all = tab(Value::Null, Value::Null).await;
    assert_eq!(all["data"]["campaign"]["marketingPartners"]["totalCount"], 3, "{all}");
    let ann = all["data"]["campaign"]["marketingPartners"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["partner"]["email"] == "ann@a.test")
        .unwrap()["partner"]["id"]
        .clone();
    assert_eq!(tab(json!("INVITED"), Value::Null).await["data"]["campaign"]["marketingPartners"]["totalCount"], 2);
    assert_eq!(
        tab(Value::Null, json!("BOB")).await["data"]["campaign"]["marketingPartners"]["nodes"][0]["partner"]["email"],
        "bob@b.test"
    );

    let caps = "mutation($c: ID!, $p: ID!, $caps: [CapInput!]!) { updatePartnerCaps(campaignId: $c, partnerId: $p, caps: $caps) { caps { metric window limit } } }";
    let res = app.gql(t, caps, json!({ "c": campaign, "p": ann, "caps": [{ "metric": "CALL", "window": "DAILY", "limit": 10 }, { "metric": "CLICK", "window": "GLOBAL", "limit": 5000 }] })).await;
    assert_eq!(
        res["data"]["updatePartnerCaps"]["caps"],
        json!([{ "metric": "CLICK", "window": "GLOBAL", "limit": 5000 }, { "metric": "CALL", "window": "DAILY", "limit": 10 }]),
        "{res}"
    );
    let res = app
        .gql(t, caps, json!({ "c": campaign, "p": ann, "caps": [{ "metric": "CALL", "window": "DAILY", "limit": 0 }] }))
        .await;
    assert_eq!(error_field(&res), Some("caps.CALL.DAILY"));
    assert_eq!(app.count("SELECT COUNT(*) FROM caps").await, 2, "a refused change keeps the old caps");

    let pause = "mutation($p: ID!, $c: ID) { pausePartner(partnerId: $p, campaignId: $c) { status } }";
    app.gql(t, pause, json!({ "p": ann, "c": campaign })).await;
    assert_eq!(tab(json!("PAUSED"), Value::Null).await["data"]["campaign"]["marketingPartners"]["totalCount"], 1);
    app.gql(
        t,
        "mutation($p: ID!, $c: ID) { resumePartner(partnerId: $p, campaignId: $c) { status } }",
        json!({ "p": ann, "c": campaign }),
    )
    .await;
    assert_eq!(tab(json!("ACTIVE"), Value::Null).await["data"]["campaign"]["marketingPartners"]["totalCount"], 1);
    let res = app.gql(t, pause, json!({ "p": ann })).await;
    assert_eq!(res["data"]["pausePartner"]["status"], "PAUSED", "{res}");
    assert_eq!(tab(json!("PAUSED"), Value::Null).await["data"]["campaign"]["marketingPartners"]["totalCount"], 1);

    let res = app
        .gql(
            t,
            "mutation($p: ID!, $c: ID!) { removePartner(partnerId: $p, campaignId: $c) }",
            json!({ "p": ann, "c": campaign }),
        )
        .await;
    assert_eq!(res["data"]["removePartner"], true);
    assert_eq!(tab(Value::Null, Value::Null).await["data"]["campaign"]["marketingPartners"]["totalCount"], 2);

    // The single view: profile, campaigns with caps, invitation history with delivery status.
    let view = app
        .gql(
            t,
            "query($p: ID!) { marketingPartner(id: $p) { email name status registeredAt campaigns { id } \
                 invitations { state sendCount deliveryStatus } emails { kind status } } }",
            json!({ "p": ann }),
        )
        .await;
    let v = &view["data"]["marketingPartner"];
    assert_eq!((&v["name"], &v["status"]), (&json!("Pat Partner"), &json!("PAUSED")), "{view}");
    assert!(v["registeredAt"].is_string());
    assert_eq!(v["campaigns"], json!([]));
    assert_eq!(v["invitations"], json!([{ "state": "ACCEPTED", "sendCount": 1, "deliveryStatus": "SENT" }]));
    assert_eq!(v["emails"], json!([{ "kind": "INVITATION", "status": "SENT" }]));
}

/// The SMTP server is down when the owner invites: the invitation exists, and the email arrives exactly once
/// after the server comes back.
async fn email_waits_for_a_down_smtp_server(db: Db) {
    let port = free_port();
    let app = spawn_app_with(db, &[("SMTP_URL", &format!("smtp://127.0.0.1:{port}"))]).await;
    let owner = app.sign_up("owner@acme.test", "Acme").await;
    let campaign = app.create_campaign(&owner.access_token, "Solar").await;
    let res = add(&app, &owner, &campaign, "pat@partner.test", json!([])).await;
    let partner = res["data"]["addMarketingPartner"]["assignment"]["partner"]["id"].clone();
    wait_until("a failed first attempt", || async {
        (app.count(
            "SELECT COUNT(*) FROM email_outbox WHERE attempts = 1 AND status = 'PENDING' AND last_error IS NOT NULL",
        )
        .await
            == 1)
            .then_some(())
    })
    .await;
    let view = app
        .gql(
            Some(&owner.access_token),
            "query($p: ID!) { marketingPartner(id: $p) { status invitations { state deliveryStatus deliveryError } } }",
            json!({ "p": partner }),
        )
        .await;
    let inv = &view["data"]["marketingPartner"]["invitations"][0];
    assert_eq!((&inv["state"], &inv["deliveryStatus"]), (&json!("PENDING"), &json!("PENDING")), "{view}");
    assert!(inv["deliveryError"].is_string());

    let sink = SmtpSink::start_on(port).await;
    app.clock.advance(Duration::minutes(1));
    let got = sink.wait_for(1).await;
    wait_until("the email marked sent", || async {
        (app.count("SELECT COUNT(*) FROM email_outbox WHERE status = 'SENT' AND attempts = 2").await == 1).then_some(())
    })
    .await;
    assert_eq!(got.len(), 1);
    assert_eq!(sink.messages().len(), 1, "sent exactly once");
}

/// After the last attempt the invitation shows "delivery failed" and the owner's webhook hears of it; a resend
/// writes a new email.
async fn delivery_fails_after_the_last_attempt(db: Db) {
    let port = free_port();
    let rx = crate::postbacks::Receiver::start().await;
    let smtp = format!("smtp://127.0.0.1:{port}");
    let app = spawn_app_with(db, &[("SMTP_URL", &smtp), ("POSTBACK_ALLOW_PRIVATE", "1")]).await;
    let owner = app.sign_up("owner@acme.test", "Acme").await;
    let res = app
        .gql(
            Some(&owner.access_token),
            "mutation($u: String!) { createWebhookEndpoint(input: { url: $u, events: [INVITATION_DELIVERY_FAILED] }) { secret } }",
            json!({ "u": format!("{}/hooks", rx.address) }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    let campaign = app.create_campaign(&owner.access_token, "Solar").await;
    let res = add(&app, &owner, &campaign, "pat@partner.test", json!([])).await;
    let partner = res["data"]["addMarketingPartner"]["assignment"]["partner"]["id"].clone();
    for attempt in 1..=8 {
        wait_until("the next attempt", || async {
            (app.count(&format!(
                "SELECT COUNT(*) FROM email_outbox WHERE attempts = {attempt} AND locked_until IS NULL"
            ))
            .await
                == 1)
                .then_some(())
        })
        .await;
        app.clock.advance(Duration::days(1));
    }
    wait_until("the email given up", || async {
        (app.count("SELECT COUNT(*) FROM email_outbox WHERE status = 'FAILED'").await == 1).then_some(())
    })
    .await;
    let hook = rx.wait_for("/hooks", 1).await.remove(0);
    let body: Value = serde_json::from_str(&hook.body).unwrap();
    assert_eq!(body["type"], "invitation.delivery_failed", "{body}");
    assert_eq!((&body["data"]["partnerId"], &body["data"]["email"]), (&partner, &json!("pat@partner.test")));
    assert_eq!(body["data"]["attempts"], 8);
    assert!(body["data"]["lastError"].as_str().is_some_and(|e| !e.is_empty()), "{body}");
    let owner = session(&app.login("owner@acme.test", PASSWORD).await, "login");
    let q = "query($p: ID!) { marketingPartner(id: $p) { invitations { deliveryStatus } } }";
    let view = app.gql(Some(&owner.access_token), q, json!({ "p": partner })).await;
    assert_eq!(view["data"]["marketingPartner"]["invitations"][0]["deliveryStatus"], "FAILED", "{view}");
    let res = app
        .gql(
            Some(&owner.access_token),
            "mutation($p: ID!) { resendInvitation(partnerId: $p) { status } }",
            json!({ "p": partner }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    let view = app.gql(Some(&owner.access_token), q, json!({ "p": partner })).await;
    assert_eq!(view["data"]["marketingPartner"]["invitations"][0]["deliveryStatus"], "PENDING");
}

/// Two server processes relay one outbox: every email goes out once.
async fn two_processes_send_each_email_once(db: Db) {
    let (sink, port) = SmtpSink::start().await;
    let smtp = format!("smtp://127.0.0.1:{port}");
    let a = spawn_app_with(db, &[("SMTP_URL", &smtp)]).await;
    if db == Db::Sqlite {
        // SQLite is the single-process mode; the relay must still be exact there.
        let owner = a.sign_up("owner@acme.test", "Acme").await;
        let campaign = a.create_campaign(&owner.access_token, "Solar").await;
        for i in 0..10 {
            add(&a, &owner, &campaign, &format!("p{i}@partner.test"), json!([])).await;
        }
        assert_eq!(sink.wait_for(10).await.len(), 10);
        return;
    }
    let b = a.another_process_with(&[("SMTP_URL", &smtp)]).await;
    let owner = a.sign_up("owner@acme.test", "Acme").await;
    let campaign = a.create_campaign(&owner.access_token, "Solar").await;
    for i in 0..20 {
        let app = if i % 2 == 0 { &a } else { &b };
        let res = add(app, &owner, &campaign, &format!("p{i}@partner.test"), json!([])).await;
        assert!(res["errors"].is_null(), "{res}");
    }
    sink.wait_for(20).await;
    wait_until("all sent", || async {
        (a.count("SELECT COUNT(*) FROM email_outbox WHERE status = 'SENT'").await == 20).then_some(())
    })
    .await;
    let mut to: Vec<String> = sink.messages().into_iter().flat_map(|m| m.to).collect();
    to.sort();
    to.dedup();
    assert_eq!((sink.messages().len(), to.len()), (20, 20), "each email exactly once");
}

on_both_databases!(
    invitation_email_registers_the_partner,
    invitation_links_expire_are_revoked_and_replaced,
    bad_invitations_are_refused_and_write_nothing,
    a_known_partner_is_assigned_not_invited_twice,
    owner_tunes_pauses_and_removes_partners,
    email_waits_for_a_down_smtp_server,
    delivery_fails_after_the_last_attempt,
    two_processes_send_each_email_once,
);
