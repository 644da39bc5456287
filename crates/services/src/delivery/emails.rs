//! The emails Partnerdesk sends, as plain text and HTML. Invitation bodies carry [`INVITATION_URL`], which the relay
//! replaces with the link when it sends, so no token is ever stored.

use chrono::{DateTime, Utc};

pub const INVITATION_URL: &str = "{{INVITATION_URL}}";

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><body style=\"margin:0;background:#f6f7f9;font-family:system-ui,-apple-system,Segoe UI,\
         Roboto,Arial,sans-serif;color:#17202e\"><div style=\"max-width:560px;margin:24px auto;background:#fff;\
         border:1px solid #dfe3ea;border-radius:10px;padding:28px\"><p style=\"font-weight:700;margin:0 0 16px\">\
         Partnerdesk</p><h1 style=\"font-size:20px;margin:0 0 16px\">{}</h1>{body}</div></body></html>",
        escape(title)
    )
}

fn list(campaigns: &[String]) -> (String, String) {
    let text = campaigns.iter().map(|c| format!("  - {c}")).collect::<Vec<_>>().join("\n");
    let html = campaigns.iter().map(|c| format!("<li>{}</li>", escape(c))).collect::<String>();
    (text, format!("<ul>{html}</ul>"))
}

/// "Acme Leads (ann@acme.com) invites you to send traffic to: ..." with the link and its expiry. `has_account`: the
/// email already has a Partnerdesk account (a partner of another advertiser, or an owner), which logs in to accept
/// instead of registering.
pub fn invitation(
    organization: &str,
    inviter: &str,
    campaigns: &[String],
    expires_at: DateTime<Utc>,
    has_account: bool,
) -> Rendered {
    let expires = expires_at.format("%B %-d, %Y at %H:%M UTC").to_string();
    let (text_list, html_list) = list(campaigns);
    let subject = format!("{organization} invites you to Partnerdesk");
    let (text_ask, html_ask, button) = if has_account {
        (
            "You already have a Partnerdesk account with this email. Log in to accept: this advertiser's campaigns \
             join the others in your partner portal, with the same login and API keys",
            "You already have a Partnerdesk account with this email. <strong>Log in to accept</strong>: this \
             advertiser's campaigns join the others in your partner portal, with the same login and API keys.",
            "Log in to accept",
        )
    } else {
        (
            "Register here to see your campaigns, payouts and caps, and to follow your traffic live",
            "Register to see your campaigns, payouts and caps, and to follow your traffic live.",
            "Register and accept",
        )
    };
    let text = format!(
        "{organization} ({inviter}) invites you to join Partnerdesk as a marketing partner for:\n\n{text_list}\n\n\
         {text_ask}:\n\n{INVITATION_URL}\n\nThe link works once and expires on {expires}.\n\
         If you did not expect this invitation, ignore this email.\n"
    );
    let html = layout(
        &subject,
        &format!(
            "<p><strong>{org}</strong> ({inviter}) invites you to join Partnerdesk as a marketing partner for:</p>\
             {html_list}<p>{html_ask}</p>\
             <p><a href=\"{INVITATION_URL}\" style=\"display:inline-block;background:#2453d4;color:#fff;\
             padding:10px 18px;border-radius:8px;text-decoration:none;font-weight:600\">{button}</a></p>\
             <p style=\"color:#5b6576;font-size:14px\">Or open this link: {INVITATION_URL}<br>It works once and \
             expires on {expires}. If you did not expect this invitation, ignore this email.</p>",
            org = escape(organization),
            inviter = escape(inviter),
        ),
    );
    Rendered { subject, text, html }
}

/// A registered partner was added to another campaign.
pub fn assignment(organization: &str, campaign: &str, login_url: &str) -> Rendered {
    let subject = format!("{organization} added you to {campaign}");
    let text = format!(
        "{organization} added you to the campaign \"{campaign}\" on Partnerdesk.\n\n\
         Log in to see its payouts and caps: {login_url}\n"
    );
    let html = layout(
        &subject,
        &format!(
            "<p><strong>{}</strong> added you to the campaign <strong>{}</strong>.</p>\
             <p><a href=\"{url}\">Log in</a> to see its payouts and caps.</p>",
            escape(organization),
            escape(campaign),
            url = escape(login_url),
        ),
    );
    Rendered { subject, text, html }
}

/// A postback or webhook endpoint (`what`) was disabled after failing `failures` times in a row; its deliveries
/// wait for it.
pub fn destination_disabled(what: &str, url: &str, failures: i32, last: &str, manage_url: &str) -> Rendered {
    let subject = format!("Your {what} was disabled after repeated failures");
    let text = format!(
        "Your {what} {url} failed {failures} times in a row (last: {last}), so Partnerdesk disabled it.\n\n\
         Nothing is lost: its deliveries wait. Fix the receiving side, then enable it again: what is due goes \
         out.\n\nManage it: {manage_url}\n"
    );
    let html = layout(
        &subject,
        &format!(
            "<p>Your {what} <strong>{url}</strong> failed {failures} times in a row (last: {last}), so \
             Partnerdesk disabled it.</p><p>Nothing is lost: its deliveries wait. Fix the receiving side, then \
             enable it again: what is due goes out.</p><p><a href=\"{manage}\">Manage it</a></p>",
            url = escape(url),
            last = escape(last),
            manage = escape(manage_url),
        ),
    );
    Rendered { subject, text, html }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitation_names_inviter_campaigns_link_and_expiry() {
        let at =
            DateTime::parse_from_rfc3339("2026-12-02T15:04:00Z").map(|d| d.with_timezone(&Utc)).unwrap_or_default();
        let r = invitation("Acme <Leads>", "ann@acme.com", &["Solar NY".into(), "Roofing".into()], at, false);
        assert_eq!(r.subject, "Acme <Leads> invites you to Partnerdesk");
        for part in ["ann@acme.com", "  - Solar NY", "  - Roofing", INVITATION_URL, "December 2, 2026 at 15:04 UTC"] {
            assert!(r.text.contains(part), "{part}");
        }
        assert!(r.html.contains("Acme &lt;Leads&gt;") && !r.html.contains("<Leads>"));
        assert!(r.html.contains("<li>Solar NY</li>"));
        assert!(r.text.contains("Register here") && !r.text.contains("Log in to accept"));
        // An email that already has an account logs in instead of registering.
        let known = invitation("Acme", "ann@acme.com", &["Solar NY".into()], at, true);
        assert!(known.text.contains("Log in to accept") && !known.text.contains("Register"));
        assert!(known.html.contains(">Log in to accept</a>"));
    }
}
