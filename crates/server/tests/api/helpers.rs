use std::collections::HashMap;

use chrono::{DateTime, Utc};
use partnerdesk::{Application, Config};
use partnerdesk_services::Clock;
use partnerdesk_storage::sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn(Db)` scenario as two tests, `<name>::sqlite` and `<name>::postgres`.
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Db::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::Db::Postgres).await
            }
        }
    )*};
}

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub address: String,
    /// `http://127.0.0.1:<port>` of the metrics listener, when `METRICS_ADDR` was set.
    pub metrics_address: Option<String>,
    pub client: reqwest::Client,
    pub clock: Clock,
    pub database_url: String,
    /// A connection of the test's own, to check what was stored.
    pub db: DatabaseConnection,
    data_dir: tempfile::TempDir,
}

/// A signed-in user, as a test holds it.
pub struct Session {
    pub email: String,
    pub access_token: String,
    pub refresh_token: String,
}

pub async fn spawn_app(db: Db) -> TestApp {
    spawn_app_with(db, &[]).await
}

/// With extra settings, e.g. `SMTP_URL`.
pub async fn spawn_app_with(db: Db, extra: &[(&str, &str)]) -> TestApp {
    spawn_app_at_with(db, Utc::now(), extra).await
}

/// With the manual clock starting at `at` (a DST transition, a month end) instead of now.
pub async fn spawn_app_at(db: Db, at: DateTime<Utc>) -> TestApp {
    spawn_app_at_with(db, at, &[]).await
}

async fn spawn_app_at_with(db: Db, at: DateTime<Utc>, extra: &[(&str, &str)]) -> TestApp {
    let database_url = match db {
        Db::Sqlite => None,
        Db::Postgres => Some(fresh_postgres_database().await),
    };
    start(database_url, Clock::manual(at), extra).await
}

/// On a database of the test's choosing (reached through a relay the test can cut, a restored backup).
pub async fn spawn_app_on(database_url: &str) -> TestApp {
    start(Some(database_url.to_owned()), Clock::manual(Utc::now()), &[]).await
}

async fn start(database_url: Option<String>, clock: Clock, extra: &[(&str, &str)]) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let mut env: HashMap<&str, String> = HashMap::from([
        ("LISTEN_ADDR", "127.0.0.1:0".to_owned()),
        ("DATA_DIR", data_dir.path().display().to_string()),
        ("JWT_SECRET", "test-secret-test-secret-test-secret".to_owned()),
        ("WORKERS", "1".to_owned()),
        ("FRONTEND_DIR", data_dir.path().join("web").display().to_string()),
        ("OUTBOX_POLL_MS", "50".to_owned()),
        ("MAIL_RETRY_BASE_MS", "60000".to_owned()),
    ]);
    env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    if let Some(url) = database_url {
        env.insert("DATABASE_URL", url);
    }
    let config = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
    if std::env::var_os("TEST_LOG").is_some() {
        partnerdesk::telemetry::init(config.log_format, "info,sqlx=warn");
    }
    let app = Application::build(&config, clock.clone()).await.unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app.metrics_port().map(|p| format!("http://127.0.0.1:{p}"));
    tokio::spawn(app.run_until_stopped());
    let db = Database::connect(&config.database_url).await.unwrap();
    let client = reqwest::Client::new();
    TestApp { address, metrics_address, client, clock, database_url: config.database_url, db, data_dir }
}

/// A new, empty database on the test PostgreSQL (`TEST_DATABASE_URL`); an unreachable server fails the test.
pub async fn fresh_postgres_database() -> String {
    let admin_url =
        std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let admin = Database::connect(&admin_url).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {admin_url} is required for these tests (set TEST_DATABASE_URL): {e}")
    });
    let name = format!("pd_test_{}", uuid::Uuid::new_v4().simple());
    admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
    admin.close().await.unwrap();
    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&name);
    url.to_string()
}

impl TestApp {
    /// The application as reached at `address` (e.g. through a load balancer in front of server processes that share
    /// `database_url` and `data_dir`), with `client` as the HTTP client.
    pub async fn at(
        address: &str,
        client: reqwest::Client,
        database_url: &str,
        data_dir: tempfile::TempDir,
    ) -> TestApp {
        let db = Database::connect(database_url).await.unwrap();
        let (address, database_url) = (address.to_owned(), database_url.to_owned());
        TestApp { address, metrics_address: None, client, clock: Clock::system(), database_url, db, data_dir }
    }

    /// A second server process on the same database (and the same clock), like another replica.
    pub async fn another_process(&self) -> TestApp {
        self.another_process_with(&[]).await
    }

    /// Shares this process's database, clock and data directory (so emails either process sends land in one outbox).
    pub async fn another_process_with(&self, extra: &[(&str, &str)]) -> TestApp {
        let data_dir = self.data_dir.path().display().to_string();
        let mut extra = extra.to_vec();
        extra.push(("DATA_DIR", &data_dir));
        start(Some(self.database_url.clone()), self.clock.clone(), &extra).await
    }

