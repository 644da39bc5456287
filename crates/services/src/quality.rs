//! Lead quality: a campaign's declared fields (checked and normalised before anything of a lead is written), duplicate
//! rules (claimed in the lead's own statement, so two simultaneous leads of one person cannot both pass), and the
//! posting instructions generated from the declaration.

use chrono::{DateTime, Duration, Utc};
use partnerdesk_domain::fields::{self, FieldError, FieldSpec, UnknownFields};
use partnerdesk_storage::entities::{campaign, organization};
use sea_orm::{ActiveModelTrait, DbBackend, EntityTrait, FromQueryResult, IntoActiveModel, Set, Statement};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::authz::OwnerScope;
use crate::campaigns::{self, Campaign};
use crate::{Error, Result, Services};

/// Who counts as the same person, and for how long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DuplicateRule {
    /// Field keys, each enough on its own (`phone` or `email`); `callerNumber` is a call's number.
    pub fields: Vec<String>,
    /// None: forever.
    pub window_hours: Option<i64>,
    pub scope: DuplicateScope,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DuplicateScope {
    /// Leads of the same campaign.
    Campaign,
    /// Leads of every campaign of the organization.
    Organization,
}

/// The longest window a rule has (ten years); longer is "forever".
pub const MAX_WINDOW_HOURS: i64 = 87_600;
/// The key of a call's caller number in duplicate rules.
pub const CALLER_NUMBER: &str = "callerNumber";

/// A campaign's declared fields; empty: free-form.
pub fn specs(c: &campaign::Model) -> Vec<FieldSpec> {
    parse_specs(c.lead_fields.as_deref())
}

pub(crate) fn parse_specs(json: Option<&str>) -> Vec<FieldSpec> {
    json.and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default()
}

pub fn unknown_fields(stored: &str) -> UnknownFields {
    if stored == "REFUSE" { UnknownFields::Refuse } else { UnknownFields::Keep }
}

pub fn parse_rule(json: Option<&str>) -> Option<DuplicateRule> {
    json.and_then(|j| serde_json::from_str(j).ok())
}

/// Declares a campaign's lead fields (an empty list: free-form again), what happens to undeclared ones and the
/// country of national phone numbers.
pub async fn set_fields(
    s: &Services,
    scope: &OwnerScope,
    campaign_id: Uuid,
    specs: Vec<FieldSpec>,
    unknown: UnknownFields,
    phone_country: &str,
) -> Result<Campaign> {
    let c = campaigns::get(s, scope, campaign_id).await?;
    if specs.len() > fields::MAX_FIELDS {
        return Err(Error::validation("fields", format!("A campaign declares at most {} fields.", fields::MAX_FIELDS)));
    }
    let mut keys = std::collections::HashSet::new();
    for (i, spec) in specs.iter().enumerate() {
        spec.check().map_err(|e| Error::validation(&format!("fields.{i}"), e.0))?;
        if !keys.insert(spec.key.as_str()) {
            return Err(Error::validation(&format!("fields.{i}"), format!("The key {} is declared twice.", spec.key)));
        }
    }
    let country = phone_country.trim().to_ascii_uppercase();
    if !fields::is_phone_country(&country) {
        return Err(Error::validation(
            "phoneCountry",
            format!(
                "National phone numbers of \"{phone_country}\" are not understood: use an ISO code such as US or GB."
            ),
        ));
    }
    let rule = parse_rule(c.duplicate_rule.as_deref());
    if let Some(missing) = rule.iter().flat_map(|r| &r.fields).find(|f| !declared(&specs, f)) {
        return Err(Error::validation(
            "fields",
            format!("The duplicate rule matches on {missing}: keep it declared, or change the rule first."),
        ));
    }
    let mut m = c.into_active_model();
    m.lead_fields = Set((!specs.is_empty()).then(|| serde_json::to_string(&specs).unwrap_or_default()));
    m.unknown_fields = Set(match unknown {
        UnknownFields::Keep => "KEEP",
        UnknownFields::Refuse => "REFUSE",
    }
    .to_owned());
    m.phone_country = Set(country);
    m.updated_at = Set(s.clock.now());
    Ok(m.update(&s.db).await?)
}

