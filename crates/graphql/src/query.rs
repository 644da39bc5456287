use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, Object};
use partnerdesk_services::{accounts, authz, campaigns};

use crate::error::Res;
use crate::types::{Campaign, CampaignConnectionFields, CampaignStatus, User, services};
use crate::{Actor, ids};

pub(crate) fn actor<'a>(ctx: &Context<'a>) -> &'a Actor {
    ctx.data_opt::<Actor>().unwrap_or(&Actor::Anonymous)
}

#[derive(Default)]
pub struct BaseQuery;

#[Object]
impl BaseQuery {
    /// The signed-in user.
    async fn me(&self, ctx: &Context<'_>) -> Res<User> {
        let p = authz::signed_in(actor(ctx))?;
        Ok(accounts::user(services(ctx)?, &p).await?.into())
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
    ) -> Res<Connection<String, Campaign, CampaignConnectionFields>> {
        let scope = authz::owner(actor(ctx))?;
        let after = after.as_deref().map(ids::parse_cursor).transpose()?;
        let first = u64::try_from(first.unwrap_or(20)).unwrap_or(0);
        let page = campaigns::list(services(ctx)?, &scope, status.map(Into::into), first, after).await?;
        let mut conn = Connection::with_additional_fields(
            after.is_some(),
            page.has_next_page,
            CampaignConnectionFields { total_count: page.total_count },
        );
        conn.edges.extend(page.items.into_iter().map(|c| Edge::new(ids::cursor(c.id), Campaign::from(c))));
        Ok(conn)
    }
}
