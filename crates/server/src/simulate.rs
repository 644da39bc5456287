//! `partnerdesk simulate`: demo traffic so a new user sees a live-looking account within a minute. It creates (once)
//! a demo owner with three campaigns and four registered marketing partners, then, for the given time, sends clicks,
//! form and call leads through the same code paths as real traffic (caps included) and decides on leads as an owner.

use std::time::Duration;

use anyhow::Context as _;
use partnerdesk_services::authz::{self, Actor};
use partnerdesk_services::campaigns::{self, NewCampaign};
use partnerdesk_services::leads::{self, LeadFilter, NewLead, Status};
use partnerdesk_services::partners::{self, CapInput, Metric, Period};
use partnerdesk_services::{Clock, Error, Services, accounts, clicks, invitations};
use partnerdesk_storage::entities::{campaign_assignment, invitation, marketing_partner};
use partnerdesk_storage::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use rand::RngExt as _;
use rust_decimal::Decimal;

use crate::config::Config;

pub const OWNER: &str = "demo@partnerdesk.test";
pub const PASSWORD: &str = "demo-password-123";

const CAMPAIGNS: [(&str, &str, &str, &str); 3] = [
    ("Demo · Solar New York", "America/New_York", "0.40", "18.50"),
    ("Demo · Roofing Texas", "America/Chicago", "0.25", "12.00"),
    ("Demo · Home insurance UK", "Europe/London", "0.30", "9.75"),
];
const REASONS: [&str; 4] =
    ["Duplicate phone number", "Outside the service area", "Invalid email address", "Asked not to be contacted"];

async fn scope_of(s: &Services, session: &accounts::Session) -> anyhow::Result<authz::OwnerScope> {
    let p = authz::principal(s, session.user.id, false, None).await?.context("the demo owner's account")?;
    Ok(authz::owner(&Actor::User(p))?)
}

async fn owner_session(s: &Services) -> anyhow::Result<accounts::Session> {
    let input =
        accounts::SignUp { email: OWNER.into(), password: PASSWORD.into(), organization_name: "Demo Leads Co".into() };
    match accounts::sign_up(s, input).await {
        Ok(session) => Ok(session),
        Err(Error::Conflict { .. }) => Ok(accounts::login(s, OWNER, PASSWORD, None).await?),
        Err(e) => Err(e.into()),
    }
}