    /// The `.eml` files the file transport wrote (no `SMTP_URL`), oldest first.
    pub fn eml_files(&self) -> Vec<String> {
        let dir = self.data_dir.path().join("outbox");
        let mut files: Vec<_> =
            std::fs::read_dir(dir).map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect()).unwrap_or_default();
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files.iter().filter_map(|p| std::fs::read_to_string(p).ok()).collect()
    }

    /// Waits for the invitation email to `email` (file transport) and returns its registration token.
    pub async fn invitation_token(&self, email: &str) -> String {
        let found = wait_until("an invitation .eml", || async {
            self.eml_files()
                .into_iter()
                .rev()
                .find(|m| m.contains(&format!("To: {email}")) && m.contains("/register?token="))
        })
        .await;
        crate::smtp::token_of(&crate::smtp::invitation_link(&found))
    }

    /// Waits for `organization`'s invitation email to `email` (file transport); returns its token and its text as a
    /// reader sees it. (Another organization's invitation to the same email is not it.)
    pub async fn invitation_from(&self, email: &str, organization: &str) -> (String, String) {
        let subject = format!("Subject: {organization} invites you to Partnerdesk");
        let found = wait_until(&format!("{organization}'s invitation to {email}"), || async {
            self.eml_files()
                .into_iter()
                .rev()
                .find(|m| m.contains(&format!("To: {email}")) && m.contains(&subject) && m.contains("/register?token="))
        })
        .await;
        (crate::smtp::token_of(&crate::smtp::invitation_link(&found)), crate::smtp::decoded(&found))
    }

    /// `acceptInvitation` with the link's token: as the signed-in account `bearer` (an email that has an account), or
    /// anonymously with a name and password (a new one).
    pub async fn accept_invitation(
        &self,
        bearer: Option<&str>,
        token: &str,
        name: Option<&str>,
        password: Option<&str>,
    ) -> Value {
        self.gql(bearer, ACCEPT, json!({ "i": { "token": token, "name": name, "password": password } })).await
    }

    /// The id of the organization `owner` owns.
    pub async fn organization_id(&self, owner: &Session) -> String {
        let res = self.gql(Some(&owner.access_token), "{ me { organization { id } } }", json!({})).await;
        res["data"]["me"]["organization"]["id"].as_str().unwrap_or_else(|| panic!("no organization: {res}")).to_owned()
    }

    /// The account id of a signed-in user.
    pub async fn user_id(&self, user: &Session) -> String {
        let res = self.gql(Some(&user.access_token), "{ me { id } }", json!({})).await;
        res["data"]["me"]["id"].as_str().unwrap_or_else(|| panic!("{res}")).to_owned()
    }

    /// Where this server looks for the built browser app (empty until a test writes it).
    pub fn frontend_dir(&self) -> std::path::PathBuf {
        self.data_dir.path().join("web")
    }

    /// POSTs a GraphQL operation and returns the whole response body.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    pub async fn sign_up(&self, email: &str, organization: &str) -> Session {
        let res = self
            .gql(
                None,
                "mutation($i: SignUpInput!) { signUp(input: $i) { accessToken refreshToken user { id email } } }",
                json!({ "i": { "email": email, "password": PASSWORD, "organizationName": organization } }),
            )
            .await;
        session(&res, "signUp")
    }

    pub async fn login(&self, email: &str, password: &str) -> Value {
        self.gql(
            None,
            "mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken user { id email } } }",
            json!({ "i": { "email": email, "password": password } }),
        )
        .await
    }

    pub async fn create_campaign(&self, token: &str, name: &str) -> String {
        let res = self
            .gql(
                Some(token),
                "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
                json!({ "i": { "name": name, "timeZone": "America/New_York", "landingUrl": "https://example.com/offer" } }),
            )
            .await;
        res["data"]["createCampaign"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("createCampaign failed: {res}"))
            .to_owned()
    }

    /// Rows in a table, counted by the test's own connection.
    pub async fn count(&self, sql: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_string(self.db.get_database_backend(), sql.to_owned()))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    }
}

pub const ACCEPT: &str = "mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) \
                          { accessToken refreshToken user { id email } } }";

/// Asserts that `res` (an answer, a CSV text) mentions none of `others` (ids, emails, names of another tenant).
pub fn assert_mentions_none<S: AsRef<str>>(res: &impl std::fmt::Display, others: &[S], what: &str) {
    let text = res.to_string();
    for other in others {
        let other = other.as_ref();
        assert!(!text.contains(other), "{what} mentions {other:?}, which belongs to another tenant: {text}");
    }
}

pub fn session(res: &Value, op: &str) -> Session {
    let p = &res["data"][op];
    assert!(p.is_object(), "{op} failed: {res}");
    Session {
        email: p["user"]["email"].as_str().unwrap().to_owned(),
        access_token: p["accessToken"].as_str().unwrap().to_owned(),
        refresh_token: p["refreshToken"].as_str().unwrap().to_owned(),
    }
}

/// `extensions.code` of the first error, if any.
pub fn error_code(res: &Value) -> Option<&str> {
    res["errors"][0]["extensions"]["code"].as_str()
}

pub fn error_field(res: &Value) -> Option<&str> {
    res["errors"][0]["extensions"]["field"].as_str()
}

/// Polls `check` every 20 ms until it returns `Some`, for at most 20 s.
pub async fn wait_until<T, F, Fut>(what: &str, check: F) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