/// Whether a rule may match on `key` given the declaration (free-form campaigns take any key).
fn declared(specs: &[FieldSpec], key: &str) -> bool {
    specs.is_empty() || key == CALLER_NUMBER || specs.iter().any(|s| s.key == key)
}

fn check_rule(rule: &DuplicateRule, specs: &[FieldSpec]) -> Result<()> {
    if rule.fields.is_empty() || rule.fields.len() > 3 {
        return Err(Error::validation("fields", "A duplicate rule matches on 1 to 3 fields."));
    }
    for f in &rule.fields {
        let shaped = !f.is_empty() && f.len() <= 64 && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !shaped {
            return Err(Error::validation("fields", format!("\"{f}\" is not a field key.")));
        }
        if !declared(specs, f) {
            return Err(Error::validation("fields", format!("The campaign declares no field {f}.")));
        }
    }
    if rule.window_hours.is_some_and(|h| !(1..=MAX_WINDOW_HOURS).contains(&h)) {
        return Err(Error::validation(
            "windowHours",
            format!("A window is 1 to {MAX_WINDOW_HOURS} hours; leave it empty for forever."),
        ));
    }
    Ok(())
}

/// Sets (or, with `None`, removes) the duplicate rule of one campaign, or of the organization for all its campaigns.
/// A changed window applies to leads that arrive from now on.
pub async fn set_rule(
    s: &Services,
    scope: &OwnerScope,
    campaign_id: Option<Uuid>,
    rule: Option<DuplicateRule>,
) -> Result<Option<DuplicateRule>> {
    let stored = rule.as_ref().map(|r| serde_json::to_string(r).unwrap_or_default());
    match campaign_id {
        Some(id) => {
            let c = campaigns::get(s, scope, id).await?;
            if let Some(r) = &rule {
                check_rule(r, &specs(&c))?;
            }
            let mut m = c.into_active_model();
            m.duplicate_rule = Set(stored);
            m.updated_at = Set(s.clock.now());
            m.update(&s.db).await?;
        }
        None => {
            if let Some(r) = &rule {
                check_rule(r, &[])?;
            }
            let o = organization::Entity::find_by_id(scope.organization_id())
                .one(&s.db)
                .await?
                .ok_or(Error::NotFound("Organization"))?;
            let mut m = o.into_active_model();
            m.duplicate_rule = Set(stored);
            m.update(&s.db).await?;
        }
    }
    Ok(rule)
}

pub async fn organization_rule(s: &Services, scope: &OwnerScope) -> Result<Option<DuplicateRule>> {
    let o = organization::Entity::find_by_id(scope.organization_id()).one(&s.db).await?;
    Ok(o.and_then(|o| parse_rule(o.duplicate_rule.as_deref())))
}

/// One duplicate claim of a lead: the rule it follows (the campaign's or the organization's id), the scope its
/// matches are sought in, the field and the keyed hash of the value.
#[derive(Debug, Clone)]
pub(crate) struct Claim {
    rule_id: Uuid,
    scope_id: Uuid,
    pub field: String,
    hash: String,
    window_hours: Option<i64>,
}

/// What a lead is matched on: per rule (the campaign's, then the organization's), per field it carries.
pub(crate) fn claims(
    s: &Services,
    rules: [(Uuid, Option<DuplicateRule>); 2],
    organization_id: Uuid,
    campaign_id: Uuid,
    fields: &Map<String, Value>,
    caller_number: Option<&str>,
) -> Vec<Claim> {
    let mut out = Vec::new();
    for (rule_id, rule) in rules {
        let Some(rule) = rule else { continue };
        let scope_id = match rule.scope {
            DuplicateScope::Campaign => campaign_id,
            DuplicateScope::Organization => organization_id,
        };
        for field in &rule.fields {
            let value = match (field.as_str(), fields.get(field)) {
                (CALLER_NUMBER, _) => caller_number.map(str::to_owned),
                (_, Some(Value::String(v))) => Some(v.trim().to_lowercase()),
                (_, Some(v @ (Value::Number(_) | Value::Bool(_)))) => Some(v.to_string()),
                _ => None,
            };
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                out.push(Claim {
                    rule_id,
                    scope_id,
                    field: field.clone(),
                    hash: s.tokens.fingerprint(&v),
                    window_hours: rule.window_hours,
                });
            }
        }
    }
    // One order for every lead, so that concurrent leads take their claims in the same order.
    out.sort_by(|a, b| (a.rule_id, a.scope_id, &a.field, &a.hash).cmp(&(b.rule_id, b.scope_id, &b.field, &b.hash)));
    out
}

