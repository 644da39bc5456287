//! The ceiling of this stack on this machine (issue 15): the least an HTTP server built on it must do for one lead or
//! one click. An actix-web server that answers `POST /v1/leads` with the lead floor's one statement
//! (`bench/ingest-batch.sql`, the partner picked from the request's API key) and `GET /c/bench<i>` with the click
//! floor's one (`bench/click.sql`, the partner and the sub-ids picked from the request), each a prepared statement on
//! a sqlx pool, and nothing else: no JSON, no authentication, no validation, no logging, no metrics (`--reads`: a
//! lead's statement after the server's read of the key and the sender's target, `leads::KEYED_TARGET_SQL`, as the
//! server sends it). Driven by wrk with the same scripts as the server, beside pgbench running
//! the same files: what it reaches is the most any server on this stack can reach on these cores, where the load
//! generator, the server and PostgreSQL share them.
//! The statements are the floor files themselves, their pgbench variables made placeholders, so the ceiling and the
//! floor cannot drift apart.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use anyhow::{Context as _, bail};
use sea_orm::sqlx::postgres::PgPoolOptions;
use sea_orm::sqlx::{self, AssertSqlSafe, PgPool, Row as _, SqlSafeStr as _, SqlStr};

/// A pgbench statement made a sqlx one: `:name` -> `$n` (`::type` casts left alone), and the names in order.
fn placeholders(sql: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(sql.len());
    let mut names: Vec<String> = Vec::new();
    let mut chars = sql.chars().peekable();
    let mut previous = ' ';
    while let Some(c) = chars.next() {
        let starts_name = chars.peek().is_some_and(|d| d.is_ascii_lowercase());
        if c == ':' && previous != ':' && starts_name {
            let mut name = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_alphanumeric() || **d == '_') {
                name.push(*d);
                chars.next();
            }
            let n = match names.iter().position(|x| *x == name) {
                Some(i) => i + 1,
                None => {
                    names.push(name);
                    names.len()
                }
            };
            out.push_str(&format!("${n}"));
            previous = '0';
            continue;
        }
        out.push(c);
        previous = c;
    }
    (out, names)
}

/// `--` comments and pgbench's backslash commands dropped: the SQL between them.
fn sql_lines<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    lines
        .filter(|l| !l.trim_start().starts_with("--") && !l.trim_start().starts_with('\\'))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .trim_end_matches(';')
        .to_owned()
}

struct Click {
    write: SqlStr,
    names: Vec<String>,
}

impl Click {
    /// click.sql: the one statement of the branch `capped` chooses (`\if :capped` .. `\else` .. `\endif`), which
    /// takes the partner (`:p`) and the sub-ids (`:s1`, `:s2`) only.
    fn parse(file: &str, capped: bool) -> anyhow::Result<Self> {
        let (_, rest) = file.split_once("\\if :capped").context("click.sql has no \\if :capped")?;
        let (with_cap, without) = rest.split_once("\\else").context("click.sql has no \\else")?;
        let branch = if capped { with_cap } else { without.split("\\endif").next().unwrap_or_default() };
        let (write, names) = placeholders(&sql_lines(branch.lines()));
        if let Some(other) = names.iter().find(|n| !["p", "s1", "s2"].contains(&n.as_str())) {
            bail!("click.sql takes :{other}, expected only :p, :s1 and :s2");
        }
        Ok(Self { write: AssertSqlSafe(write).into_sql_str(), names })
    }
}

struct State {
    pool: PgPool,
    lead: SqlStr,
    click: Click,
    /// With `--reads`: the campaign, for the server's read before a lead's statement ([`server_read`]).
    reads: Option<uuid::Uuid>,
}

/// The server's read before a lead's statement, as it sends it: the key by its hash and the sender's target in the
/// campaign, one statement (`leads::KEYED_TARGET_SQL`).
async fn server_read(state: &State, campaign: uuid::Uuid, key: &str) -> anyhow::Result<()> {
    use partnerdesk_services::{leads, tokens};
    let rows = sqlx::query(leads::KEYED_TARGET_SQL).bind(tokens::hash(key)).bind(campaign).bind("FORM");
    let rows = rows.fetch_all(&state.pool).await?;
    if rows.first().and_then(|r| r.try_get::<Option<uuid::Uuid>, _>("assignment_id").ok().flatten()).is_none() {
        bail!("no key, or no target for the key's account");
    }
    Ok(())
}

