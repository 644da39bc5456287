//! Every query and mutation, run as every kind of caller: anonymous, the owner of organization A, the owner of
//! organization B and a partner. Organization B asking for A's data gets `NOT_FOUND`, never a hint that it exists.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::{Db, PASSWORD, Session, TestApp, error_code, spawn_app};

#[derive(Debug, Clone, Copy)]
enum Who {
    Anonymous,
    OwnerA,
    OwnerB,
    Partner,
    /// Owner A's reporting token (a personal access token): reads reports, nothing else.
    ReportsToken,
}

const WHO: [Who; 5] = [Who::Anonymous, Who::OwnerA, Who::OwnerB, Who::Partner, Who::ReportsToken];

const OK: &str = "OK";
const UNAUTH: &str = "UNAUTHENTICATED";

/// Operation -> expected outcome for [anonymous, owner A, owner B, partner, owner A's reporting token].
const MATRIX: &[(&str, [&str; 5])] = &[
    ("me", [UNAUTH, OK, OK, OK, "FORBIDDEN"]),
    ("campaign", [UNAUTH, OK, "NOT_FOUND", "FORBIDDEN", "FORBIDDEN"]),
    ("campaigns", [UNAUTH, OK, OK, "FORBIDDEN", "FORBIDDEN"]),
    ("signUp", [OK, OK, OK, OK, OK]),
    ("login", [OK, OK, OK, OK, OK]),
    ("refreshSession", [OK, OK, OK, OK, OK]),
    ("logout", [OK, OK, OK, OK, OK]),
    ("createCampaign", [UNAUTH, OK, OK, "FORBIDDEN", "FORBIDDEN"]),
    ("updateCampaign", [UNAUTH, OK, "NOT_FOUND", "FORBIDDEN", "FORBIDDEN"]),
    ("marketingPartners", [UNAUTH, OK, OK, "FORBIDDEN", "FORBIDDEN"]),
    ("marketingPartner", [UNAUTH, OK, "NOT_FOUND", "FORBIDDEN", "FORBIDDEN"]),
    ("invitationPreview", [OK, OK, OK, OK, OK]),
    ("myPartnerAccount", [UNAUTH, "FORBIDDEN", "FORBIDDEN", OK, "FORBIDDEN"]),
    ("addMarketingPartner", [UNAUTH, OK, "NOT_FOUND", "FORBIDDEN", "FORBIDDEN"]),
    ("updatePartnerCaps", [UNAUTH, OK, "NOT_FOUND", "FORBIDDEN", "FORBIDDEN"]),
    ("resendInvitation", [UNAUTH, OK, "NOT_FOUND", "FORBIDDEN", "FORBIDDEN"]),
    ("revokeInvitation", [UNAUTH, OK, "NOT_FOUND", "FORBIDDEN", "FORBIDDEN"]),
    ("pausePartner", [UNAUTH, OK, "NOT_FOUND", "FORBIDDEN", "FORBIDDEN"]),
    ("resumePartner", [UNAUTH, OK, "NOT_FOUND", "FORBIDDEN", "FORBIDDEN"]),
    ("removePartner", [UNAUTH, OK, "NOT_FOUND", "FORBIDDEN", "FORBIDDEN"]),
    ("acceptInvitation", [OK, OK, OK, OK, OK]),
    ("apiKeys", [UNAUTH, OK, OK, OK, "FORBIDDEN"]),
    ("createApiKey", [UNAUTH, OK, OK, OK, "FORBIDDEN"]),
    ("revokeApiKey", [UNAUTH, OK, "NOT_FOUND", "NOT_FOUND", "FORBIDDEN"]),
    ("submitLead", [UNAUTH, "FORBIDDEN", "FORBIDDEN", OK, "FORBIDDEN"]),
    ("leads", [UNAUTH, OK, OK, "FORBIDDEN", "FORBIDDEN"]),
    ("myLeads", [UNAUTH, "FORBIDDEN", "FORBIDDEN", OK, "FORBIDDEN"]),
    ("lead", [UNAUTH, OK, "NOT_FOUND", OK, "FORBIDDEN"]),
    ("setLeadStatus", [UNAUTH, OK, "NOT_FOUND", "FORBIDDEN", "FORBIDDEN"]),
    ("setPartnerPayouts", [UNAUTH, OK, "NOT_FOUND", "FORBIDDEN", "FORBIDDEN"]),
    ("report", [UNAUTH, OK, OK, OK, OK]),
    ("metricDefinitions", [OK, OK, OK, OK, OK]),
    ("statsChanged", [UNAUTH, OK, OK, OK, OK]),
    // Last: an archived campaign takes no new partners.
    ("archiveCampaign", [UNAUTH, OK, "NOT_FOUND", "FORBIDDEN", "FORBIDDEN"]),
];

