//! Access tokens (JWT, HS256 pinned, 15 minutes) and opaque random tokens stored only as hashes.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub const ISSUER: &str = "partnerdesk";
pub const AUDIENCE: &str = "partnerdesk-api";
pub const ACCESS_TTL: Duration = Duration::minutes(15);
pub const REFRESH_TTL: Duration = Duration::days(30);

/// An access token names its account only: what the account may reach is read from its memberships on each
/// request, so a membership gained or lost counts at once.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    iat: i64,
    exp: i64,
    iss: String,
    aud: String,
}

/// The signing key and the pinned validation rules.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    invitation_key: [u8; 32],
    fingerprint_key: [u8; 32],
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked against the service clock below, so tests can move time.
        validation.validate_exp = false;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            invitation_key: hmac_sha256(secret, b"partnerdesk invitation tokens"),
            fingerprint_key: hmac_sha256(secret, b"partnerdesk lead fingerprints"),
        }
    }

    /// What duplicate detection keeps of a lead's normalised value: a hash keyed with this server's secret, so a
    /// stored fingerprint cannot be reversed by hashing every phone number.
    pub fn fingerprint(&self, value: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac_sha256(&self.fingerprint_key, value.as_bytes()))
    }

    /// The token of an invitation's `version`: 256 bits only this server's secret can produce. Nothing stores it;
    /// the mail relay derives it when it sends, and the database keeps only [`hash`] of it.
    pub fn invitation_token(&self, invitation_id: Uuid, version: i32) -> String {
        let mut msg = invitation_id.as_bytes().to_vec();
        msg.extend_from_slice(&version.to_be_bytes());
        format!("pdi_{}", URL_SAFE_NO_PAD.encode(hmac_sha256(&self.invitation_key, &msg)))
    }

    pub fn issue_access(&self, user_id: Uuid, now: DateTime<Utc>) -> anyhow::Result<(String, DateTime<Utc>)> {
        let exp = now + ACCESS_TTL;
        let claims = Claims {
            sub: user_id,
            iat: now.timestamp(),
            exp: exp.timestamp(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, exp))
    }

    /// The account an access token stands for, or why it is not accepted.
    pub fn verify_access(&self, token: &str, now: DateTime<Utc>) -> Result<Uuid, &'static str> {
        self.verify_access_until(token, now).map(|(p, _)| p)
    }

    /// Also says until when the token is good (a long-lived subscription ends then).
    pub fn verify_access_until(&self, token: &str, now: DateTime<Utc>) -> Result<(Uuid, DateTime<Utc>), &'static str> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| "The access token is invalid. Sign in again.")?;
        let c = data.claims;
        if c.exp <= now.timestamp() {
            return Err("The access token has expired. Refresh the session or sign in again.");
        }
        let until = DateTime::from_timestamp(c.exp, 0).unwrap_or(now);
        Ok((c.sub, until))
    }
}

/// HMAC-SHA256 (RFC 2104).
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// A new secret token: `prefix` + 256 random bits, base64url. Shown once; only [`hash`] is stored.
pub fn random_token(prefix: &str) -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// A tracking-link code: 128 random bits, base64url (22 characters). Public, but not guessable.
pub fn random_code() -> String {
    let bytes: [u8; 16] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a token, hex: what the database keeps. Tokens have 256 bits of entropy, so a fast hash suffices.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_tokens_round_trip_and_expire() -> anyhow::Result<()> {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef");
        let now = Utc::now();
        let user_id = Uuid::now_v7();
        let (token, exp) = keys.issue_access(user_id, now)?;
        assert_eq!(exp - now, Duration::minutes(15));
        assert_eq!(keys.verify_access(&token, now), Ok(user_id));
        assert!(keys.verify_access(&token, now + Duration::minutes(15)).is_err());
        let other = TokenKeys::new(b"another secret of enough length!!");
        assert!(other.verify_access(&token, now).is_err());
        Ok(())
    }

    #[test]
    fn rejects_other_algorithms_and_audiences() -> anyhow::Result<()> {
        let secret = b"0123456789abcdef0123456789abcdef";
        let keys = TokenKeys::new(secret);
        let now = Utc::now().timestamp();
        let claims =
            |aud: &str| Claims { sub: Uuid::now_v7(), iat: now, exp: now + 600, iss: ISSUER.into(), aud: aud.into() };
        let hs512 =
            jsonwebtoken::encode(&Header::new(Algorithm::HS512), &claims(AUDIENCE), &EncodingKey::from_secret(secret))?;
        assert!(keys.verify_access(&hs512, Utc::now()).is_err());
        let wrong_aud = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims("elsewhere"),
            &EncodingKey::from_secret(secret),
        )?;
        assert!(keys.verify_access(&wrong_aud, Utc::now()).is_err());
        Ok(())
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex::encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn invitation_tokens_depend_on_id_version_and_secret() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef");
        let id = Uuid::now_v7();
        let t1 = keys.invitation_token(id, 1);
        assert_eq!(t1, keys.invitation_token(id, 1));
        assert_ne!(t1, keys.invitation_token(id, 2));
        assert_ne!(t1, keys.invitation_token(Uuid::now_v7(), 1));
        assert_ne!(t1, TokenKeys::new(b"another secret of enough length!!").invitation_token(id, 1));
        assert_eq!(t1.len(), 4 + 43);
    }

    #[test]
    fn random_tokens_are_long_unique_and_hashed() {
        let a = random_token("pdr_");
        assert!(a.starts_with("pdr_") && a.len() == 4 + 43);
        assert_ne!(a, random_token("pdr_"));
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), a);
    }
}
