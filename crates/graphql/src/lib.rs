//! The GraphQL API: types, resolvers and the mapping of service errors to `extensions.code`.
//! The HTTP layer only mounts [`AppSchema`] and puts the request's [`Actor`] and client address in its data.

mod error;
mod ids;
pub mod limits;
mod mutation;
mod partners;
mod postbacks;
mod quality;
mod query;
mod stats;
mod traffic;
mod types;
mod webhooks;

use async_graphql::{MergedObject, Schema, SchemaBuilder};
pub use error::ApiError;
use partnerdesk_services::Services;
pub use partnerdesk_services::authz::Actor;

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    query::BaseQuery,
    partners::PartnerQuery,
    traffic::TrafficQuery,
    stats::StatsQuery,
    postbacks::PostbackQuery,
    webhooks::WebhookQuery,
    quality::QualityQuery,
);

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    mutation::BaseMutation,
    partners::PartnerMutation,
    traffic::TrafficMutation,
    postbacks::PostbackMutation,
    webhooks::WebhookMutation,
    quality::QualityMutation,
);

pub use stats::{SessionDeadline, SubscriptionRoot};

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The client's IP address, for the failed-login limit.
#[derive(Debug, Clone)]
pub struct ClientAddress(pub Option<String>);

/// The browser app keeps its refresh token in an `HttpOnly` cookie instead of reading it from responses.
/// It asks for this with the `X-Refresh-Cookie: 1` request header; the HTTP layer fills this in.
#[derive(Debug, Clone, Default)]
pub struct RefreshCookie {
    /// The request asked for cookie delivery.
    pub enabled: bool,
    /// The token the request's cookie carries, if any.
    pub token: Option<String>,
    /// Mark the cookie `Secure` (the app is served over https).
    pub secure: bool,
}

/// Name of the refresh-token cookie; its path is `/graphql`, the only place it is needed.
pub const REFRESH_COOKIE: &str = "pd_refresh";

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot)
        // Depth, cost, size and time are checked by our own extension (see `limits`), before async-graphql's
        // validation walks the document with fragments expanded; its limit on spreads within spreads stays as a floor.
        .extension(limits::QueryLimits(limits::Limits::default()))
        .limit_recursive_depth(limits::RECURSION_LIMIT)
}

pub fn build_schema(services: Services) -> AppSchema {
    use async_graphql::dataloader::DataLoader;
    // Batches run in the span of the request that asked for them, so their statements and logs are its own.
    let spawn = |f| tokio::spawn(tracing::Instrument::in_current_span(f));
    let partners = DataLoader::new(traffic::PartnerLoader(services.clone()), spawn);
    let campaigns = DataLoader::new(stats::CampaignLoader(services.clone()), spawn);
    // A page lists up to 100 partners, whose resolvers ask for their campaigns one after the other; the default 1 ms
    // wait before a batch goes out split such pages in two on a busy machine (tests/statements.rs, under load).
    let assignments = DataLoader::new(partners::AssignmentsLoader(services.clone()), spawn)
        .delay(std::time::Duration::from_millis(5));
    let disputes = DataLoader::new(quality::DisputeLoader(services.clone()), spawn);
    builder().data(services).data(partners).data(campaigns).data(assignments).data(disputes).finish()
}

/// The schema in SDL: what `schema.graphql` holds.
pub fn sdl() -> String {
    builder().finish().sdl()
}

#[cfg(test)]
mod tests {
    #[test]
    fn schema_file_is_current() {
        let committed = include_str!("../../../schema.graphql");
        assert!(
            committed == super::sdl(),
            "schema.graphql is out of date: regenerate it with `cargo run -p partnerdesk -- print-schema > schema.graphql`"
        );
    }
}