/// The guarded write of a claim: taken when no lead holds it or its holder's window is over; returns no row (the
/// lead is a duplicate) otherwise.
pub(crate) fn claim_statement(
    backend: DbBackend,
    c: &Claim,
    lead_id: Uuid,
    partner_id: Uuid,
    now: DateTime<Utc>,
) -> Statement {
    let expires_at = c.window_hours.map(|h| now + Duration::hours(h));
    Statement::from_sql_and_values(
        backend,
        "INSERT INTO lead_fingerprints (rule_id, scope_id, field, value_hash, lead_id, partner_id, created_at, \
                                        expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (rule_id, scope_id, field, value_hash) DO UPDATE SET lead_id = excluded.lead_id, \
             partner_id = excluded.partner_id, created_at = excluded.created_at, expires_at = excluded.expires_at \
         WHERE lead_fingerprints.expires_at IS NOT NULL AND lead_fingerprints.expires_at <= $7 RETURNING 1",
        [
            c.rule_id.into(),
            c.scope_id.into(),
            c.field.clone().into(),
            c.hash.clone().into(),
            lead_id.into(),
            partner_id.into(),
            now.into(),
            expires_at.into(),
        ],
    )
}

#[derive(FromQueryResult)]
struct Holder {
    partner_id: Uuid,
    created_at: DateTime<Utc>,
}

/// The answer to a lead refused by `c`: which field matched, when the first lead came and whether from the same
/// partner (never which other one).
pub(crate) async fn duplicate(s: &Services, c: &Claim, partner_id: Uuid) -> Result<Error> {
    let holder = Holder::find_by_statement(Statement::from_sql_and_values(
        s.db.get_database_backend(),
        "SELECT partner_id, created_at FROM lead_fingerprints \
         WHERE rule_id = $1 AND scope_id = $2 AND field = $3 AND value_hash = $4",
        [c.rule_id.into(), c.scope_id.into(), c.field.clone().into(), c.hash.clone().into()],
    ))
    .one(&s.db)
    .await?;
    let (first_at, same_partner) =
        holder.map_or((s.clock.now(), false), |h| (h.created_at, h.partner_id == partner_id));
    Ok(Error::Duplicate { field: c.field.clone(), first_at, same_partner, window_hours: c.window_hours })
}

/// The longest value of an undeclared field (a declared one has its own maximum).
const FREE_FORM_MAX_CHARS: usize = 1000;

/// A lead's fields checked against the campaign's declaration, normalised; every failing field at once. Without
/// a declaration, fields are free-form (values up to 1,000 characters).
pub(crate) fn check_fields(
    lead_fields: Option<&str>,
    unknown: &str,
    phone_country: &str,
    fields: Map<String, Value>,
) -> Result<Map<String, Value>> {
    let specs = parse_specs(lead_fields);
    if specs.is_empty() && unknown != "REFUSE" {
        for (k, v) in &fields {
            if v.as_str().is_some_and(|s| s.chars().count() > FREE_FORM_MAX_CHARS) {
                return Err(Error::validation(
                    &format!("fields.{k}"),
                    format!("A field value has at most {FREE_FORM_MAX_CHARS} characters."),
                ));
            }
        }
        return Ok(fields);
    }
    fields::check_lead(&specs, unknown_fields(unknown), &fields, phone_country).map_err(Error::Fields)
}

/// A call's caller number as E.164, read in the campaign's country.
pub(crate) fn caller_number(raw: &str, phone_country: &str) -> Result<String> {
    fields::phone(raw, phone_country).map_err(|m| {
        Error::Fields(vec![FieldError {
            field: CALLER_NUMBER.into(),
            code: "INVALID",
            message: format!("callerNumber must be {m}."),
        }])
    })
}

