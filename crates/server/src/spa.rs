//! The browser app: hashed assets cached for a year, `index.html` for every other page path (the app routes),
//! and a page that says how to build the app when it is missing. Files the build precompressed (`<name>.br`,
//! `<name>.gz` beside `<name>`) are sent as they are to a client that accepts them (brotli before gzip), with
//! `Content-Encoding` (which the `Compress` middleware leaves alone) and `Vary: Accept-Encoding`.

use std::path::{Path, PathBuf};

use actix_files::NamedFile;
use actix_web::http::header::{self, CacheControl, CacheDirective, ContentEncoding};
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
        return match open(&req, dir, name).await {
            Ok(mut res) => {
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
    match open(&req, dir, "index.html").await {
        Ok(mut res) => {
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
pub async fn graphiql(req: &HttpRequest, dir: &Path) -> HttpResponse {
    match open(req, dir, "graphiql.html").await {
        Ok(mut res) => {
            res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-cache"));
            res
        }
        Err(_) => HttpResponse::Ok().content_type("text/html; charset=utf-8").body(GRAPHIQL_NOT_BUILT),
    }
}

/// `dir/name` as a response (ETag, `Last-Modified`, ranges and conditional requests as `NamedFile` does them): its
/// precompressed twin when the build wrote one and the client accepts it, else the file itself.
async fn open(req: &HttpRequest, dir: &Path, name: &str) -> std::io::Result<HttpResponse> {
    let path = dir.join(name);
    let accepted = accepted_encodings(req);
    let mut has_variants = false;
    for (encoding, suffix) in [(ContentEncoding::Brotli, "br"), (ContentEncoding::Gzip, "gz")] {
        let twin = PathBuf::from(format!("{}.{suffix}", path.display()));
        let Ok(file) = open_file(twin).await else { continue };
        has_variants = true;
        if accepted.contains(&encoding) {
            // Named after the original: its Content-Type and Content-Disposition, the twin's bytes and metadata.
            let f = NamedFile::from_file(file, &path)?.set_content_encoding(encoding);
            return Ok(with_vary(f.use_etag(true).into_response(req)));
        }
    }
    let res = NamedFile::open_async(&path).await?.use_etag(true).into_response(req);
    Ok(if has_variants { with_vary(res) } else { res })
}

async fn open_file(path: PathBuf) -> std::io::Result<std::fs::File> {
    web::block(move || std::fs::File::open(path)).await.map_err(std::io::Error::other)?
}

fn with_vary(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut().insert(header::VARY, header::HeaderValue::from_static("accept-encoding"));
    res
}

/// The precompressed encodings the request's `Accept-Encoding` allows (`q=0` refuses; `*` allows both).
fn accepted_encodings(req: &HttpRequest) -> Vec<ContentEncoding> {
    let (mut out, mut refused) = (Vec::new(), Vec::new());
    for value in req.headers().get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let zero = parts
                .any(|p| p.trim().strip_prefix("q=").is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)));
            let list = if zero { &mut refused } else { &mut out };
            match coding.as_str() {
                "br" => list.push(ContentEncoding::Brotli),
                "gzip" | "x-gzip" => list.push(ContentEncoding::Gzip),
                "*" if !zero => list.extend([ContentEncoding::Brotli, ContentEncoding::Gzip]),
                _ => {}
            }
        }
    }
    out.retain(|e| !refused.contains(e));
    out
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

    #[test]
    fn encodings() {
        let accepts = |v: &str| {
            let req =
                actix_web::test::TestRequest::default().insert_header((header::ACCEPT_ENCODING, v)).to_http_request();
            accepted_encodings(&req)
        };
        let (br, gz) = (ContentEncoding::Brotli, ContentEncoding::Gzip);
        assert_eq!(accepts("gzip, deflate, br, zstd"), vec![gz, br]);
        assert_eq!(accepts("gzip"), vec![gz]);
        assert_eq!(accepts("br;q=0, gzip;q=0.5"), vec![gz]);
        assert_eq!(accepts("*, br;q=0"), vec![gz]);
        assert_eq!(accepts("identity"), vec![]);
        assert!(accepted_encodings(&actix_web::test::TestRequest::default().to_http_request()).is_empty());
    }
}
