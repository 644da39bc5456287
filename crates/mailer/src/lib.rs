//! Sending email: SMTP (`SMTP_URL`, lettre) or, without it, `.eml` files in a folder (the embedded default).
//! Delivery bookkeeping (the outbox, retries) lives in the services crate; this crate only sends.

use std::path::PathBuf;

use anyhow::Context as _;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

/// One email: plain text and HTML alternatives of the same content.
pub struct Email<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
}

pub enum Transport {
    Smtp(Box<AsyncSmtpTransport<Tokio1Executor>>),
    Files { dir: PathBuf, transport: AsyncFileTransport<Tokio1Executor> },
}

pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

impl Mailer {
    /// `smtp_url` such as `smtp://user:pass@host:587?tls=required` or `smtps://host`; without it, files in `dir`.
    pub fn new(from: &str, smtp_url: Option<&str>, dir: PathBuf) -> anyhow::Result<Self> {
        let from: Mailbox = from.parse().with_context(|| format!("MAIL_FROM: {from:?} is not an email address"))?;
        let transport = match smtp_url {
            Some(url) => Transport::Smtp(Box::new(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .context("SMTP_URL: expected smtp://[user:pass@]host[:port] or smtps://...")?
                    .timeout(Some(std::time::Duration::from_secs(20)))
                    .build(),
            )),
            None => {
                std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
                Transport::Files { transport: AsyncFileTransport::new(&dir), dir }
            }
        };
        Ok(Self { from, transport })
    }

    /// Where mail goes, for the start-up log (no credentials).
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(_) => "SMTP".to_owned(),
            Transport::Files { dir, .. } => format!(".eml files in {}", dir.display()),
        }
    }

    pub async fn send(&self, email: &Email<'_>) -> anyhow::Result<()> {
        let to: Mailbox = email.to.parse().with_context(|| format!("bad recipient {:?}", email.to))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject)
            .multipart(MultiPart::alternative_plain_html(email.text.to_owned(), email.html.to_owned()))
            .context("building the message")?;
        match &self.transport {
            Transport::Smtp(t) => t.send(message).await.map(|_| ()).context("SMTP delivery"),
            Transport::Files { transport, .. } => {
                transport.send(message).await.map(|_| ()).context("writing the .eml file")
            }
        }
    }
}