/// What a partner needs to post leads to one campaign, generated from its declaration.
pub struct Instructions {
    pub campaign: Campaign,
    /// `POST` here.
    pub endpoint: String,
    pub fields: Vec<FieldSpec>,
    pub unknown_fields: UnknownFields,
    pub phone_country: String,
    /// The campaign's rule, then the organization's.
    pub duplicate_rules: Vec<DuplicateRule>,
    /// A valid lead body.
    pub example: Value,
    /// A copyable `curl` sending `example` as a test lead.
    pub curl: String,
    /// All of it as a Markdown document.
    pub markdown: String,
}

/// The posting instructions of a campaign, for its owner or a partner on it (anyone else: `NOT_FOUND`).
pub async fn instructions(
    s: &Services,
    audiences: &[crate::authz::Audience],
    campaign_id: Uuid,
) -> Result<Instructions> {
    use crate::authz::Audience;
    use partnerdesk_storage::entities::campaign_assignment::{self, Status as AssignmentStatus};
    use sea_orm::{ColumnTrait, QueryFilter};
    let c = campaign::Entity::find_by_id(campaign_id).one(&s.db).await?.ok_or(Error::NotFound("Campaign"))?;
    let mut allowed = false;
    for a in audiences {
        allowed |= match a {
            Audience::Organization(o) => *o == c.organization_id,
            Audience::Partner(ms) => {
                let ids: Vec<Uuid> = ms.iter().map(|m| m.partner_id).collect();
                campaign_assignment::Entity::find()
                    .filter(campaign_assignment::Column::CampaignId.eq(c.id))
                    .filter(campaign_assignment::Column::PartnerId.is_in(ids))
                    .filter(campaign_assignment::Column::Status.ne(AssignmentStatus::Removed))
                    .one(&s.db)
                    .await?
                    .is_some()
            }
        };
    }
    if !allowed {
        return Err(Error::NotFound("Campaign"));
    }
    let organization = organization::Entity::find_by_id(c.organization_id).one(&s.db).await?;
    let rules: Vec<DuplicateRule> =
        [parse_rule(c.duplicate_rule.as_deref()), organization.and_then(|o| parse_rule(o.duplicate_rule.as_deref()))]
            .into_iter()
            .flatten()
            .collect();
    let fields = specs(&c);
    let endpoint = format!("{}/v1/leads", s.public_url);
    let mut example_fields = Map::new();
    if fields.is_empty() {
        example_fields.insert("name".into(), "Ann Lee".into());
        example_fields.insert("email".into(), "ann.lee@example.com".into());
    }
    for f in &fields {
        example_fields.insert(f.key.clone(), f.example());
    }
    let example = serde_json::json!({
        "campaignId": c.id,
        "type": "form",
        "externalId": "your-lead-id-123",
        "fields": example_fields,
        "subIds": { "sub1": "your-sub-id" },
    });
    let body = serde_json::to_string_pretty(&example).unwrap_or_default().replace('\'', "'\\''");
    let curl = format!(
        "curl -X POST '{endpoint}' \\\n  -H \"Authorization: Bearer $PARTNERDESK_API_KEY\" \\\n  \
         -H 'Content-Type: application/json' \\\n  -H 'X-Test-Lead: 1' \\\n  -d '{body}'"
    );
    let unknown = unknown_fields(&c.unknown_fields);
    let markdown = markdown(&c, &endpoint, &fields, unknown, &rules, &curl);
    Ok(Instructions {
        phone_country: c.phone_country.clone(),
        campaign: c,
        endpoint,
        fields,
        unknown_fields: unknown,
        duplicate_rules: rules,
        example,
        curl,
        markdown,
    })
}

