use async_graphql::{Context, ID, Object};
use partnerdesk_services::{Error, accounts, authz, campaigns};

use crate::error::Res;
use crate::query::actor;
use crate::types::{
    AuthPayload, Campaign, CreateCampaignInput, LoginInput, SignUpInput, UpdateCampaignInput, services,
};
use crate::{ClientAddress, REFRESH_COOKIE, RefreshCookie, ids};

fn cookie<'a>(ctx: &Context<'a>) -> Option<&'a RefreshCookie> {
    ctx.data_opt::<RefreshCookie>().filter(|c| c.enabled)
}

/// Hands the session to the caller: in the payload, or, for the browser app, as an `HttpOnly` cookie.
pub(crate) fn deliver(ctx: &Context<'_>, session: accounts::Session) -> AuthPayload {
    let Some(c) = cookie(ctx) else {
        return session.into();
    };
    let max_age = (session.refresh_expires_at - session.access_expires_at).num_seconds().max(0);
    set_cookie(ctx, c, &session.refresh_token, max_age);
    AuthPayload { refresh_token: None, ..session.into() }
}

fn set_cookie(ctx: &Context<'_>, c: &RefreshCookie, value: &str, max_age: i64) {
    let secure = if c.secure { "; Secure" } else { "" };
    ctx.append_http_header(
        "set-cookie",
        format!("{REFRESH_COOKIE}={value}; Path=/graphql; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"),
    );
}

/// The refresh token from the argument, or else from the browser's cookie.
fn refresh_token_of(ctx: &Context<'_>, arg: Option<String>) -> Res<String> {
    arg.or_else(|| ctx.data_opt::<RefreshCookie>().and_then(|c| c.token.clone()))
        .ok_or_else(|| Error::Unauthenticated("No refresh token: pass refreshToken, or sign in again.").into())
}

#[derive(Default)]
pub struct BaseMutation;

#[Object]
impl BaseMutation {
    /// Creates an organization and its owner, and signs the owner in.
    async fn sign_up(&self, ctx: &Context<'_>, input: SignUpInput) -> Res<AuthPayload> {
        let s = services(ctx)?;
        let input = accounts::SignUp {
            email: input.email,
            password: input.password,
            organization_name: input.organization_name,
        };
        Ok(deliver(ctx, accounts::sign_up(s, input).await?))
    }

    /// A wrong password and an unknown email both answer `INVALID_CREDENTIALS`. Repeated failures answer
    /// `RATE_LIMITED` with `retryAfterSeconds`.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> Res<AuthPayload> {
        let address = ctx.data_opt::<ClientAddress>().and_then(|a| a.0.as_deref());
        Ok(deliver(ctx, accounts::login(services(ctx)?, &input.email, &input.password, address).await?))
    }

    /// Trades a refresh token (the argument, or the browser's cookie) for a new pair. Each refresh token works
    /// once; reusing one ends the session.
    async fn refresh_session(&self, ctx: &Context<'_>, refresh_token: Option<String>) -> Res<AuthPayload> {
        let token = refresh_token_of(ctx, refresh_token)?;
        Ok(deliver(ctx, accounts::refresh(services(ctx)?, &token).await?))
    }

    /// Ends the session the refresh token (the argument, or the browser's cookie) belongs to.
    async fn logout(&self, ctx: &Context<'_>, refresh_token: Option<String>) -> Res<bool> {
        if let Some(c) = cookie(ctx) {
            set_cookie(ctx, c, "", 0);
        }
        if let Ok(token) = refresh_token_of(ctx, refresh_token) {
            accounts::logout(services(ctx)?, &token).await?;
        }
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