pub async fn run(config: &Config, seconds: u64) -> anyhow::Result<()> {
    let s = crate::startup::connect(config, Clock::system(), "http://127.0.0.1:8080").await?;
    let owner = owner_session(&s).await.context("demo owner")?;
    let scope = scope_of(&s, &owner).await?;

    // Campaigns and partners, created on the first run only.
    let mut campaign_ids = Vec::new();
    let existing = campaigns::list(&s, &scope, None, 100, None).await?.items;
    for (name, tz, click, form) in CAMPAIGNS {
        let id = match existing.iter().find(|c| c.name == name) {
            Some(c) => c.id,
            None => {
                let new = NewCampaign {
                    name: name.into(),
                    time_zone: tz.into(),
                    landing_url: "https://example.com/offer".into(),
                    fallback_url: Some("https://example.com/thanks".into()),
                    currency: Some(if tz.starts_with("Europe") { "GBP" } else { "USD" }.into()),
                    click_payout: click.parse::<Decimal>().ok(),
                    form_payout: form.parse::<Decimal>().ok(),
                    call_payout: "35".parse::<Decimal>().ok(),
                    return_window_days: None,
                };
                campaigns::create(&s, &scope, new).await?.id
            }
        };
        campaign_ids.push(id);
    }
    for i in 1..=4_i64 {
        let email = format!("demo-partner{i}@partnerdesk.test");
        for (n, campaign) in campaign_ids.iter().enumerate() {
            if (i + i64::try_from(n).unwrap_or(0)) % 3 == 0 {
                continue;
            }
            let caps = [CapInput { metric: Metric::Form, period: Period::Daily, limit: 40 + 10 * i }];
            match partners::add(&s, &scope, *campaign, &email, &caps).await {
                Ok(_) | Err(Error::Conflict { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let partner = partners::list(&s, &scope, None, Some(&email), 1, None).await?.items.into_iter().next();
        if let Some(p) = partner.filter(|p| p.user_id.is_none()) {
            let inv = invitation::Entity::find()
                .filter(invitation::Column::PartnerId.eq(p.id))
                .one(&s.db)
                .await?
                .context("invitation")?;
            let token = s.tokens.invitation_token(inv.id, inv.token_version);
            let name = format!("Demo Partner {i}");
            let acceptance = invitations::Acceptance { token: &token, name: Some(&name), password: Some(PASSWORD) };
            invitations::accept(&s, &Actor::Anonymous, acceptance).await?;
        }
    }

    let assignments = campaign_assignment::Entity::find()
        .filter(campaign_assignment::Column::OrganizationId.eq(scope.organization_id()))
        .filter(campaign_assignment::Column::Status.eq(campaign_assignment::Status::Active))
        .all(&s.db)
        .await?;
    anyhow::ensure!(!assignments.is_empty(), "the demo account has no active partners");
    // Each partner sends with its own account.
    let accounts: std::collections::HashMap<uuid::Uuid, uuid::Uuid> = marketing_partner::Entity::find()
        .filter(marketing_partner::Column::OrganizationId.eq(scope.organization_id()))
        .all(&s.db)
        .await?
        .into_iter()
        .filter_map(|p| Some((p.id, p.user_id?)))
        .collect();
    println!(
        "Sending demo traffic for {seconds} s. Log in at {} as {OWNER} (owner) or demo-partner1@partnerdesk.test (partner), password {PASSWORD}.",
        s.public_url
    );

    let (mut clicks_sent, mut leads_sent, mut capped) = (0_u32, 0_u32, 0_u32);
    let mut recent_clicks: Vec<(uuid::Uuid, uuid::Uuid)> = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    let mut tick = 0_u64;
    while tokio::time::Instant::now() < deadline {
        tick += 1;
        let (a, roll, reason) = {
            let mut rng = rand::rng();
            (
                assignments[rng.random_range(0..assignments.len())].clone(),
                rng.random_range(0..100),
                REASONS[rng.random_range(0..REASONS.len())],
            )
        };
        let Some(user_id) = accounts.get(&a.partner_id).copied() else { continue };
        let sender = authz::Sender { user_id, organization_id: None };
        if roll < 65 {
            let code = a.tracking_code.clone().unwrap_or_default();
            let sub = Some(["newsletter", "search", "social"][usize::try_from(tick % 3).unwrap_or(0)].to_owned());
            if let Ok(clicks::Outcome::Landing(url)) =
                clicks::follow(&s, &code, [sub, None, None, None, None], true).await
            {
                clicks_sent += 1;
                if let Some(id) = url.rsplit('=').next().and_then(|v| uuid::Uuid::parse_str(v).ok()) {
                    recent_clicks.push((a.id, id));
                }
            }
        } else {
            let click_id = recent_clicks.iter().rev().find(|(aid, _)| *aid == a.id).map(|(_, c)| c.to_string());
            let call = roll >= 93;
            let lead = NewLead {
                campaign_id: a.campaign_id.to_string(),
                kind: if call { "call" } else { "form" }.into(),
                external_id: Some(format!("demo-{tick}")),
                click_id,
                sub_ids: vec![("sub1".into(), "newsletter".into())],
                fields: serde_json::json!({ "name": format!("Demo Lead {tick}"), "zip": "10001" })
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
                caller_number: call.then(|| "+12125550123".into()),
                duration_seconds: call.then_some(95),
                test: false,
            };
            match leads::submit(&s, &sender, lead).await {
                Ok(_) => leads_sent += 1,
                Err(Error::CapReached { .. }) => capped += 1,
                Err(e) => tracing::warn!(error = %e, "demo lead refused"),
            }
        }
        if tick % 20 == 0 {
            decide(&s, &scope, reason).await?;
            println!("{clicks_sent} clicks, {leads_sent} leads, {capped} refused by caps");
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    decide(&s, &scope, REASONS[0]).await?;
    println!("Done: {clicks_sent} clicks, {leads_sent} leads, {capped} refused by caps.");
    Ok(())
}

/// The owner approves most received leads, rejects some with a reason, converts some approved ones.
async fn decide(s: &Services, scope: &authz::OwnerScope, reason: &str) -> anyhow::Result<()> {
    let org = authz::Audience::Organization(scope.organization_id());
    let received = leads::list(s, &org, LeadFilter { status: Some(Status::Received), ..Default::default() }, 100, None)
        .await?
        .items;
    let (reject, approve): (Vec<_>, Vec<_>) = received.iter().map(|l| l.id).partition(|id| id.as_u128() % 5 == 0);
    if !approve.is_empty() {
        leads::set_status(s, scope, &approve, Status::Approved, None, None).await?;
    }
    if !reject.is_empty() {
        leads::set_status(s, scope, &reject, Status::Rejected, Some(reason), None).await?;
    }
    let approved = leads::list(s, &org, LeadFilter { status: Some(Status::Approved), ..Default::default() }, 100, None)
        .await?
        .items;
    let convert: Vec<_> = approved.iter().map(|l| l.id).filter(|id| id.as_u128() % 3 == 0).collect();
    if !convert.is_empty() {
        leads::set_status(s, scope, &convert, Status::Converted, None, None).await?;
    }
    Ok(())
}
