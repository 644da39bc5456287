//! The `partnerdesk` binary as an operator runs it.

use std::io::{BufRead as _, BufReader};
use std::os::unix::fs::PermissionsExt as _;
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_partnerdesk");

fn run(env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(BIN).args(args).env_clear().env("DATA_DIR", dir.path()).envs(env.iter().copied()).output().unwrap()
}

#[test]
fn a_bad_setting_is_one_clear_line_and_a_failure_exit() {
    for (var, value) in
        [("DATABASE_URL", "nonsense"), ("LISTEN_ADDR", "everywhere"), ("LOG_FORMAT", "xml"), ("JWT_SECRET", "short")]
    {
        let out = run(&[(var, value)], &[]);
        assert!(!out.status.success(), "{var}={value} started");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with(&format!("error: {var}: ")), "{stderr}");
        assert!(!stderr.contains("panicked"));
    }
}

#[test]
fn an_unreachable_database_is_one_clear_line() {
    let out = run(&[("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")], &["migrate"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("cannot connect to postgres://nobody@127.0.0.1:1/none"), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn print_schema_matches_the_committed_schema() {
    let out = run(&[], &["print-schema"]);
    assert!(out.status.success());
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema.graphql")).unwrap();
    assert!(
        String::from_utf8(out.stdout).unwrap() == committed,
        "schema.graphql is out of date: run `cargo run -p partnerdesk -- print-schema > schema.graphql`"
    );
}

#[test]
fn migrate_creates_the_tables() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN).arg("migrate").env_clear().env("DATA_DIR", dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("partnerdesk.db").exists());
}

/// Starts on port 0 with defaults, answers /health, keeps its generated secret, and stops cleanly on SIGTERM.
#[tokio::test]
async fn serve_reports_its_port_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let start = || {
        let mut child = Command::new(BIN)
            .env_clear()
            .env("DATA_DIR", dir.path())
            .env("LISTEN_ADDR", "127.0.0.1:0")
            .env("LOG_FORMAT", "json")
            .env("WORKERS", "1")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = lines
            .by_ref()
            .map(|l| l.unwrap())
            .find_map(|l| l.split_once("listening on ").map(|(_, rest)| rest.split('"').next().unwrap().to_owned()))
            .expect("no `listening on` line");
        // Keep reading the log, so the server never writes into a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        (child, url)
    };

    let (child, url) = start();
    let body: serde_json::Value = reqwest::get(format!("{url}/health")).await.unwrap().json().await.unwrap();
    assert_eq!(body["status"], "ok");
    let secret_path = dir.path().join("jwt_secret");
    let secret = std::fs::read_to_string(&secret_path).unwrap();
    assert_eq!(std::fs::metadata(&secret_path).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(secret.len() >= 32);
    stop(child);

    let (child, _) = start();
    assert_eq!(std::fs::read_to_string(&secret_path).unwrap(), secret, "the secret is kept across restarts");
    stop(child);
}

fn stop(mut child: std::process::Child) {
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    for _ in 0..200 {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("the server did not stop within 10 s of SIGTERM");
}

/// `partnerdesk simulate` fills a demo account with clicks, leads and decisions, and can run again.
#[test]
fn simulate_sends_demo_traffic() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let out = Command::new(BIN)
            .args(["simulate", "--seconds", "2"])
            .env_clear()
            .env("DATA_DIR", dir.path())
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(stdout.contains("demo@partnerdesk.test"), "{stdout}");
        let done = stdout.lines().find(|l| l.starts_with("Done: ")).unwrap_or_else(|| panic!("{stdout}"));
        let clicks: u32 = done.trim_start_matches("Done: ").split(' ').next().unwrap().parse().unwrap();
        assert!(clicks > 0, "{done}");
    }
}