struct World {
    app: TestApp,
    a: Session,
    b: Session,
    partner: Session,
    campaign_a: String,
    /// Organization A's partners: the registered one, and three still invited.
    partner_id: String,
    pending_id: String,
    revokable_id: String,
    removable_id: String,
    pending_token: String,
    /// A lead A's partner sent, and an API key of owner A.
    lead_id: String,
    owner_key_id: String,
    reports_token: String,
}

impl World {
    fn token(&self, who: Who) -> Option<&str> {
        match who {
            Who::Anonymous => None,
            Who::OwnerA => Some(&self.a.access_token),
            Who::OwnerB => Some(&self.b.access_token),
            Who::Partner => Some(&self.partner.access_token),
            Who::ReportsToken => Some(&self.reports_token),
        }
    }

    /// A refresh token nobody else uses.
    async fn fresh_refresh_token(&self) -> String {
        self.app.login(&self.a.email, PASSWORD).await["data"]["login"]["refreshToken"].as_str().unwrap().to_owned()
    }

    async fn call(&self, op: &str, who: Who, n: usize) -> Value {
        let c = &self.campaign_a;
        let (query, vars) = match op {
            "me" => ("{ me { id } }", json!({})),
            "campaign" => ("query($id: ID!) { campaign(id: $id) { id name } }", json!({ "id": c })),
            "campaigns" => ("{ campaigns { totalCount nodes { id } } }", json!({})),
            "signUp" => (
                "mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }",
                json!({ "i": { "email": format!("new{n}@example.com"), "password": PASSWORD, "organizationName": "New" } }),
            ),
            "login" => (
                "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
                json!({ "i": { "email": self.a.email, "password": PASSWORD } }),
            ),
            "refreshSession" => (
                "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }",
                json!({ "t": self.fresh_refresh_token().await }),
            ),
            "logout" => {
                ("mutation($t: String!) { logout(refreshToken: $t) }", json!({ "t": self.fresh_refresh_token().await }))
            }
            "createCampaign" => (
                "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
                json!({ "i": { "name": "New", "timeZone": "UTC", "landingUrl": "https://example.com" } }),
            ),
            "updateCampaign" => (
                "mutation($id: ID!) { updateCampaign(id: $id, input: { name: \"Renamed\" }) { id } }",
                json!({ "id": c }),
            ),
            "archiveCampaign" => ("mutation($id: ID!) { archiveCampaign(id: $id) { id } }", json!({ "id": c })),
            "marketingPartners" => ("{ marketingPartners { totalCount nodes { email } } }", json!({})),
            "marketingPartner" => {
                ("query($id: ID!) { marketingPartner(id: $id) { email } }", json!({ "id": self.partner_id }))
            }
            "invitationPreview" => {
                ("query($t: String!) { invitationPreview(token: $t) { email } }", json!({ "t": self.pending_token }))
            }
            "myPartnerAccount" => ("{ myPartnerAccount { email campaigns { name } } }", json!({})),
            "addMarketingPartner" => (
                "mutation($c: ID!, $e: String!) { addMarketingPartner(input: { campaignId: $c, email: $e }) { existingPartner } }",
                json!({ "c": c, "e": format!("added{n}@example.com") }),
            ),
            "updatePartnerCaps" => (
                "mutation($c: ID!, $p: ID!) { updatePartnerCaps(campaignId: $c, partnerId: $p, caps: [{ metric: FORM, window: DAILY, limit: 9 }]) { id } }",
                json!({ "c": c, "p": self.partner_id }),
            ),
            "resendInvitation" => {
                ("mutation($p: ID!) { resendInvitation(partnerId: $p) { id } }", json!({ "p": self.pending_id }))
            }
            "revokeInvitation" => {
                ("mutation($p: ID!) { revokeInvitation(partnerId: $p) { id } }", json!({ "p": self.revokable_id }))
            }
            "pausePartner" => (
                "mutation($p: ID!, $c: ID) { pausePartner(partnerId: $p, campaignId: $c) { id } }",
                json!({ "p": self.partner_id, "c": c }),
            ),
            "resumePartner" => (
                "mutation($p: ID!, $c: ID) { resumePartner(partnerId: $p, campaignId: $c) { id } }",
                json!({ "p": self.partner_id, "c": c }),
            ),
            "removePartner" => (
                "mutation($p: ID!, $c: ID!) { removePartner(partnerId: $p, campaignId: $c) }",
                json!({ "p": self.removable_id, "c": c }),
            ),
            "apiKeys" => ("{ apiKeys { id } }", json!({})),
            "createApiKey" => ("mutation { createApiKey(name: \"Key\") { key } }", json!({})),
            "revokeApiKey" => {
                ("mutation($id: ID!) { revokeApiKey(id: $id) { id } }", json!({ "id": self.owner_key_id }))
            }
            "submitLead" => (
                "mutation($c: ID!) { submitLead(input: { campaignId: $c, type: FORM, fields: { name: \"Ann\" } }) { id status } }",
                json!({ "c": c }),
            ),
            "leads" => ("{ leads { totalCount } }", json!({})),
            "report" => (
                "query($c: ID!) { report(filter: { campaignIds: [$c] }, groupBy: [PARTNER]) { totalCount totals { submitted } nodes { partner { email } } } }",
                json!({ "c": c }),
            ),
            "metricDefinitions" => ("{ metricDefinitions { name description } }", json!({})),
            "statsChanged" => {
                // A subscription, over graphql-ws: its first message.
                let q = "subscription { statsChanged { report(groupBy: [PARTNER]) { totals { submitted } } } }";
                return crate::live::Subscription::open(&self.app, self.token(who), q).await.next().await;
            }
            "myLeads" => ("{ myLeads { totalCount } }", json!({})),
            "lead" => ("query($id: ID!) { lead(id: $id) { status } }", json!({ "id": self.lead_id })),
            "setLeadStatus" => (
                "mutation($id: ID!) { setLeadStatus(ids: [$id], status: APPROVED) { status } }",
                json!({ "id": self.lead_id }),
            ),
            "setPartnerPayouts" => (
                "mutation($c: ID!, $p: ID!) { setPartnerPayouts(campaignId: $c, partnerId: $p, formPayout: \"15\") { formPayoutOverride } }",
                json!({ "c": c, "p": self.partner_id }),
            ),
            "acceptInvitation" => {
                let email = format!("accept{n}@example.com");
                self.app.gql(Some(&self.a.access_token), ADD, json!({ "c": c, "e": email })).await;
                let token = self.app.invitation_token(&email).await;
                (
                    "mutation($t: String!) { acceptInvitation(input: { token: $t, name: \"New\", password: \"correct horse battery staple\" }) { accessToken } }",
                    json!({ "t": token }),
                )
            }
            other => panic!("the authorization matrix has no call for `{other}`: add one"),
        };
        self.app.gql(self.token(who), query, vars).await
    }
}