/// The request's key, and the seeded partner it names: `Bearer pdk_bench_00042_...` -> 42 (`key(i)`).
fn key_of(req: &HttpRequest) -> Option<(&str, i32)> {
    let key = req.headers().get("authorization")?.to_str().ok()?.strip_prefix("Bearer ")?;
    Some((key, key.strip_prefix("pdk_bench_")?.get(..5)?.parse().ok()?))
}

async fn on_lead(req: HttpRequest, _body: web::Bytes, state: web::Data<Arc<State>>) -> HttpResponse {
    let Some((key, p)) = key_of(&req) else { return HttpResponse::Unauthorized().finish() };
    if let Some(campaign) = state.reads {
        if let Err(e) = server_read(&state, campaign, key).await {
            return HttpResponse::InternalServerError().body(e.to_string());
        }
    }
    match sqlx::query(state.lead.clone()).bind(p).execute(&state.pool).await {
        Ok(_) => HttpResponse::Created().content_type("application/json").body("{}"),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

async fn on_click(
    code: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
    state: web::Data<Arc<State>>,
) -> HttpResponse {
    let sub = |key: &str, prefix: &str| query.get(key).and_then(|v| v.strip_prefix(prefix)?.parse::<i32>().ok());
    let (Some(p), Some(s1), Some(s2)) =
        (code.strip_prefix("bench").and_then(|p| p.parse::<i32>().ok()), sub("sub1", "src"), sub("sub2", "ad"))
    else {
        return HttpResponse::BadRequest().finish();
    };
    match click_writes(&state, p, s1, s2).await {
        Ok(()) => HttpResponse::Found().insert_header(("location", "https://example.com")).finish(),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

async fn click_writes(state: &State, p: i32, s1: i32, s2: i32) -> anyhow::Result<()> {
    let mut write = sqlx::query(state.click.write.clone());
    for name in &state.click.names {
        write = write.bind(match name.as_str() {
            "s1" => s1,
            "s2" => s2,
            _ => p,
        });
    }
    write.execute(&state.pool).await?;
    Ok(())
}

pub async fn serve(
    database_url: &str,
    port: u16,
    bench_dir: &str,
    capped: bool,
    pool: u32,
    reads: Option<uuid::Uuid>,
) -> anyhow::Result<()> {
    let read = |f: &str| std::fs::read_to_string(format!("{bench_dir}/{f}")).with_context(|| format!("read {f}"));
    let (lead, names) = placeholders(&sql_lines(read("ingest-batch.sql")?.lines()));
    if names != ["p"] {
        bail!("ingest-batch.sql takes {names:?}, expected only :p");
    }
    let click = Click::parse(&read("click.sql")?, capped)?;
    let pool = PgPoolOptions::new().max_connections(pool).connect(database_url).await.context("connect")?;
    let state = Arc::new(State { pool, lead: AssertSqlSafe(lead).into_sql_str(), click, reads });
    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .route("/v1/leads", web::post().to(on_lead))
            .route("/c/{code}", web::get().to(on_click))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgbench_variables_become_placeholders_and_casts_stay() {
        let (sql, names) = placeholders("SELECT 'b' || :p, lpad(:p::text, 5), :a_id, x::uuid WHERE y = :lim");
        assert_eq!(sql, "SELECT 'b' || $1, lpad($1::text, 5), $2, x::uuid WHERE y = $3");
        assert_eq!(names, ["p", "a_id", "lim"]);
    }

    #[test]
    fn the_click_file_gives_either_branch_as_one_statement() -> anyhow::Result<()> {
        let file = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/click.sql"))?;
        let (capped, bare) = (Click::parse(&file, true)?, Click::parse(&file, false)?);
        let (write, bare_write) = (capped.write.as_str(), bare.write.as_str());
        assert!(write.starts_with("WITH a AS (") && write.contains("cap_counters") && write.contains("'bench' || $1"));
        assert!(bare_write.starts_with("WITH a AS (") && !bare_write.contains("cap_counters"));
        for sql in [write, bare_write] {
            assert!(!sql.contains('\\') && !sql.contains(":p") && !sql.contains(":s"));
        }
        assert_eq!(capped.names, ["p", "s1", "s2"]);
        Ok(())
    }
}
