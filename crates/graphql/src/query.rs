use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object};
use partnerdesk_services::{accounts, authz, campaigns};

use crate::error::Res;
use crate::types::{Campaign, CampaignStatus, TotalCount, User, connection, services};
use crate::{Actor, ids};

pub(crate) fn actor<'a>(ctx: &Context<'a>) -> &'a Actor {
    ctx.data_opt::<Actor>().unwrap_or(&Actor::Anonymous)
}

#[derive(Default)]
pub struct BaseQuery;

#[Object]
impl BaseQuery {
    /// The signed-in account: what it owns (`organization`) and whom it partners with (`advertisers`).
    async fn me(&self, ctx: &Context<'_>) -> Res<User> {
        let p = authz::signed_in(actor(ctx))?;
        Ok(User::from(accounts::user(services(ctx)?, p).await?).with_memberships(p))
    }

    /// One campaign of your organization.
    async fn campaign(&self, ctx: &Context<'_>, id: ID) -> Res<Campaign> {
        let scope = authz::owner(actor(ctx))?;
        Ok(campaigns::get(services(ctx)?, &scope, ids::parse(&id, "Campaign")?).await?.into())
    }

    /// Your organization's campaigns, newest first.
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, desc = "Page size, 1 to 100.")] first: Option<i32>,
        after: Option<String>,
        status: Option<CampaignStatus>,
    ) -> Res<Connection<String, Campaign, TotalCount>> {
        let scope = authz::owner(actor(ctx))?;
        let (first, after) = ids::page_args(first, after.as_deref())?;
        let page = campaigns::list(services(ctx)?, &scope, status.map(Into::into), first, after).await?;
        Ok(connection(page, after.is_some(), |c| c.id, Campaign::from))
    }
}