const ADD: &str = "mutation($c: ID!, $e: String!) { addMarketingPartner(input: { campaignId: $c, email: $e }) \
                   { assignment { partner { id } } } }";

async fn add_partner(app: &TestApp, owner: &Session, campaign: &str, email: &str) -> String {
    let res = app.gql(Some(&owner.access_token), ADD, json!({ "c": campaign, "e": email })).await;
    res["data"]["addMarketingPartner"]["assignment"]["partner"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{res}"))
        .to_owned()
}

async fn every_operation_as_every_role(db: Db) {
    let app = spawn_app(db).await;
    let a = app.sign_up("owner-a@example.com", "Org A").await;
    let b = app.sign_up("owner-b@example.com", "Org B").await;
    let campaign_a = app.create_campaign(&a.access_token, "A's campaign").await;
    // Organization B has a partner too, which A's partner must never see.
    let campaign_b = app.create_campaign(&b.access_token, "B's campaign").await;
    add_partner(&app, &b, &campaign_b, "b-partner@example.com").await;

    let partner_id = add_partner(&app, &a, &campaign_a, "partner@example.com").await;
    let token = app.invitation_token("partner@example.com").await;
    let accepted = app
        .gql(None, "mutation($t: String!) { acceptInvitation(input: { token: $t, name: \"Pat\", password: \"correct horse battery staple\" }) { accessToken refreshToken user { email } } }", json!({ "t": token }))
        .await;
    let partner = crate::helpers::session(&accepted, "acceptInvitation");
    let pending_id = add_partner(&app, &a, &campaign_a, "pending@example.com").await;
    let pending_token = app.invitation_token("pending@example.com").await;
    let revokable_id = add_partner(&app, &a, &campaign_a, "revokable@example.com").await;
    let removable_id = add_partner(&app, &a, &campaign_a, "removable@example.com").await;
    let lead = app
        .gql(
            Some(&partner.access_token),
            "mutation($c: ID!) { submitLead(input: { campaignId: $c, type: FORM }) { id } }",
            json!({ "c": campaign_a }),
        )
        .await;
    let lead_id = lead["data"]["submitLead"]["id"].as_str().unwrap_or_else(|| panic!("{lead}")).to_owned();
    let key =
        app.gql(Some(&a.access_token), "mutation { createApiKey(name: \"A\") { apiKey { id } } }", json!({})).await;
    let owner_key_id = key["data"]["createApiKey"]["apiKey"]["id"].as_str().unwrap().to_owned();
    let token = app
        .gql(Some(&a.access_token), "mutation { createApiKey(name: \"BI\", scope: REPORTS) { key } }", json!({}))
        .await;
    let reports_token = token["data"]["createApiKey"]["key"].as_str().unwrap_or_else(|| panic!("{token}")).to_owned();
    // A resend is allowed once a minute.
    app.clock.advance(chrono::Duration::minutes(2));
    let world = World {
        app,
        a,
        b,
        partner,
        campaign_a,
        partner_id,
        pending_id,
        revokable_id,
        removable_id,
        pending_token,
        lead_id,
        owner_key_id,
        reports_token,
    };

    let mut n = 0;
    for (op, expected) in MATRIX {
        for (who, want) in WHO.iter().zip(expected) {
            n += 1;
            let res = world.call(op, *who, n).await;
            let got = error_code(&res).unwrap_or(if res["errors"].is_null() { OK } else { "ERROR WITHOUT CODE" });
            assert_eq!(got, *want, "{op} as {who:?}: {res}");
            // Owner B sees none of A's campaigns or partners in lists either; A's partner sees only itself.
            match (*op, who) {
                ("campaigns", Who::OwnerB) => {
                    assert_eq!(res["data"]["campaigns"]["totalCount"], 1);
                    assert_ne!(res["data"]["campaigns"]["nodes"][0]["id"], json!(world.campaign_a));
                }
                ("marketingPartners", Who::OwnerB) => {
                    assert_eq!(
                        res["data"]["marketingPartners"]["nodes"],
                        json!([{ "email": "b-partner@example.com" }])
                    );
                }
                // Reports add up only the caller's own rows: B sees nothing of A's campaign, the partner its own two
                // leads (one from the setup, one from submitLead above).
                ("report", Who::OwnerB) => {
                    assert_eq!(res["data"]["report"], json!({ "totalCount": 0, "totals": [], "nodes": [] }))
                }
                ("report", Who::OwnerA | Who::Partner | Who::ReportsToken) => assert_eq!(
                    res["data"]["report"],
                    json!({ "totalCount": 1, "totals": [{ "submitted": 2 }], "nodes": [{ "partner": { "email": "partner@example.com" } }] })
                ),
                ("statsChanged", Who::OwnerB) => {
                    assert_eq!(res["data"]["statsChanged"]["report"]["totals"], json!([]), "{res}")
                }
                ("myPartnerAccount", Who::Partner) => assert_eq!(
                    res["data"]["myPartnerAccount"],
                    json!({ "email": "partner@example.com", "campaigns": [{ "name": "Renamed" }] })
                ),
                _ => {}
            }
        }
    }
    // Nothing that was refused changed A's campaign (only A renamed it).
    let res = world
        .app
        .gql(
            world.token(Who::OwnerA),
            "query($id: ID!) { campaign(id: $id) { name } }",
            json!({ "id": world.campaign_a }),
        )
        .await;
    assert_eq!(res["data"]["campaign"]["name"], "Renamed");
}

/// The matrix names every root field of the schema, so a new operation cannot ship untested.
async fn matrix_covers_every_operation(db: Db) {
    let app = spawn_app(db).await;
    let res = app
        .gql(None, "{ __schema { queryType { fields { name } } mutationType { fields { name } } subscriptionType { fields { name } } } }", json!({}))
        .await;
    let mut ops = BTreeSet::new();
    for root in ["queryType", "mutationType", "subscriptionType"] {
        for f in res["data"]["__schema"][root]["fields"].as_array().unwrap() {
            ops.insert(f["name"].as_str().unwrap().to_owned());
        }
    }
    let covered: BTreeSet<String> = MATRIX.iter().map(|(op, _)| (*op).to_owned()).collect();
    assert_eq!(ops, covered, "add the missing operations to MATRIX in tests/api/authorization.rs");
}

on_both_databases!(every_operation_as_every_role, matrix_covers_every_operation);
