//! argon2id with the OWASP parameters (19 MiB, 2 passes, 1 lane), off the async runtime.

use anyhow::{Context as _, anyhow};
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

fn argon2() -> anyhow::Result<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow!("argon2 params: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub(crate) async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        argon2()?.hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| anyhow!("argon2 hash: {e}"))
    })
    .await
    .context("password hashing task")?
}

/// Verifies `password` against a stored PHC string. With no stored hash (unknown account) it still spends the
/// same work on a dummy hash, so response times do not reveal which emails have accounts.
pub(crate) async fn verify(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let argon2 = argon2()?;
        match stored {
            Some(phc) => {
                let parsed = PasswordHash::new(&phc).map_err(|e| anyhow!("stored password hash: {e}"))?;
                Ok(argon2.verify_password(password.as_bytes(), &parsed).is_ok())
            }
            None => {
                let _ = argon2.hash_password(password.as_bytes());
                Ok(false)
            }
        }
    })
    .await
    .context("password verification task")?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_argon2id_owasp_parameters_and_verifies() -> anyhow::Result<()> {
        let h = hash("correct horse battery".into()).await?;
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery".into(), Some(h.clone())).await?);
        assert!(!verify("wrong horse battery".into(), Some(h)).await?);
        assert!(!verify("anything at all".into(), None).await?);
        Ok(())
    }
}
