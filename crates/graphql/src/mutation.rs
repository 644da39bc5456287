use async_graphql::{Context, ID, Object};
use partnerdesk_services::{accounts, authz, campaigns};

use crate::error::Res;
use crate::query::actor;
use crate::types::{
    AuthPayload, Campaign, CreateCampaignInput, LoginInput, SignUpInput, UpdateCampaignInput, services,
};
use crate::{ClientAddress, ids};

pub struct MutationRoot;

#[Object]
impl MutationRoot {
    /// Creates an organization and its owner, and signs the owner in.
    async fn sign_up(&self, ctx: &Context<'_>, input: SignUpInput) -> Res<AuthPayload> {
        let s = services(ctx)?;
        let input = accounts::SignUp {
            email: input.email,
            password: input.password,
            organization_name: input.organization_name,
        };
        Ok(accounts::sign_up(s, input).await?.into())
    }

    /// A wrong password and an unknown email both answer `INVALID_CREDENTIALS`. Repeated failures answer
    /// `RATE_LIMITED` with `retryAfterSeconds`.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> Res<AuthPayload> {
        let address = ctx.data_opt::<ClientAddress>().and_then(|a| a.0.as_deref());
        Ok(accounts::login(services(ctx)?, &input.email, &input.password, address).await?.into())
    }

    /// Trades a refresh token for a new pair. Each refresh token works once; reusing one ends the session.
    async fn refresh_session(&self, ctx: &Context<'_>, refresh_token: String) -> Res<AuthPayload> {
        Ok(accounts::refresh(services(ctx)?, &refresh_token).await?.into())
    }

    /// Ends the session the refresh token belongs to.
    async fn logout(&self, ctx: &Context<'_>, refresh_token: String) -> Res<bool> {
        accounts::logout(services(ctx)?, &refresh_token).await?;
        Ok(true)
    }

    async fn create_campaign(&self, ctx: &Context<'_>, input: CreateCampaignInput) -> Res<Campaign> {
        let scope = authz::owner(actor(ctx))?;
        Ok(campaigns::create(services(ctx)?, &scope, input.into()).await?.into())
    }

    async fn update_campaign(&self, ctx: &Context<'_>, id: ID, input: UpdateCampaignInput) -> Res<Campaign> {
        let scope = authz::owner(actor(ctx))?;
        Ok(campaigns::update(services(ctx)?, &scope, ids::parse(&id, "Campaign")?, input.into()).await?.into())
    }

    /// Archives a campaign: it stays readable; `updateCampaign` with a status restores it.
    async fn archive_campaign(&self, ctx: &Context<'_>, id: ID) -> Res<Campaign> {
        let scope = authz::owner(actor(ctx))?;
        Ok(campaigns::archive(services(ctx)?, &scope, ids::parse(&id, "Campaign")?).await?.into())
    }
}