fn markdown(
    c: &Campaign,
    endpoint: &str,
    fields: &[FieldSpec],
    unknown: UnknownFields,
    rules: &[DuplicateRule],
    curl: &str,
) -> String {
    use std::fmt::Write as _;
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut md = format!("# Posting leads to {}\n\n", cell(&c.name));
    let _ = writeln!(md, "`POST {endpoint}` with your API key (`Authorization: Bearer <key>`; create one in the");
    let _ = writeln!(md, "partner portal under API keys) and a JSON body. Campaign id: `{}`.\n", c.id);
    md.push_str("## Fields\n\n");
    if fields.is_empty() {
        md.push_str("This campaign takes free-form fields: any names, values of up to 1,000 characters.\n\n");
    } else {
        md.push_str("| field | label | type | required | example |\n|---|---|---|---|---|\n");
        for f in fields {
            let mut kind = f.kind.describe().to_owned();
            if !f.values.is_empty() {
                kind = format!("one of: {}", f.values.join(", "));
            }
            if let Some(max) = f.max_length {
                kind.push_str(&format!(", at most {max} characters"));
            }
            let _ = writeln!(
                md,
                "| `{}` | {} | {} | {} | `{}` |",
                f.key,
                cell(&f.label),
                cell(&kind),
                if f.required { "yes" } else { "no" },
                cell(&f.example().to_string())
            );
        }
        let _ = writeln!(
            md,
            "\nNational phone numbers are read as {}'s. {}\n",
            c.phone_country,
            match unknown {
                UnknownFields::Keep => "Fields not listed here are kept as sent.",
                UnknownFields::Refuse => "Fields not listed here are refused.",
            }
        );
    }
    md.push_str(
        "A call (`\"type\": \"call\"`) also carries `callerNumber` (a phone number) and `durationSeconds`.\n\n",
    );
    if !rules.is_empty() {
        md.push_str("## Duplicates\n\n");
        for r in rules {
            let window = r.window_hours.map_or("ever".to_owned(), |h| format!("in the last {h} hours"));
            let scope = match r.scope {
                DuplicateScope::Campaign => "this campaign",
                DuplicateScope::Organization => "any campaign of this advertiser",
            };
            let _ = writeln!(
                md,
                "- A lead whose {} matches a lead received {window} on {scope} is refused (`DUPLICATE_LEAD`).",
                r.fields.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(" or ")
            );
        }
        md.push('\n');
    }
    md.push_str("## Test mode\n\n");
    md.push_str(
        "Send `\"test\": true` in the body, or the header `X-Test-Lead: 1`: the lead is checked and answered exactly as \
         a real one (including `CAP_REACHED` and `DUPLICATE_LEAD`), and nothing is stored, counted or sent. The answer \
         carries `\"test\": true`.\n\n",
    );
    let _ = writeln!(md, "```sh\n{curl}\n```\n");
    md.push_str("## Answers\n\n| status | code | meaning |\n|---|---|---|\n");
    for (status, code, meaning) in [
        ("201", "", "Received: `{\"id\", \"status\": \"RECEIVED\"}`."),
        ("400", "VALIDATION", "Fields are missing or not valid: `fields` lists each with `field`, `code`, `message`."),
        ("409", "DUPLICATE_LEAD", "The same person already came: `field`, `firstReceivedAt`, `samePartner`."),
        ("429", "CAP_REACHED", "Your cap is full: `metric`, `window`, `limit`, `resetsAt`."),
        ("403", "PARTNER_PAUSED", "The advertiser paused your traffic on this campaign."),
        ("403", "CAMPAIGN_NOT_ACTIVE", "The campaign is paused or archived."),
        ("403", "NOT_ASSIGNED", "Your account is not a partner on this campaign."),
        ("401", "UNAUTHENTICATED", "No API key, or a revoked one."),
        ("409", "IDEMPOTENCY_CONFLICT", "An `Idempotency-Key` was used with another body."),
        ("429", "RATE_LIMITED", "Too many requests: wait `Retry-After` seconds."),
    ] {
        let _ = writeln!(
            md,
            "| {status} | {} | {meaning} |",
            if code.is_empty() { String::new() } else { format!("`{code}`") }
        );
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_form_values_have_at_most_1000_characters() {
        let fields = |n: usize| serde_json::json!({ "bio": "x".repeat(n) }).as_object().cloned().unwrap_or_default();
        assert!(check_fields(None, "KEEP", "US", fields(1000)).is_ok());
        match check_fields(None, "KEEP", "US", fields(1001)) {
            Err(Error::Validation { field, .. }) => assert_eq!(field, "fields.bio"),
            other => panic!("{other:?}"),
        }
        // Refusing unknown fields with none declared refuses every field.
        match check_fields(None, "REFUSE", "US", fields(3)) {
            Err(Error::Fields(errors)) => assert_eq!(errors[0].code, "UNKNOWN_FIELD"),
            other => panic!("{other:?}"),
        }
    }
}

/// A reason an owner may return a lead for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnReason {
    /// `A-Z`, digits and `_`, such as `BAD_CONTACT_DATA`.
    pub code: String,
    pub label: String,
}

