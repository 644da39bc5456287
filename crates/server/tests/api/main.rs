//! Black-box tests of the real application on port 0, each against its own fresh database. Every scenario runs
//! twice, on SQLite and on PostgreSQL (`TEST_DATABASE_URL`, default postgres://postgres@127.0.0.1:5432/test).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod helpers;

mod accounts;
mod authorization;
mod backup;
mod campaigns;
mod cli;
mod faults;
mod graphql_limits;
mod http;
mod ingestion;
mod live;
mod metrics;
mod nginx;
mod partners;
mod persisted;
mod postbacks;
mod proxies;
mod quality;
mod rate_limits;
mod retention;
mod smtp;
mod startup;
mod stats;
mod tenancy;
mod traffic;
