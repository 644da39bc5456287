//! Every query, mutation and subscription, and every REST route, run as every kind of caller:
//!
//! - anonymous;
//! - the owner of organization A ("Alpha Leads"), and A's reporting token;
//! - the owner of organization B ("Beta Media");
//! - a partner of A only;
//! - a partner of A and B: one account, registered from A's invitation; then B invited the same email (in another
//!   letter case) and it accepted while signed in;
//! - the owner of organization C ("Gamma Ads") who is also a partner of A: A invited the owner's email and its
//!   owner account accepted. (C is a third organization, so that B stays an organization with no tie to A's side.)
//!
//! Another organization's data is `NOT_FOUND`, never a hint that it exists. Beyond the answer's code, no answer
//! (list, report, single view, error, CSV) may hold anything of a tenant the caller does not belong to: each is
//! searched for the ids, emails and names of everything the caller may not see, and lists and reports are compared
//! with what the caller's memberships allow (the leads sent so far, per organization and partner record).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::helpers::{Db, PASSWORD, Session, TestApp, assert_mentions_none, error_code, session, spawn_app};
use crate::traffic::{api_key, partner_on, post_lead, post_status};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Anonymous,
    OwnerA,
    OwnerB,
    /// A partner of A only.
    Partner,
    /// One account, a partner of A and of B.
    PartnerAB,
    /// The owner of C, also a partner of A.
    OwnerC,
    /// Owner A's reporting token (a personal access token): reads reports, nothing else.
    ReportsToken,
}

const WHO: [Who; 7] =
    [Who::Anonymous, Who::OwnerA, Who::OwnerB, Who::Partner, Who::PartnerAB, Who::OwnerC, Who::ReportsToken];

