//! The browser app: hashed assets cached for a year, `index.html` for every other page path (the app routes),
//! and a page that says how to build the app when it is missing.

use actix_files::NamedFile;
use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::http::{error_response, not_found};
use crate::startup::AppState;

/// Paths that belong to the API: never answered with the app.
const API_PREFIXES: &[&str] = &["/graphql", "/health", "/ready", "/v1/", "/c/"];

pub async fn serve(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let path = req.path();
    if !matches!(*req.method(), Method::GET | Method::HEAD) || API_PREFIXES.iter().any(|p| path.starts_with(p)) {
        return not_found(req).await;
    }
    let dir = &state.frontend_dir;
    let index = dir.join("index.html");
    if !index.is_file() {
        return HttpResponse::Ok().content_type("text/html; charset=utf-8").body(NOT_BUILT);
    }
    let name = path.trim_start_matches('/');
    if is_asset_name(name) {
        let file = dir.join(name);
        return match NamedFile::open_async(&file).await {
            Ok(f) => {
                let mut res = f.use_etag(true).into_response(&req);
                let cache = if is_hashed(name) {
                    CacheControl(vec![
                        CacheDirective::Public,
                        CacheDirective::MaxAge(31_536_000),
                        CacheDirective::Extension("immutable".into(), None),
                    ])
                } else {
                    CacheControl(vec![CacheDirective::NoCache])
                };
                res.headers_mut().insert(
                    header::CACHE_CONTROL,
                    cache.to_string().parse().unwrap_or(header::HeaderValue::from_static("no-cache")),
                );
                res
            }
            Err(_) => error_response(StatusCode::NOT_FOUND, "NOT_FOUND", &format!("No such file: /{name}")),
        };
    }
    match NamedFile::open_async(&index).await {
        Ok(f) => {
            let mut res = f.use_etag(true).into_response(&req);
            res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-cache"));
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot read index.html");
            error_response(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "The app cannot be loaded.")
        }
    }
}

/// GraphiQL's page (`GET /graphql`), written by the build beside `index.html`; it loads GraphiQL and React as hashed
/// assets of this server. `no-cache` like `index.html`: a new build names new assets.
pub async fn graphiql(req: &HttpRequest, dir: &std::path::Path) -> HttpResponse {
    match NamedFile::open_async(dir.join("graphiql.html")).await {
        Ok(f) => {
            let mut res = f.use_etag(true).into_response(req);
            res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-cache"));
            res
        }
        Err(_) => HttpResponse::Ok().content_type("text/html; charset=utf-8").body(GRAPHIQL_NOT_BUILT),
    }
}

/// A single file name with an extension (`app-0123456789abcdef.wasm`): an asset, not an app route.
fn is_asset_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains('/')
        && !name.starts_with('.')
        && name
            .rsplit_once('.')
            .is_some_and(|(stem, ext)| !stem.is_empty() && ext.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Built assets carry a 16-hex-digit content hash: `name-<hash>.<ext>`; they never change, so cache them forever.
fn is_hashed(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default();
    stem.rsplit_once('-').is_some_and(|(_, h)| h.len() == 16 && h.chars().all(|c| c.is_ascii_hexdigit()))
}

const NOT_BUILT: &str = r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Partnerdesk</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2937}
code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}</style></head><body>
<h1>Partnerdesk is running</h1><p>The API answers at <code>/graphql</code>, but the browser app has not been built.</p>
<p>Build it with <code>./scripts/build-frontend</code> (or start everything with <code>./scripts/run</code>), or point
<code>FRONTEND_DIR</code> at a folder that holds a built <code>index.html</code>.</p></body></html>"#;

const GRAPHIQL_NOT_BUILT: &str = r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Partnerdesk GraphQL</title></head><body style="font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto">
<h1>GraphiQL is not built</h1><p>The API answers <code>POST /graphql</code>. GraphiQL is served from the built browser
app: run <code>./scripts/build-frontend</code>, or point <code>FRONTEND_DIR</code> at a built folder.</p></body></html>"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_asset_name("app-0123456789abcdef.wasm"));
        assert!(is_asset_name("favicon.ico"));
        assert!(!is_asset_name("campaigns"));
        assert!(!is_asset_name("campaigns/123"));
        assert!(!is_asset_name("../secret.txt"));
        assert!(!is_asset_name(".env"));
        assert!(is_hashed("app-0123456789abcdef.wasm"));
        assert!(!is_hashed("favicon.ico"));
    }
}