/// The code that always exists, and needs a text.
pub const OTHER: &str = "OTHER";

/// Every organization's reasons until it sets its own.
pub fn default_return_reasons() -> Vec<ReturnReason> {
    [
        ("BAD_CONTACT_DATA", "Bad contact data"),
        ("DUPLICATE", "Duplicate"),
        ("FRAUD", "Fraud"),
        ("CONSUMER_REQUEST", "Consumer request"),
        ("OUT_OF_AREA", "Out of area"),
        (OTHER, "Other"),
    ]
    .into_iter()
    .map(|(code, label)| ReturnReason { code: code.into(), label: label.into() })
    .collect()
}

/// The organization's return reasons.
pub async fn return_reasons(s: &Services, organization_id: Uuid) -> Result<Vec<ReturnReason>> {
    let o = organization::Entity::find_by_id(organization_id).one(&s.db).await?;
    Ok(o.and_then(|o| o.return_reasons)
        .and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_else(default_return_reasons))
}

/// Replaces the organization's return reasons (`OTHER` is kept, last, whatever the list says).
pub async fn set_return_reasons(
    s: &Services,
    scope: &OwnerScope,
    reasons: Vec<ReturnReason>,
) -> Result<Vec<ReturnReason>> {
    let mut list: Vec<ReturnReason> = Vec::new();
    for (i, r) in reasons.into_iter().enumerate() {
        let code = r.code.trim().to_ascii_uppercase();
        let shaped = !code.is_empty()
            && code.len() <= 32
            && code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !shaped {
            return Err(Error::validation(&format!("reasons.{i}.code"), "A code has 1 to 32 letters, digits and _."));
        }
        let label = r.label.trim().to_owned();
        if label.is_empty() || label.chars().count() > 100 {
            return Err(Error::validation(&format!("reasons.{i}.label"), "A label has 1 to 100 characters."));
        }
        if list.iter().any(|r| r.code == code) {
            return Err(Error::validation(&format!("reasons.{i}.code"), format!("{code} is listed twice.")));
        }
        if code != OTHER {
            list.push(ReturnReason { code, label });
        }
    }
    if list.len() > 30 {
        return Err(Error::validation("reasons", "An organization has at most 30 return reasons."));
    }
    list.push(ReturnReason { code: OTHER.into(), label: "Other".into() });
    let o = organization::Entity::find_by_id(scope.organization_id())
        .one(&s.db)
        .await?
        .ok_or(Error::NotFound("Organization"))?;
    let mut m = o.into_active_model();
    m.return_reasons = Set(Some(serde_json::to_string(&list).unwrap_or_default()));
    m.update(&s.db).await?;
    Ok(list)
}

/// The reason a return names: one of the organization's codes; `OTHER` needs a text.
pub(crate) async fn return_reason(
    s: &Services,
    organization_id: Uuid,
    code: Option<&str>,
    text: Option<&str>,
) -> Result<ReturnReason> {
    let reasons = return_reasons(s, organization_id).await?;
    let codes = || reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>().join(", ");
    let Some(code) = code else {
        return Err(Error::validation("reasonCode", format!("A return needs a reason code: {}.", codes())));
    };
    let r = reasons
        .iter()
        .find(|r| r.code.eq_ignore_ascii_case(code))
        .ok_or_else(|| Error::validation("reasonCode", format!("{code} is not a return reason here: {}.", codes())))?;
    if r.code == OTHER && text.is_none() {
        return Err(Error::validation("reason", "Say what was wrong with the lead: the partner sees it."));
    }
    Ok(r.clone())
}