/// Who may see what an organization owns: its owner (and, for A, A's reporting token).
fn owners_of(org: Org) -> Vec<Who> {
    match org {
        Org::A => vec![Who::OwnerA, Who::ReportsToken],
        Org::B => vec![Who::OwnerB],
        Org::C => vec![Who::OwnerC],
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Org {
    A,
    B,
    C,
}

impl Org {
    fn currency(self) -> &'static str {
        match self {
            Org::B => "EUR",
            Org::A | Org::C => "USD",
        }
    }
}

const OK: &str = "OK";
const UNAUTH: &str = "UNAUTHENTICATED";
const FORBIDDEN: &str = "FORBIDDEN";
const NOT_FOUND: &str = "NOT_FOUND";
const NOT_ASSIGNED: &str = "NOT_ASSIGNED";

/// Operation -> expected outcome for [anonymous, owner A, owner B, partner of A, partner of A and B, owner of C and
/// partner of A, owner A's reporting token]. An operation called another way than the plain one is named
/// `op(how)`. Unless it says otherwise, an operation works on A's campaign and A's records.
const MATRIX: &[(&str, [&str; 7])] = &[
    ("me", [UNAUTH, OK, OK, OK, OK, OK, FORBIDDEN]),
    ("campaign", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    ("campaigns", [UNAUTH, OK, OK, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN]),
    ("signUp", [OK, OK, OK, OK, OK, OK, OK]),
    ("login", [OK, OK, OK, OK, OK, OK, OK]),
    ("refreshSession", [OK, OK, OK, OK, OK, OK, OK]),
    ("logout", [OK, OK, OK, OK, OK, OK, OK]),
    ("createCampaign", [UNAUTH, OK, OK, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN]),
    ("updateCampaign", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    ("marketingPartners", [UNAUTH, OK, OK, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN]),
    ("marketingPartner", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    // B's own record of the partner of A and B: B sees it, and nothing in it of A.
    (
        "marketingPartner(B's record of the partner of A and B)",
        [UNAUTH, NOT_FOUND, OK, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN],
    ),
    // A's record of the same account: B does not reach it.
    (
        "marketingPartner(A's record of the partner of A and B)",
        [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN],
    ),
    ("invitationPreview", [OK, OK, OK, OK, OK, OK, OK]),
    ("myPartnerAccount", [UNAUTH, FORBIDDEN, FORBIDDEN, OK, OK, OK, FORBIDDEN]),
    ("addMarketingPartner", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    ("updatePartnerCaps", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    ("resendInvitation", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    ("revokeInvitation", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    ("pausePartner", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    ("resumePartner", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    ("removePartner", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    // A new email: it registers with a name and password, whoever is signed in.
    ("acceptInvitation", [OK, OK, OK, OK, OK, OK, OK]),
    ("apiKeys", [UNAUTH, OK, OK, OK, OK, OK, FORBIDDEN]),
    ("createApiKey", [UNAUTH, OK, OK, OK, OK, OK, FORBIDDEN]),
    // Limited to organization A: one the account owns or partners with.
    ("createApiKey(organizationId: A)", [UNAUTH, OK, NOT_FOUND, OK, OK, OK, FORBIDDEN]),
    ("revokeApiKey", [UNAUTH, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, FORBIDDEN]),
    ("submitLead", [UNAUTH, FORBIDDEN, FORBIDDEN, OK, OK, OK, FORBIDDEN]),
    ("submitLead(B's campaign)", [UNAUTH, FORBIDDEN, FORBIDDEN, NOT_ASSIGNED, OK, NOT_ASSIGNED, FORBIDDEN]),
    ("leads", [UNAUTH, OK, OK, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN]),
    ("myLeads", [UNAUTH, FORBIDDEN, FORBIDDEN, OK, OK, OK, FORBIDDEN]),
    ("myLeads(organizationId: B)", [UNAUTH, FORBIDDEN, FORBIDDEN, OK, OK, OK, FORBIDDEN]),
    // The partner of A's lead in A.
    ("lead", [UNAUTH, OK, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, FORBIDDEN]),
    // The partner of A and B's lead in B.
    ("lead(in B)", [UNAUTH, NOT_FOUND, OK, NOT_FOUND, OK, NOT_FOUND, FORBIDDEN]),
    ("setLeadStatus", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    ("setPartnerPayouts", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    // A's campaign, by partner, as the caller's default side (the owner's when it owns an organization).
    ("report", [UNAUTH, OK, OK, OK, OK, OK, OK]),
    ("report(as: OWNER)", [UNAUTH, OK, OK, FORBIDDEN, FORBIDDEN, OK, OK]),
    ("report(as: PARTNER)", [UNAUTH, FORBIDDEN, FORBIDDEN, OK, OK, OK, FORBIDDEN]),
    ("report(as: PARTNER, organizationIds: B)", [UNAUTH, FORBIDDEN, FORBIDDEN, OK, OK, OK, FORBIDDEN]),
    ("metricDefinitions", [OK, OK, OK, OK, OK, OK, OK]),
    ("statsChanged", [UNAUTH, OK, OK, OK, OK, OK, OK]),
    ("statsChanged(as: PARTNER)", [UNAUTH, FORBIDDEN, FORBIDDEN, OK, OK, OK, FORBIDDEN]),
    // A fresh organization invites the partner of A's email, which has an account: only that account, signed in,
    // accepts. A reporting token is no sign-in: told to log in. (Late: the partner of A gains an advertiser.)
    ("acceptInvitation(the email has an account)", [UNAUTH, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN]),
    // The partner of A's postback (for all its campaigns): its partner manages it; A's owner reads it and its log.
    ("postbacks", [UNAUTH, FORBIDDEN, FORBIDDEN, OK, OK, OK, FORBIDDEN]),
    ("partnerPostbacks", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    ("postbackDeliveries", [UNAUTH, OK, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, FORBIDDEN]),
    ("postbackMacros", [OK, OK, OK, OK, OK, OK, OK]),
    ("createPostback", [UNAUTH, FORBIDDEN, FORBIDDEN, OK, OK, OK, FORBIDDEN]),
    ("createPostback(B's campaign)", [UNAUTH, FORBIDDEN, FORBIDDEN, NOT_FOUND, OK, NOT_FOUND, FORBIDDEN]),
    ("updatePostback", [UNAUTH, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND, NOT_FOUND, FORBIDDEN]),
    ("setPostbackEnabled", [UNAUTH, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND, NOT_FOUND, FORBIDDEN]),
    ("sendTestPostback", [UNAUTH, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND, NOT_FOUND, FORBIDDEN]),
    ("retryPostbackDelivery", [UNAUTH, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND, NOT_FOUND, FORBIDDEN]),
    ("replayPostback", [UNAUTH, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND, NOT_FOUND, FORBIDDEN]),
    ("deletePostback", [UNAUTH, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND, NOT_FOUND, FORBIDDEN]),
    // A's webhook endpoint: its owner's alone.
    ("webhookEndpoints", [UNAUTH, OK, OK, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN]),
    ("webhookDeliveries", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    ("createWebhookEndpoint", [UNAUTH, OK, OK, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN]),
    ("updateWebhookEndpoint", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    ("rotateWebhookSecret", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    ("setWebhookEndpointEnabled", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    ("sendTestWebhook", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    ("retryWebhookDelivery", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    ("replayWebhookEndpoint", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    ("deleteWebhookEndpoint", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    // Lead quality on A's campaign (late: a declaration and rules change what leads are accepted).
    ("postingInstructions", [UNAUTH, OK, NOT_FOUND, OK, OK, OK, FORBIDDEN]),
    ("setLeadFields", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    ("setDuplicateRule", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    ("setDuplicateRule(organization)", [UNAUTH, OK, OK, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN]),
    ("organizationDuplicateRule", [UNAUTH, OK, OK, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN]),
    ("returnReasons", [UNAUTH, OK, OK, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN]),
    // The partner of A disputes its rejected lead (the other partner records of A do not reach it); A answers.
    ("disputeLead", [UNAUTH, FORBIDDEN, FORBIDDEN, OK, NOT_FOUND, NOT_FOUND, FORBIDDEN]),
    ("answerDispute", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    ("openDisputes", [UNAUTH, OK, OK, OK, OK, OK, FORBIDDEN]),
    ("setReturnReasons", [UNAUTH, OK, OK, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN]),
    // Last: an archived campaign takes no new partners.
    ("archiveCampaign", [UNAUTH, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
];

/// The REST routes: a status (`201`, `200`, `302`) or an error code. Leads and decisions go with the caller's API
/// key for leads (owner A's reporting token for the token); CSV with its access token; a tracking link needs nothing.
const REST: &[(&str, [&str; 7])] = &[
    ("GET /c/{code}", ["302", "302", "302", "302", "302", "302", "302"]),
    ("POST /v1/leads (A's campaign)", [UNAUTH, NOT_ASSIGNED, NOT_ASSIGNED, "201", "201", "201", FORBIDDEN]),
    (
        "POST /v1/leads (B's campaign)",
        [UNAUTH, NOT_ASSIGNED, NOT_ASSIGNED, NOT_ASSIGNED, "201", NOT_ASSIGNED, FORBIDDEN],
    ),
    (
        "POST /v1/leads (C's campaign)",
        [UNAUTH, NOT_ASSIGNED, NOT_ASSIGNED, NOT_ASSIGNED, NOT_ASSIGNED, NOT_ASSIGNED, FORBIDDEN],
    ),
    (
        "POST /v1/leads/{id}/status (a lead of A)",
        [UNAUTH, "200", NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN],
    ),
    (
        "POST /v1/leads/{id}/status (a lead of B)",
        [UNAUTH, NOT_FOUND, "200", FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN],
    ),
    (
        "POST /v1/leads/{id}/status (a lead of C)",
        [UNAUTH, NOT_FOUND, NOT_FOUND, FORBIDDEN, FORBIDDEN, "200", FORBIDDEN],
    ),
    // The same lead of A, approved above, converted in a batch.
    ("POST /v1/leads/status (a lead of A)", [UNAUTH, "200", NOT_FOUND, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN]),
    ("GET /v1/reports.csv", [UNAUTH, "200", "200", "200", "200", "200", "200"]),
    // A's campaign: its owner and the partners on it.
    ("GET /v1/campaigns/{id}/posting-instructions.md", [UNAUTH, "200", NOT_FOUND, "200", "200", "200", FORBIDDEN]),
    ("GET /v1/reports.csv?as=OWNER", [UNAUTH, "200", "200", FORBIDDEN, FORBIDDEN, "200", "200"]),
    ("GET /v1/reports.csv?as=PARTNER", [UNAUTH, FORBIDDEN, FORBIDDEN, "200", "200", "200", FORBIDDEN]),
];

fn http_status(code: &str) -> u16 {
    match code {
        UNAUTH => 401,
        NOT_FOUND => 404,
        FORBIDDEN | NOT_ASSIGNED => 403,
        other => other.parse().unwrap_or_else(|_| panic!("no HTTP status for {other}")),
    }
}

/// Whose figures a report shows: an organization's (its owner), or the traffic of some partner records.
#[derive(Debug, Clone)]
enum View {
    Owner(Org),
    Partner(Vec<String>),
}

/// What the test knows was written, to compare lists and reports with.
#[derive(Default)]
struct Books {
    /// Every lead: (id, organization, the partner record that sent it).
    leads: Vec<(String, Org, String)>,
    /// Every campaign of each organization.
    campaigns: BTreeMap<Org, BTreeSet<String>>,
    /// Each caller's API keys and reporting tokens.
    keys: BTreeMap<Who, BTreeSet<String>>,
    /// Ids, emails and names, with who may see each in an answer. Nobody else may.
    markers: Vec<(String, Vec<Who>)>,
}

impl Books {
    fn mark(&mut self, text: impl Into<String>, seen_by: &[Who]) {
        self.markers.push((text.into(), seen_by.to_vec()));
    }

    fn hidden_from(&self, who: Who) -> Vec<&str> {
        self.markers.iter().filter(|(_, seen)| !seen.contains(&who)).map(|(t, _)| t.as_str()).collect()
    }

    /// A lead of `org` sent by `record` (the partner record of `sender`, when it is one of the callers).
    fn lead(&mut self, id: &str, org: Org, record: &str, sender: Option<Who>) {
        self.leads.push((id.to_owned(), org, record.to_owned()));
        let mut seen = owners_of(org);
        seen.extend(sender);
        self.mark(id, &seen);
    }

    fn key(&mut self, who: Who, id: &str) {
        self.keys.entry(who).or_default().insert(id.to_owned());
        self.mark(id, &[who]);
    }

    fn leads_in(&self, view: &View) -> BTreeSet<String> {
        self.leads
            .iter()
            .filter(|(_, org, record)| match view {
                View::Owner(o) => org == o,
                View::Partner(records) => records.contains(record),
            })
            .map(|(id, _, _)| id.clone())
            .collect()
    }

    /// Submitted leads per currency, as a report's totals hold them (only organization `only`'s, when given).
    fn totals(&self, view: &View, only: Option<Org>) -> BTreeMap<String, i64> {
        let mut totals = BTreeMap::new();
        for (_, org, record) in &self.leads {
            let seen = match view {
                View::Owner(o) => org == o,
                View::Partner(records) => records.contains(record),
            };
            if seen && only.is_none_or(|o| o == *org) {
                *totals.entry(org.currency().to_owned()).or_insert(0) += 1;
            }
        }
        totals
    }
}

/// `totals` of a report answer as currency -> submitted.
fn totals_of(report: &Value) -> BTreeMap<String, i64> {
    report["totals"]
        .as_array()
        .unwrap_or_else(|| panic!("no totals: {report}"))
        .iter()
        .map(|t| (t["currency"].as_str().unwrap().to_owned(), t["submitted"].as_i64().unwrap()))
        .collect()
}

fn ids_at(list: &Value, field: &str) -> BTreeSet<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|n| n[field].as_str().unwrap_or_else(|| panic!("no {field} in {n}")).to_owned())
        .collect()
}

struct World {
    app: TestApp,
    a: Session,
    b: Session,
    c: Session,
    partner: Session,
    pab: Session,
    reports_token: String,
    org_a: String,
    org_b: String,
    campaign_a: String,
    campaign_b: String,
    campaign_c: String,
    /// Partner records: the partner of A's; the partner of A and B's in A and in B; owner C's in A.
    partner_id: String,
    pab_in_a: String,
    pab_in_b: String,
    c_in_a: String,
    /// Organization A's partners still invited.
    pending_id: String,
    revokable_id: String,
    removable_id: String,
    pending_token: String,
    /// The partner of A's lead in A; the partner of A and B's lead in B.
    lead_id: String,
    pab_lead_in_b: String,
    /// The partner of A's lead in A that owner A rejected, for disputes.
    rejected_lead_id: String,
    /// A received lead of each organization, for the REST decisions.
    lead_to_decide: BTreeMap<Org, String>,
    /// An API key of owner A, revoked by the matrix.
    owner_key_id: String,
    /// API keys for leads of each caller that has one.
    keys: BTreeMap<Who, String>,
    /// The partner of A's tracking link on A's campaign.
    tracking_link: String,
    /// The partner of A's postback, and the event of a test delivery to it.
    postback_id: String,
    test_event_id: String,
    /// Organization A's webhook endpoint, and the event of a test delivery to it.
    endpoint_id: String,
    webhook_test_event_id: String,
}

impl World {
    fn token(&self, who: Who) -> Option<&str> {
        match who {
            Who::Anonymous => None,
            Who::OwnerA => Some(&self.a.access_token),
            Who::OwnerB => Some(&self.b.access_token),
            Who::Partner => Some(&self.partner.access_token),
            Who::PartnerAB => Some(&self.pab.access_token),
            Who::OwnerC => Some(&self.c.access_token),
            Who::ReportsToken => Some(&self.reports_token),
        }
    }

    /// The credential the REST lead routes get: an API key, or the reporting token.
    fn key(&self, who: Who) -> Option<&str> {
        match who {
            Who::Anonymous => None,
            Who::ReportsToken => Some(&self.reports_token),
            other => Some(&self.keys[&other]),
        }
    }

    fn owns(who: Who) -> Option<Org> {
        match who {
            Who::OwnerA | Who::ReportsToken => Some(Org::A),
            Who::OwnerB => Some(Org::B),
            Who::OwnerC => Some(Org::C),
            Who::Anonymous | Who::Partner | Who::PartnerAB => None,
        }
    }

    /// The caller's partner records.
    fn records(&self, who: Who) -> Vec<String> {
        match who {
            Who::Partner => vec![self.partner_id.clone()],
            Who::PartnerAB => vec![self.pab_in_a.clone(), self.pab_in_b.clone()],
            Who::OwnerC => vec![self.c_in_a.clone()],
            _ => Vec::new(),
        }
    }

    fn record_in(&self, who: Who, org: Org) -> String {
        match (who, org) {
            (Who::Partner, Org::A) => self.partner_id.clone(),
            (Who::PartnerAB, Org::A) => self.pab_in_a.clone(),
            (Who::PartnerAB, Org::B) => self.pab_in_b.clone(),
            (Who::OwnerC, Org::A) => self.c_in_a.clone(),
            _ => panic!("{who:?} is no partner of {org:?}"),
        }
    }

    fn owner_view(who: Who) -> Option<View> {
        Self::owns(who).map(View::Owner)
    }

    fn partner_view(&self, who: Who) -> Option<View> {
        let records = self.records(who);
        (!records.is_empty()).then_some(View::Partner(records))
    }

    /// Without `as`: the owner's side when the account owns an organization.
    fn default_view(&self, who: Who) -> Option<View> {
        Self::owner_view(who).or_else(|| self.partner_view(who))
    }

    fn campaign_of(&self, org: Org) -> &str {
        match org {
            Org::A => &self.campaign_a,
            Org::B => &self.campaign_b,
            Org::C => &self.campaign_c,
        }
    }

    /// A refresh token nobody else uses.
    async fn fresh_refresh_token(&self) -> String {
        self.app.login(&self.a.email, PASSWORD).await["data"]["login"]["refreshToken"].as_str().unwrap().to_owned()
    }

    async fn call(&self, op: &str, who: Who, n: usize) -> Value {
        let c = &self.campaign_a;
        let report =
            "totalCount totals { currency submitted } nodes { campaign { id name } partner { id email } submitted }";
        let (query, vars) = match op {
            "me" => ("{ me { id email organization { id name } advertisers { id name } } }".to_owned(), json!({})),
            "campaign" => ("query($id: ID!) { campaign(id: $id) { id name } }".to_owned(), json!({ "id": c })),
            "campaigns" => (
                "{ campaigns(first: 100) { totalCount nodes { id name currency \
                   marketingPartners(first: 100) { nodes { partner { id email } } } } } }"
                    .to_owned(),
                json!({}),
            ),
            "signUp" => (
                "mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }".to_owned(),
                json!({ "i": { "email": format!("new{n}@example.com"), "password": PASSWORD, "organizationName": "New" } }),
            ),
            "login" => (
                "mutation($i: LoginInput!) { login(input: $i) { accessToken } }".to_owned(),
                json!({ "i": { "email": self.a.email, "password": PASSWORD } }),
            ),
            "refreshSession" => (
                "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }".to_owned(),
                json!({ "t": self.fresh_refresh_token().await }),
            ),
            "logout" => (
                "mutation($t: String!) { logout(refreshToken: $t) }".to_owned(),
                json!({ "t": self.fresh_refresh_token().await }),
            ),
            "createCampaign" => (
                "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }".to_owned(),
                json!({ "i": { "name": "New", "timeZone": "UTC", "landingUrl": "https://example.com" } }),
            ),
            "updateCampaign" => (
                "mutation($id: ID!) { updateCampaign(id: $id, input: { name: \"Renamed\" }) { id } }".to_owned(),
                json!({ "id": c }),
            ),
            "archiveCampaign" => {
                ("mutation($id: ID!) { archiveCampaign(id: $id) { id } }".to_owned(), json!({ "id": c }))
            }
            "marketingPartners" => (
                "{ marketingPartners(first: 100) { totalCount nodes { id email name \
                   campaigns { campaign { id name } } } } }"
                    .to_owned(),
                json!({}),
            ),
            "marketingPartner"
            | "marketingPartner(B's record of the partner of A and B)"
            | "marketingPartner(A's record of the partner of A and B)" => {
                let id = match op {
                    "marketingPartner" => &self.partner_id,
                    "marketingPartner(B's record of the partner of A and B)" => &self.pab_in_b,
                    _ => &self.pab_in_a,
                };
                (
                    "query($id: ID!) { marketingPartner(id: $id) { id email name status registeredAt \
                       campaigns { status campaign { id name currency } } invitations { state } \
                       emails { subject } } }"
                        .to_owned(),
                    json!({ "id": id }),
                )
            }
            "invitationPreview" => (
                "query($t: String!) { invitationPreview(token: $t) { email accountExists } }".to_owned(),
                json!({ "t": self.pending_token }),
            ),
            "myPartnerAccount" => (
                "{ myPartnerAccount { email name advertisers { partnerId status organization { id name } } \
                   campaigns { id name currency advertiser { id name } } } }"
                    .to_owned(),
                json!({}),
            ),
            "addMarketingPartner" => (
                "mutation($c: ID!, $e: String!) { addMarketingPartner(input: { campaignId: $c, email: $e }) { existingPartner } }".to_owned(),
                json!({ "c": c, "e": format!("added{n}@example.com") }),
            ),
            "updatePartnerCaps" => (
                "mutation($c: ID!, $p: ID!) { updatePartnerCaps(campaignId: $c, partnerId: $p, caps: [{ metric: FORM, window: DAILY, limit: 90 }]) { id } }".to_owned(),
                json!({ "c": c, "p": self.partner_id }),
            ),
            "resendInvitation" => (
                "mutation($p: ID!) { resendInvitation(partnerId: $p) { id } }".to_owned(),
                json!({ "p": self.pending_id }),
            ),
            "revokeInvitation" => (
                "mutation($p: ID!) { revokeInvitation(partnerId: $p) { id } }".to_owned(),
                json!({ "p": self.revokable_id }),
            ),
            "pausePartner" => (
                "mutation($p: ID!, $c: ID) { pausePartner(partnerId: $p, campaignId: $c) { id } }".to_owned(),
                json!({ "p": self.partner_id, "c": c }),
            ),
            "resumePartner" => (
                "mutation($p: ID!, $c: ID) { resumePartner(partnerId: $p, campaignId: $c) { id } }".to_owned(),
                json!({ "p": self.partner_id, "c": c }),
            ),
            "removePartner" => (
                "mutation($p: ID!, $c: ID!) { removePartner(partnerId: $p, campaignId: $c) }".to_owned(),
                json!({ "p": self.removable_id, "c": c }),
            ),
            "apiKeys" => ("{ apiKeys { id name organization { id name } } }".to_owned(), json!({})),
            "createApiKey" => ("mutation { createApiKey(name: \"Key\") { key apiKey { id } } }".to_owned(), json!({})),
            "createApiKey(organizationId: A)" => (
                "mutation($o: ID!) { createApiKey(name: \"A only\", organizationId: $o) { key apiKey { id organization { id name } } } }"
                    .to_owned(),
                json!({ "o": self.org_a }),
            ),
            "revokeApiKey" => (
                "mutation($id: ID!) { revokeApiKey(id: $id) { id } }".to_owned(),
                json!({ "id": self.owner_key_id }),
            ),
            "submitLead" | "submitLead(B's campaign)" => (
                "mutation($c: ID!) { submitLead(input: { campaignId: $c, type: FORM, fields: { name: \"Ann\" } }) { id status } }".to_owned(),
                json!({ "c": if op == "submitLead" { c } else { &self.campaign_b } }),
            ),
            "leads" => (
                "{ leads(first: 100) { totalCount nodes { id campaignId partnerId partner { id email } } } }".to_owned(),
                json!({}),
            ),
            "myLeads" => (
                "{ myLeads(first: 100) { totalCount nodes { id campaignId partnerId partner { id email } } } }".to_owned(),
                json!({}),
            ),
            "myLeads(organizationId: B)" => (
                "query($o: ID!) { myLeads(first: 100, filter: { organizationId: $o }) { totalCount nodes { id campaignId partnerId } } }"
                    .to_owned(),
                json!({ "o": self.org_b }),
            ),
            "lead" | "lead(in B)" => (
                "query($id: ID!) { lead(id: $id) { id status campaignId partner { id email } } }".to_owned(),
                json!({ "id": if op == "lead" { &self.lead_id } else { &self.pab_lead_in_b } }),
            ),
            "setLeadStatus" => (
                "mutation($id: ID!) { setLeadStatus(ids: [$id], status: APPROVED) { status } }".to_owned(),
                json!({ "id": self.lead_id }),
            ),
            "setPartnerPayouts" => (
                "mutation($c: ID!, $p: ID!) { setPartnerPayouts(campaignId: $c, partnerId: $p, formPayout: \"15\") { formPayoutOverride } }".to_owned(),
                json!({ "c": c, "p": self.partner_id }),
            ),
            "report" => (
                format!("query($c: ID!) {{ report(filter: {{ campaignIds: [$c] }}, groupBy: [PARTNER]) {{ {report} }} }}"),
                json!({ "c": c }),
            ),
            "report(as: OWNER)" => {
                (format!("{{ report(as: OWNER, groupBy: [CAMPAIGN, PARTNER]) {{ {report} }} }}"), json!({}))
            }
            "report(as: PARTNER)" => {
                (format!("{{ report(as: PARTNER, groupBy: [CAMPAIGN, PARTNER]) {{ {report} }} }}"), json!({}))
            }
            "report(as: PARTNER, organizationIds: B)" => (
                format!(
                    "query($o: ID!) {{ report(as: PARTNER, filter: {{ organizationIds: [$o] }}, groupBy: [CAMPAIGN, PARTNER]) {{ {report} }} }}"
                ),
                json!({ "o": self.org_b }),
            ),
            "metricDefinitions" => ("{ metricDefinitions { name description } }".to_owned(), json!({})),
            "statsChanged" | "statsChanged(as: PARTNER)" => {
                // A subscription, over graphql-ws: its first message.
                let args = if op == "statsChanged" { "" } else { "(as: PARTNER)" };
                let q = format!(
                    "subscription {{ statsChanged{args} {{ report(groupBy: [CAMPAIGN, PARTNER]) {{ {report} }} }} }}"
                );
                return crate::live::Subscription::open(&self.app, self.token(who), &q).await.next().await;
            }
            "acceptInvitation" => {
                let email = format!("accept{n}@example.com");
                self.app.gql(Some(&self.a.access_token), ADD, json!({ "c": c, "e": email })).await;
                let token = self.app.invitation_token(&email).await;
                return self.app.accept_invitation(self.token(who), &token, Some("New"), Some(PASSWORD)).await;
            }
            "acceptInvitation(the email has an account)" => {
                let inviter = self.app.sign_up(&format!("inviter{n}@example.com"), &format!("Inviter {n}")).await;
                let campaign = self.app.create_campaign(&inviter.access_token, "Invites").await;
                add_partner(&self.app, &inviter, &campaign, &self.partner.email).await;
                let (token, _) = self.app.invitation_from(&self.partner.email, &format!("Inviter {n}")).await;
                return self.app.accept_invitation(self.token(who), &token, None, None).await;
            }
            "postbacks" => ("{ postbacks { id url } }".to_owned(), json!({})),
            "partnerPostbacks" => (
                "query($p: ID!) { partnerPostbacks(partnerId: $p) { id url events } }".to_owned(),
                json!({ "p": self.partner_id }),
            ),
            "postbackDeliveries" => (
                "query($id: ID!) { postbackDeliveries(postbackId: $id) { totalCount nodes { event url } } }".to_owned(),
                json!({ "id": self.postback_id }),
            ),
            "postbackMacros" => ("{ postbackMacros }".to_owned(), json!({})),
            "createPostback" => (
                "mutation { createPostback(input: { events: [LEAD_RECEIVED], url: \"https://tracker.example/new\" }) { id } }"
                    .to_owned(),
                json!({}),
            ),
            "createPostback(B's campaign)" => (
                "mutation($c: ID!) { createPostback(input: { campaignId: $c, events: [LEAD_APPROVED], url: \"https://tracker.example/b\" }) { id } }"
                    .to_owned(),
                json!({ "c": self.campaign_b }),
            ),
            "updatePostback" => (
                "mutation($id: ID!) { updatePostback(id: $id, input: { events: [LEAD_RECEIVED, CLICK_COUNTED], url: \"https://tracker.example/solo?l={lead_id}\" }) { id } }"
                    .to_owned(),
                json!({ "id": self.postback_id }),
            ),
            "setPostbackEnabled" => (
                "mutation($id: ID!) { setPostbackEnabled(id: $id, enabled: true) { id enabled } }".to_owned(),
                json!({ "id": self.postback_id }),
            ),
            "sendTestPostback" => (
                "mutation($id: ID!) { sendTestPostback(id: $id) }".to_owned(),
                json!({ "id": self.postback_id }),
            ),
            "retryPostbackDelivery" => (
                "mutation($id: ID!, $e: ID!) { retryPostbackDelivery(postbackId: $id, eventId: $e) }".to_owned(),
                json!({ "id": self.postback_id, "e": self.test_event_id }),
            ),
            "replayPostback" => {
                let now = self.app.clock.now();
                (
                    "mutation($id: ID!, $f: DateTime!, $t: DateTime!) { replayPostback(id: $id, from: $f, to: $t) }"
                        .to_owned(),
                    json!({ "id": self.postback_id, "f": now - chrono::Duration::days(1), "t": now + chrono::Duration::days(1) }),
                )
            }
            "deletePostback" => {
                ("mutation($id: ID!) { deletePostback(id: $id) }".to_owned(), json!({ "id": self.postback_id }))
            }
            "webhookEndpoints" => ("{ webhookEndpoints { id url } }".to_owned(), json!({})),
            "webhookDeliveries" => (
                "query($id: ID!) { webhookDeliveries(endpointId: $id) { totalCount nodes { event url } } }".to_owned(),
                json!({ "id": self.endpoint_id }),
            ),
            "createWebhookEndpoint" => (
                "mutation { createWebhookEndpoint(input: { url: \"https://hooks.example/new\", events: [LEAD_RECEIVED] }) { secret endpoint { id } } }"
                    .to_owned(),
                json!({}),
            ),
            "updateWebhookEndpoint" => (
                "mutation($id: ID!) { updateWebhookEndpoint(id: $id, input: { url: \"https://hooks.example/a\", events: [LEAD_RECEIVED, LEAD_STATUS_CHANGED] }) { id } }"
                    .to_owned(),
                json!({ "id": self.endpoint_id }),
            ),
            "rotateWebhookSecret" => (
                "mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { id } } }".to_owned(),
                json!({ "id": self.endpoint_id }),
            ),
            "setWebhookEndpointEnabled" => (
                "mutation($id: ID!) { setWebhookEndpointEnabled(id: $id, enabled: true) { id enabled } }".to_owned(),
                json!({ "id": self.endpoint_id }),
            ),
            "sendTestWebhook" => {
                ("mutation($id: ID!) { sendTestWebhook(id: $id) }".to_owned(), json!({ "id": self.endpoint_id }))
            }
            "retryWebhookDelivery" => (
                "mutation($id: ID!, $e: ID!) { retryWebhookDelivery(endpointId: $id, eventId: $e) }".to_owned(),
                json!({ "id": self.endpoint_id, "e": self.webhook_test_event_id }),
            ),
            "replayWebhookEndpoint" => {
                let now = self.app.clock.now();
                (
                    "mutation($id: ID!, $f: DateTime!, $t: DateTime!) { replayWebhookEndpoint(id: $id, from: $f, to: $t) }"
                        .to_owned(),
                    json!({ "id": self.endpoint_id, "f": now - chrono::Duration::days(1), "t": now + chrono::Duration::days(1) }),
                )
            }
            "postingInstructions" => (
                "query($c: ID!) { postingInstructions(campaignId: $c) { endpoint markdown fields { key } } }".to_owned(),
                json!({ "c": c }),
            ),
            "setLeadFields" => (
                "mutation($c: ID!) { setLeadFields(campaignId: $c, input: { fields: [] }) { id leadFields { key } } }"
                    .to_owned(),
                json!({ "c": c }),
            ),
            "setDuplicateRule" => (
                "mutation($c: ID!) { setDuplicateRule(campaignId: $c, rule: { fields: [\"phone\"], windowHours: 24, scope: CAMPAIGN }) { scope } }"
                    .to_owned(),
                json!({ "c": c }),
            ),
            "setDuplicateRule(organization)" => (
                "mutation { setDuplicateRule(rule: { fields: [\"phone\"], scope: ORGANIZATION }) { scope } }".to_owned(),
                json!({}),
            ),
            "organizationDuplicateRule" => ("{ organizationDuplicateRule { scope } }".to_owned(), json!({})),
            "returnReasons" => ("{ returnReasons { code label } }".to_owned(), json!({})),
            "disputeLead" => (
                "mutation($id: ID!) { disputeLead(leadId: $id, message: \"We have the consumer's consent.\") { status } }"
                    .to_owned(),
                json!({ "id": self.rejected_lead_id }),
            ),
            "answerDispute" => (
                "mutation($id: ID!) { answerDispute(leadId: $id, reverse: false, reply: \"The ZIP is out of area.\") { status } }"
                    .to_owned(),
                json!({ "id": self.rejected_lead_id }),
            ),
            "openDisputes" => ("{ openDisputes }".to_owned(), json!({})),
            "setReturnReasons" => (
                "mutation { setReturnReasons(reasons: [{ code: \"FRAUD\", label: \"Fraud\" }]) { code } }".to_owned(),
                json!({}),
            ),
            "deleteWebhookEndpoint" => {
                ("mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }".to_owned(), json!({ "id": self.endpoint_id }))
            }
            other => panic!("the authorization matrix has no call for `{other}`: add one"),
        };
        self.app.gql(self.token(who), &query, vars).await
    }

    /// A REST route as `who`: the status and the body (JSON, or the CSV text as a JSON string).
    async fn rest(&self, route: &str, who: Who) -> (u16, Value) {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let with = |req: reqwest::RequestBuilder, credential: Option<&str>| match credential {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let lead =
            |org: Org| json!({ "campaignId": self.campaign_of(org), "type": "form", "fields": { "name": "Ann" } });
        let status = |org: Org| format!("{}/v1/leads/{}/status", self.app.address, self.lead_to_decide[&org]);
        let req = match route {
            "GET /c/{code}" => with(client.get(&self.tracking_link), self.token(who)),
            "POST /v1/leads (A's campaign)" => {
                with(client.post(format!("{}/v1/leads", self.app.address)), self.key(who)).json(&lead(Org::A))
            }
            "POST /v1/leads (B's campaign)" => {
                with(client.post(format!("{}/v1/leads", self.app.address)), self.key(who)).json(&lead(Org::B))
            }
            "POST /v1/leads (C's campaign)" => {
                with(client.post(format!("{}/v1/leads", self.app.address)), self.key(who)).json(&lead(Org::C))
            }
            "POST /v1/leads/{id}/status (a lead of A)" => {
                with(client.post(status(Org::A)), self.key(who)).json(&json!({ "status": "APPROVED" }))
            }
            "POST /v1/leads/{id}/status (a lead of B)" => {
                with(client.post(status(Org::B)), self.key(who)).json(&json!({ "status": "APPROVED" }))
            }
            "POST /v1/leads/{id}/status (a lead of C)" => {
                with(client.post(status(Org::C)), self.key(who)).json(&json!({ "status": "APPROVED" }))
            }
            "POST /v1/leads/status (a lead of A)" => {
                with(client.post(format!("{}/v1/leads/status", self.app.address)), self.key(who))
                    .json(&json!({ "ids": [self.lead_to_decide[&Org::A]], "status": "CONVERTED" }))
            }
            "GET /v1/campaigns/{id}/posting-instructions.md" => {
                let url = format!("{}/v1/campaigns/{}/posting-instructions.md", self.app.address, self.campaign_a);
                with(client.get(url), self.token(who))
            }
            "GET /v1/reports.csv" | "GET /v1/reports.csv?as=OWNER" | "GET /v1/reports.csv?as=PARTNER" => {
                let side = route.split_once("?as=").map(|(_, s)| format!("&as={s}")).unwrap_or_default();
                let url = format!("{}/v1/reports.csv?groupBy=CAMPAIGN,PARTNER{side}", self.app.address);
                with(client.get(url), self.token(who))
            }
            other => panic!("no REST call for `{other}`"),
        };
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let csv = res.headers().get("content-type").is_some_and(|t| t.as_bytes().starts_with(b"text/csv"));
        let text = res.text().await.unwrap();
        let body = if csv { Value::String(text) } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        (status, body)
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

/// A lead sent with `key`; its id.
async fn send(app: &TestApp, key: &str, campaign: &str) -> String {
    let (status, body) = post_lead(app, key, &json!({ "campaignId": campaign, "type": "form" }), None).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn key_id(app: &TestApp, user: &Session) -> BTreeSet<String> {
    let res = app.gql(Some(&user.access_token), "{ apiKeys { id } }", json!({})).await;
    ids_at(&res["data"]["apiKeys"], "id")
}

/// The three organizations, their partners (the two accounts that work for more than one), leads in each, keys.
async fn world(db: Db) -> (World, Books) {
    let app = spawn_app(db).await;
    let mut books = Books::default();
    let a = app.sign_up("owner-a@example.com", "Alpha Leads").await;
    let b = app.sign_up("owner-b@example.com", "Beta Media").await;
    let c = app.sign_up("owner-c@example.com", "Gamma Ads").await;
    let (org_a, org_b, org_c) =
        (app.organization_id(&a).await, app.organization_id(&b).await, app.organization_id(&c).await);
    let campaign_a = app.create_campaign(&a.access_token, "Alpha Solar").await;
    let res = app
        .gql(
            Some(&b.access_token),
            "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
            json!({ "i": { "name": "Beta Roofing", "timeZone": "Europe/Berlin", "landingUrl": "https://example.com/b",
                           "currency": "EUR", "formPayout": "20" } }),
        )
        .await;
    let campaign_b = res["data"]["createCampaign"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_owned();
    let campaign_c = app.create_campaign(&c.access_token, "Gamma Windows").await;

    // The partner of A; the partner of A and B (registered with A, then accepting B's invitation signed in); owner C
    // accepting A's invitation; a partner of B only and one of C only.
    let (partner, partner_id) = partner_on(&app, &a, &campaign_a, "solo@example.com", json!([])).await;
    let (pab, pab_in_a) = partner_on(&app, &a, &campaign_a, "pab@example.com", json!([])).await;
    let pab_in_b = add_partner(&app, &b, &campaign_b, "PAB@Example.com").await;
    let (token, _) = app.invitation_from("pab@example.com", "Beta Media").await;
    session(&app.accept_invitation(Some(&pab.access_token), &token, None, None).await, "acceptInvitation");
    let c_in_a = add_partner(&app, &a, &campaign_a, "owner-c@example.com").await;
    let (token, _) = app.invitation_from("owner-c@example.com", "Alpha Leads").await;
    let res = app.accept_invitation(Some(&c.access_token), &token, Some("Gamma as a partner"), None).await;
    session(&res, "acceptInvitation");
    let (b_partner, b_partner_id) = partner_on(&app, &b, &campaign_b, "bea@example.com", json!([])).await;
    let (c_partner, c_partner_id) = partner_on(&app, &c, &campaign_c, "cy@example.com", json!([])).await;

    let pending_id = add_partner(&app, &a, &campaign_a, "pending@example.com").await;
    let pending_token = app.invitation_token("pending@example.com").await;
    let revokable_id = add_partner(&app, &a, &campaign_a, "revokable@example.com").await;
    let removable_id = add_partner(&app, &a, &campaign_a, "removable@example.com").await;

    // Keys: one for leads per caller that has an account; another of owner A's (the matrix revokes it); A's
    // reporting token; B's and C's partners' own.
    let mut keys = BTreeMap::new();
    for (who, user) in
        [(Who::OwnerA, &a), (Who::OwnerB, &b), (Who::Partner, &partner), (Who::PartnerAB, &pab), (Who::OwnerC, &c)]
    {
        keys.insert(who, api_key(&app, user).await);
    }
    let key =
        app.gql(Some(&a.access_token), "mutation { createApiKey(name: \"A\") { apiKey { id } } }", json!({})).await;
    let owner_key_id = key["data"]["createApiKey"]["apiKey"]["id"].as_str().unwrap().to_owned();
    let token = app
        .gql(
            Some(&a.access_token),
            "mutation { createApiKey(name: \"BI\", scope: REPORTS) { key apiKey { id } } }",
            json!({}),
        )
        .await;
    let reports_token = token["data"]["createApiKey"]["key"].as_str().unwrap_or_else(|| panic!("{token}")).to_owned();
    let b_partner_key = api_key(&app, &b_partner).await;
    let c_partner_key = api_key(&app, &c_partner).await;
    for (who, user) in
        [(Who::OwnerA, &a), (Who::OwnerB, &b), (Who::Partner, &partner), (Who::PartnerAB, &pab), (Who::OwnerC, &c)]
    {
        for id in key_id(&app, user).await {
            books.key(who, &id);
        }
    }
    for user in [&b_partner, &c_partner] {
        for id in key_id(&app, user).await {
            books.mark(id, &[]);
        }
    }

    // The partner of A's postback, before its leads (a tracker name that does not resolve here: attempts fail).
    let res = app
        .gql(
            Some(&partner.access_token),
            "mutation { createPostback(input: { events: [LEAD_RECEIVED, LEAD_APPROVED], url: \"https://tracker.example/solo?l={lead_id}\" }) { id } }",
            json!({}),
        )
        .await;
    let postback_id = res["data"]["createPostback"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_owned();
    let res = app
        .gql(
            Some(&partner.access_token),
            "mutation($id: ID!) { sendTestPostback(id: $id) }",
            json!({ "id": postback_id }),
        )
        .await;
    let test_event_id = res["data"]["sendTestPostback"].as_str().unwrap_or_else(|| panic!("{res}")).to_owned();

    // Organization A's webhook endpoint (a name that does not resolve here: attempts fail) and a test delivery.
    let res = app
        .gql(
            Some(&a.access_token),
            "mutation { createWebhookEndpoint(input: { url: \"https://hooks.example/a\", events: [LEAD_RECEIVED] }) { secret endpoint { id } } }",
            json!({}),
        )
        .await;
    let endpoint_id =
        res["data"]["createWebhookEndpoint"]["endpoint"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_owned();
    let webhook_secret = res["data"]["createWebhookEndpoint"]["secret"].as_str().unwrap().to_owned();
    let res = app
        .gql(Some(&a.access_token), "mutation($id: ID!) { sendTestWebhook(id: $id) }", json!({ "id": endpoint_id }))
        .await;
    let webhook_test_event_id = res["data"]["sendTestWebhook"].as_str().unwrap_or_else(|| panic!("{res}")).to_owned();

    // Leads: the partner of A's in A (signed in); the partner of A and B's in A and in B with one key; owner C's in A;
    // B's and C's partners' own; and one more per organization for the REST decisions.
    let lead = app
        .gql(
            Some(&partner.access_token),
            "mutation($c: ID!) { submitLead(input: { campaignId: $c, type: FORM }) { id } }",
            json!({ "c": campaign_a }),
        )
        .await;
    let lead_id = lead["data"]["submitLead"]["id"].as_str().unwrap_or_else(|| panic!("{lead}")).to_owned();
    books.lead(&lead_id, Org::A, &partner_id, Some(Who::Partner));
    let id = send(&app, &keys[&Who::PartnerAB], &campaign_a).await;
    books.lead(&id, Org::A, &pab_in_a, Some(Who::PartnerAB));
    let pab_lead_in_b = send(&app, &keys[&Who::PartnerAB], &campaign_b).await;
    books.lead(&pab_lead_in_b, Org::B, &pab_in_b, Some(Who::PartnerAB));
    let rejected_lead_id = send(&app, &keys[&Who::Partner], &campaign_a).await;
    books.lead(&rejected_lead_id, Org::A, &partner_id, Some(Who::Partner));
    let res = app
        .gql(
            Some(&a.access_token),
            "mutation($id: ID!) { setLeadStatus(ids: [$id], status: REJECTED, reason: \"Out of area\") { id } }",
            json!({ "id": rejected_lead_id }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    let id = send(&app, &keys[&Who::OwnerC], &campaign_a).await;
    books.lead(&id, Org::A, &c_in_a, Some(Who::OwnerC));
    let id = send(&app, &b_partner_key, &campaign_b).await;
    books.lead(&id, Org::B, &b_partner_id, None);
    let id = send(&app, &c_partner_key, &campaign_c).await;
    books.lead(&id, Org::C, &c_partner_id, None);
    let mut lead_to_decide = BTreeMap::new();
    for (org, key, campaign, record, sender) in [
        (Org::A, &keys[&Who::Partner], &campaign_a, &partner_id, Some(Who::Partner)),
        (Org::B, &b_partner_key, &campaign_b, &b_partner_id, None),
        (Org::C, &c_partner_key, &campaign_c, &c_partner_id, None),
    ] {
        let id = send(&app, key, campaign).await;
        books.lead(&id, org, record, sender);
        lead_to_decide.insert(org, id);
    }

    let portal =
        app.gql(Some(&partner.access_token), "{ myPartnerAccount { campaigns { id trackingUrl } } }", json!({})).await;
    let tracking_link = portal["data"]["myPartnerAccount"]["campaigns"]
        .as_array()
        .unwrap_or_else(|| panic!("{portal}"))
        .iter()
        .find(|c| c["id"] == json!(campaign_a))
        .unwrap_or_else(|| panic!("{portal}"))["trackingUrl"]
        .as_str()
        .unwrap()
        .to_owned();

    // Who may see what.
    use Who::{OwnerA as A, OwnerB as B, OwnerC as C, Partner as P, PartnerAB as PAB, ReportsToken as T};
    let a_side = [A, T, P, PAB, C];
    books.mark("Alpha Leads", &a_side);
    books.mark(&org_a, &a_side);
    books.mark(&campaign_a, &a_side);
    books.mark("owner-a@example.com", &[A, T]);
    books.mark("Beta Media", &[B, PAB]);
    books.mark(&org_b, &[B, PAB]);
    books.mark(&campaign_b, &[B, PAB]);
    books.mark("Beta Roofing", &[B, PAB]);
    books.mark("owner-b@example.com", &[B]);
    books.mark("Gamma Ads", &[C]);
    books.mark(&org_c, &[C]);
    books.mark(&campaign_c, &[C]);
    books.mark("Gamma Windows", &[C]);
    books.mark("solo@example.com", &[A, T, P]);
    books.mark(&postback_id, &[A, P]);
    books.mark("tracker.example/solo", &[A, P]);
    books.mark(&endpoint_id, &[A]);
    books.mark("hooks.example/a", &[A]);
    // Shown once, when created: no answer holds it again.
    books.mark(&webhook_secret, &[]);
    books.mark(&partner_id, &[A, T, P]);
    books.mark("pab@example.com", &[A, T, B, PAB]);
    books.mark(&pab_in_a, &[A, T, PAB]);
    books.mark(&pab_in_b, &[B, PAB]);
    books.mark("owner-c@example.com", &[A, T, C]);
    books.mark(&c_in_a, &[A, T, C]);
    books.mark("bea@example.com", &[B]);
    books.mark(&b_partner_id, &[B]);
    books.mark("cy@example.com", &[C]);
    books.mark(&c_partner_id, &[C]);
    books.mark("pending@example.com", &[A, T]);
    books.mark(&pending_id, &[A, T]);
    books.mark("revokable@example.com", &[A, T]);
    books.mark(&revokable_id, &[A, T]);
    books.mark("removable@example.com", &[A, T]);
    books.mark(&removable_id, &[A, T]);
    for (who, user) in [(A, &a), (B, &b), (C, &c), (P, &partner), (PAB, &pab)] {
        books.mark(app.user_id(user).await, &[who]);
    }
    books.campaigns.insert(Org::A, BTreeSet::from([campaign_a.clone()]));
    books.campaigns.insert(Org::B, BTreeSet::from([campaign_b.clone()]));
    books.campaigns.insert(Org::C, BTreeSet::from([campaign_c.clone()]));

    // A resend is allowed once a minute.
    app.clock.advance(chrono::Duration::minutes(2));
    let world = World {
        app,
        a,
        b,
        c,
        partner,
        pab,
        reports_token,
        org_a,
        org_b,
        campaign_a,
        campaign_b,
        campaign_c,
        partner_id,
        pab_in_a,
        pab_in_b,
        c_in_a,
        pending_id,
        revokable_id,
        removable_id,
        pending_token,
        lead_id,
        pab_lead_in_b,
        rejected_lead_id,
        lead_to_decide,
        owner_key_id,
        keys,
        tracking_link,
        postback_id,
        test_event_id,
        endpoint_id,
        webhook_test_event_id,
    };
    (world, books)
}

impl World {
    /// What the answer of a successful operation must hold, beyond mentioning nothing hidden from the caller; and
    /// what it wrote, into the books.
    fn check(&self, op: &str, who: Who, res: &Value, books: &mut Books) {
        let data = &res["data"];
        let ctx = format!("{op} as {who:?}");
        match op {
            "me" => {
                let me = &data["me"];
                let org = match Self::owns(who) {
                    Some(Org::A) => json!("Alpha Leads"),
                    Some(Org::B) => json!("Beta Media"),
                    Some(Org::C) => json!("Gamma Ads"),
                    None => Value::Null,
                };
                assert_eq!(me["organization"]["name"], org, "{ctx}: {res}");
                let advertisers: BTreeSet<String> = me["advertisers"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{ctx}: {res}"))
                    .iter()
                    .map(|o| o["name"].as_str().unwrap().to_owned())
                    .collect();
                let want: &[&str] = match who {
                    Who::Partner | Who::OwnerC => &["Alpha Leads"],
                    Who::PartnerAB => &["Alpha Leads", "Beta Media"],
                    _ => &[],
                };
                assert_eq!(advertisers, want.iter().map(|s| (*s).to_owned()).collect(), "{ctx}: {res}");
            }
            "campaigns" => {
                let org = Self::owns(who).unwrap();
                assert_eq!(ids_at(&data["campaigns"]["nodes"], "id"), books.campaigns[&org], "{ctx}: {res}");
            }
            "createCampaign" => {
                let id = data["createCampaign"]["id"].as_str().unwrap().to_owned();
                let org = Self::owns(who).unwrap();
                books.campaigns.get_mut(&org).unwrap().insert(id.clone());
                books.mark(id, &owners_of(org));
            }
            "marketingPartners" => {
                let emails: BTreeSet<String> = data["marketingPartners"]["nodes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["email"].as_str().unwrap().to_owned())
                    .collect();
                let want: &[&str] = match who {
                    Who::OwnerB => &["bea@example.com", "pab@example.com"],
                    Who::OwnerC => &["cy@example.com"],
                    _ => &["solo@example.com", "pab@example.com", "owner-c@example.com", "pending@example.com"],
                };
                let want: BTreeSet<String> = want.iter().map(|s| (*s).to_owned()).collect();
                if who == Who::OwnerA {
                    assert!(emails.is_superset(&want), "{ctx}: {res}");
                } else {
                    assert_eq!(emails, want, "{ctx}: {res}");
                }
            }
            "marketingPartner(B's record of the partner of A and B)" => {
                let p = &data["marketingPartner"];
                assert_eq!((&p["email"], &p["status"]), (&json!("pab@example.com"), &json!("ACTIVE")), "{ctx}: {res}");
                assert_eq!(p["campaigns"].as_array().unwrap().len(), 1, "{ctx}: {res}");
            }
            "invitationPreview" => {
                let p = &data["invitationPreview"];
                assert_eq!((&p["email"], &p["accountExists"]), (&json!("pending@example.com"), &json!(false)), "{res}");
            }
            "myPartnerAccount" => {
                let account = &data["myPartnerAccount"];
                let want: Vec<(&str, &str)> = match who {
                    Who::Partner | Who::OwnerC => vec![(self.campaign_a.as_str(), "Alpha Leads")],
                    _ => vec![(self.campaign_a.as_str(), "Alpha Leads"), (self.campaign_b.as_str(), "Beta Media")],
                };
                let got: BTreeSet<(String, String)> = account["campaigns"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| {
                        (c["id"].as_str().unwrap().to_owned(), c["advertiser"]["name"].as_str().unwrap().to_owned())
                    })
                    .collect();
                let want: BTreeSet<(String, String)> =
                    want.into_iter().map(|(c, o)| (c.to_owned(), o.to_owned())).collect();
                assert_eq!(got, want, "{ctx}: {res}");
                let records = ids_at(&account["advertisers"], "partnerId");
                assert_eq!(records, self.records(who).into_iter().collect(), "{ctx}: {res}");
            }
            "apiKeys" => {
                let ids = ids_at(&data["apiKeys"], "id");
                assert!(
                    ids.is_subset(&books.keys[&who]) && !ids.is_empty(),
                    "{ctx}: {res} (own: {:?})",
                    books.keys[&who]
                );
            }
            "createApiKey" | "createApiKey(organizationId: A)" => {
                books.key(who, data["createApiKey"]["apiKey"]["id"].as_str().unwrap());
                if op != "createApiKey" {
                    assert_eq!(data["createApiKey"]["apiKey"]["organization"]["id"], json!(self.org_a), "{res}");
                }
            }
            "submitLead" | "submitLead(B's campaign)" => {
                let org = if op == "submitLead" { Org::A } else { Org::B };
                let id = data["submitLead"]["id"].as_str().unwrap().to_owned();
                books.lead(&id, org, &self.record_in(who, org), Some(who));
            }
            "leads" => {
                let view = Self::owner_view(who).unwrap();
                assert_eq!(ids_at(&data["leads"]["nodes"], "id"), books.leads_in(&view), "{ctx}: {res}");
            }
            "myLeads" => {
                let view = self.partner_view(who).unwrap();
                assert_eq!(ids_at(&data["myLeads"]["nodes"], "id"), books.leads_in(&view), "{ctx}: {res}");
            }
            "myLeads(organizationId: B)" => {
                let records: Vec<String> = self.records(who).into_iter().filter(|r| *r == self.pab_in_b).collect();
                let want = books.leads_in(&View::Partner(records));
                assert_eq!(ids_at(&data["myLeads"]["nodes"], "id"), want, "{ctx}: {res}");
            }
            "report" => {
                // Filtered on A's campaign: the caller's default side, A's traffic in it.
                let view = self.default_view(who).unwrap();
                assert_eq!(totals_of(&data["report"]), books.totals(&view, Some(Org::A)), "{ctx}: {res}");
                self.check_rows(&data["report"], &view, &ctx);
            }
            "report(as: OWNER)" | "report(as: PARTNER)" | "report(as: PARTNER, organizationIds: B)" => {
                let (view, only) = match op {
                    "report(as: OWNER)" => (Self::owner_view(who).unwrap(), None),
                    "report(as: PARTNER)" => (self.partner_view(who).unwrap(), None),
                    _ => (self.partner_view(who).unwrap(), Some(Org::B)),
                };
                assert_eq!(totals_of(&data["report"]), books.totals(&view, only), "{ctx}: {res}");
                self.check_rows(&data["report"], &view, &ctx);
            }
            "statsChanged" | "statsChanged(as: PARTNER)" => {
                let view = if op == "statsChanged" { self.default_view(who) } else { self.partner_view(who) }.unwrap();
                let report = &data["statsChanged"]["report"];
                assert_eq!(totals_of(report), books.totals(&view, None), "{ctx}: {res}");
                self.check_rows(report, &view, &ctx);
            }
            _ => {}
        }
    }

    /// Every row of a report names only campaigns and partner records of the view.
    fn check_rows(&self, report: &Value, view: &View, ctx: &str) {
        let (campaigns, records): (BTreeSet<String>, Option<Vec<String>>) = match view {
            View::Owner(org) => (BTreeSet::from([self.campaign_of(*org).to_owned()]), None),
            View::Partner(records) => (
                records
                    .iter()
                    .map(|r| if *r == self.pab_in_b { self.campaign_b.clone() } else { self.campaign_a.clone() })
                    .collect(),
                Some(records.clone()),
            ),
        };
        for row in report["nodes"].as_array().unwrap_or_else(|| panic!("{ctx}: {report}")) {
            if let Some(c) = row["campaign"]["id"].as_str() {
                assert!(campaigns.contains(c), "{ctx}: a row of campaign {c}: {report}");
            }
            if let (Some(p), Some(records)) = (row["partner"]["id"].as_str(), &records) {
                assert!(records.iter().any(|r| r == p), "{ctx}: a row of partner {p}: {report}");
            }
        }
    }

    /// The rows of a CSV report: (campaign id, partner id) -> submitted (rows with leads only).
    fn csv_rows(text: &str) -> BTreeMap<(String, String), i64> {
        let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
        let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
        let col = |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no {name}: {text}"));
        let (campaign, partner, submitted) = (col("campaign_id"), col("partner_id"), col("submitted"));
        lines
            .map(|l| {
                let cells: Vec<&str> = l.split(',').collect();
                ((cells[campaign].to_owned(), cells[partner].to_owned()), cells[submitted].parse::<i64>().unwrap())
            })
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// What a CSV report must hold for `view`: (campaign id, partner id) -> submitted.
    fn csv_expected(&self, books: &Books, view: &View) -> BTreeMap<(String, String), i64> {
        let mut rows = BTreeMap::new();
        for (_, org, record) in &books.leads {
            let seen = match view {
                View::Owner(o) => o == org,
                View::Partner(records) => records.contains(record),
            };
            if seen {
                *rows.entry((self.campaign_of(*org).to_owned(), record.clone())).or_insert(0) += 1;
            }
        }
        rows
    }
}

async fn every_operation_as_every_role(db: Db) {
    let (world, mut books) = world(db).await;

    // REST first: the leads it sends are in the books when GraphQL lists and reports are checked.
    for (route, expected) in REST {
        for (who, want) in WHO.iter().copied().zip(expected) {
            let (status, body) = world.rest(route, who).await;
            let ctx = format!("{route} as {who:?}");
            assert_eq!(status, http_status(want), "{ctx}: {body}");
            if want.parse::<u16>().is_err() {
                assert_eq!(body["error"]["code"], *want, "{ctx}: {body}");
            }
            assert_mentions_none(&body, &books.hidden_from(who), &ctx);
            match (*route, status) {
                ("POST /v1/leads (A's campaign)" | "POST /v1/leads (B's campaign)", 201) => {
                    let org = if route.contains("A's") { Org::A } else { Org::B };
                    books.lead(body["id"].as_str().unwrap(), org, &world.record_in(who, org), Some(who));
                }
                ("GET /v1/reports.csv" | "GET /v1/reports.csv?as=OWNER" | "GET /v1/reports.csv?as=PARTNER", 200) => {
                    let view = match route.split_once("?as=").map(|(_, s)| s) {
                        None => world.default_view(who),
                        Some("OWNER") => World::owner_view(who),
                        _ => world.partner_view(who),
                    }
                    .unwrap();
                    let text = body.as_str().unwrap_or_else(|| panic!("{ctx}: not CSV: {body}"));
                    assert_eq!(World::csv_rows(text), world.csv_expected(&books, &view), "{ctx}: {text}");
                }
                _ => {}
            }
        }
    }
    // Every decision went only to the lead's own organization's owner key: one approved lead per organization (A's
    // converted by the batch route after).
    for (org, id) in &world.lead_to_decide {
        let (owner, want) = match org {
            Org::A => (&world.a, "CONVERTED"),
            Org::B => (&world.b, "APPROVED"),
            Org::C => (&world.c, "APPROVED"),
        };
        let res = world
            .app
            .gql(Some(&owner.access_token), "query($id: ID!) { lead(id: $id) { status } }", json!({ "id": id }))
            .await;
        assert_eq!(res["data"]["lead"]["status"], want, "{org:?}: {res}");
    }
    a_key_limited_to_one_organization(&world, &mut books).await;

    let mut n = 0;
    for (op, expected) in MATRIX {
        for (who, want) in WHO.iter().copied().zip(expected) {
            n += 1;
            let res = world.call(op, who, n).await;
            let got = error_code(&res).unwrap_or(if res["errors"].is_null() { OK } else { "ERROR WITHOUT CODE" });
            assert_eq!(got, *want, "{op} as {who:?}: {res}");
            match *op {
                // A preview is for whoever holds the link; a refused acceptance names the invited address (a
                // reporting token is refused as everywhere else).
                "invitationPreview" => {}
                "acceptInvitation(the email has an account)" => {
                    if got != OK && !matches!(who, Who::ReportsToken) {
                        let message = res["errors"][0]["message"].as_str().unwrap_or_default();
                        assert!(message.contains("solo@example.com"), "{op} as {who:?} names the address: {res}");
                    }
                }
                _ => assert_mentions_none(&res, &books.hidden_from(who), &format!("{op} as {who:?}")),
            }
            if got == OK {
                world.check(op, who, &res, &mut books);
            }
            if *op == "addMarketingPartner" || *op == "acceptInvitation" {
                let email = if *op == "addMarketingPartner" { "added" } else { "accept" };
                books.mark(format!("{email}{n}@example.com"), &owners_of(Org::A));
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

/// A key limited to one organization: it sends only to that organization's campaigns, and decides only on that
/// organization's leads.
async fn a_key_limited_to_one_organization(world: &World, books: &mut Books) {
    let app = &world.app;
    let create = "mutation($o: ID!) { createApiKey(name: \"One\", organizationId: $o) { key apiKey { id } } }";
    let limited = |user: &Session, org: &str| {
        let org = org.to_owned();
        let token = user.access_token.clone();
        async move {
            let res = app.gql(Some(&token), create, json!({ "o": org })).await;
            let key = res["data"]["createApiKey"]["key"].as_str().unwrap_or_else(|| panic!("{res}")).to_owned();
            (key, res["data"]["createApiKey"]["apiKey"]["id"].as_str().unwrap().to_owned())
        }
    };
    let form = |campaign: &str| json!({ "campaignId": campaign, "type": "form" });

    // The partner of A and B, with a key for A only.
    let (only_a, id) = limited(&world.pab, &world.org_a).await;
    books.key(Who::PartnerAB, &id);
    let (status, body) = post_lead(app, &only_a, &form(&world.campaign_b), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some(NOT_ASSIGNED)), "{body}");
    assert_mentions_none(&body, &books.hidden_from(Who::PartnerAB), "a key for A sending to B");
    let (status, body) = post_lead(app, &only_a, &form(&world.campaign_a), None).await;
    assert_eq!(status, 201, "{body}");
    books.lead(body["id"].as_str().unwrap(), Org::A, &world.pab_in_a, Some(Who::PartnerAB));

    // An organization the account has nothing to do with: NOT_FOUND, and no key.
    let res = app.gql(Some(&world.pab.access_token), create, json!({ "o": app.organization_id(&world.c).await })).await;
    assert_eq!(error_code(&res), Some(NOT_FOUND), "{res}");

    // Owner C, also a partner of A: a key for A sends to A and decides nothing in C; a key for C decides in C and
    // sends nothing to A.
    let c_lead = app
        .gql(
            Some(&world.c.access_token),
            "query($c: ID!) { leads(filter: { campaignId: $c, status: RECEIVED }) { nodes { id } } }",
            json!({ "c": world.campaign_c }),
        )
        .await["data"]["leads"]["nodes"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("C has a received lead"))
        .to_owned();
    let approve = json!({ "status": "APPROVED" });
    let (for_a, id) = limited(&world.c, &world.org_a).await;
    books.key(Who::OwnerC, &id);
    let (status, body) = post_lead(app, &for_a, &form(&world.campaign_a), None).await;
    assert_eq!(status, 201, "{body}");
    books.lead(body["id"].as_str().unwrap(), Org::A, &world.c_in_a, Some(Who::OwnerC));
    let (status, body) = post_status(app, &for_a, &c_lead, &approve).await;
    assert!(status == 403 || status == 404, "a key for A decides in C: {status} {body}");
    let (for_c, id) = limited(&world.c, &app.organization_id(&world.c).await).await;
    books.key(Who::OwnerC, &id);
    let (status, body) = post_lead(app, &for_c, &form(&world.campaign_a), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some(NOT_ASSIGNED)), "{body}");
    assert_eq!(post_status(app, &for_c, &c_lead, &approve).await.0, 200);
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
    let covered: BTreeSet<String> =
        MATRIX.iter().map(|(op, _)| op.split('(').next().unwrap_or(op).to_owned()).collect();
    assert_eq!(ops, covered, "add the missing operations to MATRIX in tests/api/authorization.rs");
}

on_both_databases!(every_operation_as_every_role, matrix_covers_every_operation);
