//! `GET /v1/reports.csv`: the rows of the GraphQL `report` query as CSV, streamed a page at a time. RFC 4180
//! quoting, and cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) are prefixed with `'`.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use partnerdesk_domain::Money;
use partnerdesk_services::stats::{self, Audience, Dimension, OrderField, Parts};
use partnerdesk_services::{Error, Services, authz, campaigns, partners};
use uuid::Uuid;

use crate::rest::error;
use crate::startup::AppState;

/// Rows fetched per page while streaming.
const PAGE: u64 = stats::MAX_REPORT_PAGE;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/reports.csv", web::get().to(csv));
}

fn list(q: &HashMap<String, String>, key: &str) -> Vec<String> {
    q.get(key)
        .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn ids(q: &HashMap<String, String>, key: &str, what: &'static str) -> Result<Vec<Uuid>, Error> {
    list(q, key).iter().map(|s| Uuid::parse_str(s).map_err(|_| Error::NotFound(what))).collect()
}

fn date(q: &HashMap<String, String>, key: &str) -> Result<Option<NaiveDate>, Error> {
    q.get(key)
        .map(|d| {
            NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                .map_err(|_| Error::validation(key, format!("{key} is a date such as 2026-11-25.")))
        })
        .transpose()
}

/// The query string as a report request: the GraphQL `report` arguments, comma-separated.
fn parse(q: &HashMap<String, String>) -> Result<stats::Query, Error> {
    let known = [
        "as",
        "groupBy",
        "organizationIds",
        "campaignIds",
        "partnerIds",
        "types",
        "from",
        "to",
        "timeZone",
        "orderBy",
        "direction",
    ];
    if let Some(k) = q.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(Error::validation(k, format!("Unknown parameter {k:?}. Known: {}.", known.join(", "))));
    }
    let group_by = list(q, "groupBy")
        .iter()
        .map(|d| {
            Ok(match d.as_str() {
                "DAY" => Dimension::Day,
                "WEEK" => Dimension::Week,
                "MONTH" => Dimension::Month,
                "CAMPAIGN" => Dimension::Campaign,
                "PARTNER" => Dimension::Partner,
                "TYPE" => Dimension::Type,
                s if s.starts_with("SUB_ID") => match s[6..].parse::<usize>() {
                    Ok(n @ 1..=5) => Dimension::SubId(n - 1),
                    _ => return Err(Error::validation("groupBy", "Sub-ids are SUB_ID1 to SUB_ID5.")),
                },
                other => {
                    return Err(Error::validation(
                        "groupBy",
                        format!("{other:?} is not a grouping: DAY, WEEK, MONTH, CAMPAIGN, PARTNER, TYPE, SUB_ID1..5."),
                    ));
                }
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let types = list(q, "types")
        .iter()
        .map(|t| match t.as_str() {
            "CLICK" => Ok("CLICK"),
            "FORM" => Ok("FORM"),
            "CALL" => Ok("CALL"),
            _ => Err(Error::validation("types", "Types are CLICK, FORM and CALL.")),
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let field = match q.get("orderBy").map(String::as_str).unwrap_or("GROUP") {
        "GROUP" => OrderField::Group,
        "CLICKS" => OrderField::Clicks,
        "SUBMITTED" => OrderField::Submitted,
        "APPROVED" => OrderField::Approved,
        "REJECTED" => OrderField::Rejected,
        "CONVERTED" => OrderField::Converted,
        "EARNINGS" => OrderField::Earnings,
        "APPROVAL_RATE" => OrderField::ApprovalRate,
        "CONVERSION_RATE" => OrderField::ConversionRate,
        "EPC" => OrderField::Epc,
        _ => {
            return Err(Error::validation(
                "orderBy",
                "orderBy is GROUP, CLICKS, SUBMITTED, APPROVED, REJECTED, CONVERTED, EARNINGS, APPROVAL_RATE, CONVERSION_RATE or EPC.",
            ));
        }
    };
    let desc = match q.get("direction").map(String::as_str).unwrap_or("ASC") {
        "ASC" => false,
        "DESC" => true,
        _ => return Err(Error::validation("direction", "direction is ASC or DESC.")),
    };
    Ok(stats::Query {
        filter: stats::Filter {
            organization_ids: ids(q, "organizationIds", "Organization")?,
            campaign_ids: ids(q, "campaignIds", "Campaign")?,
            partner_ids: ids(q, "partnerIds", "Marketing partner")?,
            types,
            from: date(q, "from")?,
            to: date(q, "to")?,
            time_zone: q.get("timeZone").map(|z| stats::parse_zone(z, "timeZone")).transpose()?,
        },
        group_by,
        order: (field, desc),
        first: PAGE,
        offset: 0,
        parts: Parts { rows: true, total_count: false, totals: false },
    })
}

/// One CSV cell: quoted when it holds a comma, quote or line break; defused when a spreadsheet would run it.
pub fn cell(value: &str) -> String {
    let defused =
        if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_owned() };
    if defused.contains([',', '"', '\n', '\r']) { format!("\"{}\"", defused.replace('"', "\"\"")) } else { defused }
}

fn header_row(group_by: &[Dimension]) -> Vec<&'static str> {
    let mut h = Vec::new();
    for d in group_by {
        match d {
            Dimension::Day => h.push("day"),
            Dimension::Week => h.push("week"),
            Dimension::Month => h.push("month"),
            Dimension::Campaign => h.extend(["campaign_id", "campaign"]),
            Dimension::Partner => h.extend(["partner_id", "partner_email"]),
            Dimension::Type => h.push("type"),
            Dimension::SubId(0) => h.push("sub_id1"),
            Dimension::SubId(1) => h.push("sub_id2"),
            Dimension::SubId(2) => h.push("sub_id3"),
            Dimension::SubId(3) => h.push("sub_id4"),
            Dimension::SubId(_) => h.push("sub_id5"),
        }
    }
    h.extend([
        "currency",
        "clicks",
        "clicks_not_counted",
        "forms",
        "calls",
        "submitted",
        "approved",
        "rejected",
        "converted",
        "returned",
        "approval_rate",
        "conversion_rate",
        "return_rate",
        "earnings",
        "epc",
    ]);
    h
}

fn line(cells: impl IntoIterator<Item = String>) -> String {
    let mut l = cells.into_iter().map(|c| cell(&c)).collect::<Vec<_>>().join(",");
    l.push_str("\r\n");
    l
}

/// A page of rows as CSV lines, with campaign names and partner emails read in two queries.
async fn page_lines(s: &Services, group_by: &[Dimension], rows: Vec<stats::Row>) -> Result<String, Error> {
    let campaign_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.campaign_id).collect();
    let partner_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.partner_id).collect();
    let names: HashMap<Uuid, String> = if campaign_ids.is_empty() {
        HashMap::new()
    } else {
        campaigns::by_ids(s, &campaign_ids).await?.into_iter().map(|c| (c.id, c.name)).collect()
    };
    let emails: HashMap<Uuid, String> = if partner_ids.is_empty() {
        HashMap::new()
    } else {
        partners::by_ids(s, &partner_ids).await?.into_iter().map(|p| (p.id, p.email)).collect()
    };
    let rate = |r: Option<f64>| r.map(|v| format!("{:.6}", v)).unwrap_or_default();
    let mut out = String::new();
    for r in rows {
        let mut cells: Vec<String> = Vec::new();
        for d in group_by {
            match d {
                Dimension::Day | Dimension::Week | Dimension::Month => {
                    cells.push(r.day.map(|d| d.to_string()).unwrap_or_default())
                }
                Dimension::Campaign => {
                    let id = r.campaign_id.unwrap_or_default();
                    cells.push(id.to_string());
                    cells.push(names.get(&id).cloned().unwrap_or_default());
                }
                Dimension::Partner => {
                    let id = r.partner_id.unwrap_or_default();
                    cells.push(id.to_string());
                    cells.push(emails.get(&id).cloned().unwrap_or_default());
                }
                Dimension::Type => cells.push(r.kind.clone().unwrap_or_default()),
                Dimension::SubId(i) => cells.push(r.subs[*i].clone().unwrap_or_default()),
            }
        }
        let t = r.totals;
        cells.push(r.currency);
        cells.extend(
            [
                t.clicks,
                t.clicks_not_counted,
                t.forms,
                t.calls,
                t.submitted(),
                t.approved,
                t.rejected,
                t.converted,
                t.returned,
            ]
            .map(|n| n.to_string()),
        );
        cells.push(rate(t.approval_rate()));
        cells.push(rate(t.conversion_rate()));
        cells.push(rate(t.return_rate()));
        cells.push(Money::from_units(t.earnings).amount().to_string());
        cells.push(t.epc().map(|e| e.to_string()).unwrap_or_default());
        out.push_str(&line(cells));
    }
    Ok(out)
}

async fn csv(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let s = state.services.clone();
    let actor = crate::http::actor(&req, &s).await;
    let params = match web::Query::<HashMap<String, String>>::from_query(req.query_string()) {
        Ok(q) => q.into_inner(),
        Err(_) => return error(Error::validation("query", "The query string could not be read.")),
    };
    let role = match params.get("as").map(String::as_str) {
        None => None,
        Some("OWNER") => Some(authz::Role::Owner),
        Some("PARTNER") => Some(authz::Role::Partner),
        Some(_) => return error(Error::validation("as", "as is OWNER or PARTNER.")),
    };
    let audience: Audience = match authz::reader(&actor, role) {
        Ok(a) => a,
        Err(e) => return error(e),
    };
    let query = match parse(&params) {
        Ok(q) => q,
        Err(e) => return error(e),
    };
    // The first page is read before answering, so that a bad request is a JSON error and not a broken download.
    let first = match stats::report(&s, &audience, &query).await {
        Ok(r) => r,
        Err(e) => return error(e),
    };
    let head = line(header_row(&query.group_by).into_iter().map(str::to_owned));
    let state = (Some((head, first)), query, s, audience);
    let body = futures_util::stream::unfold(state, move |(pending, mut query, s, audience)| async move {
        let (mut text, report) = match pending {
            Some(p) => p,
            None => return None,
        };
        let more = report.has_next_page;
        match page_lines(&s, &query.group_by, report.rows).await {
            Ok(lines) => text.push_str(&lines),
            Err(e) => {
                return Some((
                    Err(actix_web::error::ErrorInternalServerError(e.to_string())),
                    (None, query, s, audience),
                ));
            }
        }
        let next = if more {
            query.offset += PAGE;
            match stats::report(&s, &audience, &query).await {
                Ok(r) => Some((String::new(), r)),
                Err(e) => {
                    tracing::error!(error = %e, "CSV report page");
                    return Some((
                        Err(actix_web::error::ErrorInternalServerError(e.to_string())),
                        (None, query, s, audience),
                    ));
                }
            }
        } else {
            None
        };
        Some((Ok::<_, actix_web::Error>(web::Bytes::from(text)), (next, query, s, audience)))
    });
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"partnerdesk-report.csv\""))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body)
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_are_quoted_and_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("12.50"), "12.50");
    }
}
