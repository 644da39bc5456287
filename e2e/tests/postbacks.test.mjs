// Postbacks in the browser (issue 16): a partner adds a postback in its portal, sends a lead, the owner approves it
// in its lead list; the partner's tracker (a real HTTP receiver on loopback) gets both events with the macros
// filled in, and the partner's delivery log shows both attempts answered 200. The owner sees the partner's postback
// and its log read-only.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { startServer, startBrowser, shot, app, logIn } from "../harness.mjs";
import { startSmtp } from "../smtp.mjs";

let server, browser, smtp, tracker;
const hits = [];
before(async () => {
  smtp = await startSmtp();
  // The tracker is on loopback, which postbacks refuse unless allowed.
  server = await startServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, POSTBACK_ALLOW_PRIVATE: "1", OUTBOX_POLL_MS: "100" });
  tracker = createServer((req, res) => {
    hits.push(new URL(req.url, "http://tracker"));
    res.writeHead(200, { "content-type": "text/plain" }).end("OK postback");
  });
  await new Promise((r) => tracker.listen(0, "127.0.0.1", r));
  browser = await startBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.close();
  tracker?.close();
});

const gql = (operation, variables, token) => app(server, operation, variables, token);
const password = "correct horse battery staple";

/** Clicks the log's "Refresh" until it shows `text` (an attempt is recorded just after the tracker answers). */
async function logShows(card, text) {
  const wanted = card.getByText(text);
  for (let i = 0; i < 100 && (await wanted.count()) === 0; i++) {
    await card.getByRole("button", { name: "Refresh" }).click();
    await card.getByRole("table", { name: "Delivery attempts" }).or(card.getByText("Nothing sent yet.")).waitFor();
  }
  await wanted.waitFor();
}

/** Waits until the tracker has `n` requests. */
async function tracked(n) {
  for (let i = 0; i < 500 && hits.length < n; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(hits.length, n, `${n} postback(s) expected at the tracker`);
  return hits;
}

test("a partner's postback reports its lead and the owner's approval, and its log shows both", async () => {
  const { signUp } = await gql("SignUp", { input: { email: "owner@acme.test", password, organizationName: "Acme Leads" } });
  const owner = signUp.accessToken;
  const { createCampaign } = await gql("CreateCampaign",
    { input: { name: "Solar NY", timeZone: "America/New_York", landingUrl: "https://example.com/solar", formPayout: "12.50" } }, owner);
  const campaignId = createCampaign.id;
  await gql("AddMarketingPartner", { input: { campaignId, email: "pat@partner.test" } }, owner);
  const email = await smtp.waitFor(/pat@partner\.test/);
  const token = email.match(/token=(pdi_[A-Za-z0-9_-]+)/)[1];
  const { acceptInvitation } = await gql("AcceptInvitation", { input: { token, name: "Pat", password } });

  const errors = [];
  const partner = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  partner.on("pageerror", (e) => errors.push(e.message));
  await logIn(partner, server, "pat@partner.test");
  await partner.getByRole("heading", { name: "Your campaigns" }).waitFor();
  await partner.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Postbacks" }).click();
  await partner.getByRole("heading", { name: "Add a postback" }).waitFor();
  await partner.getByText("No postbacks yet.").waitFor();

  // A URL with an unknown macro is refused, naming it, on the URL field.
  const url = partner.getByLabel("URL");
  await url.fill(`http://127.0.0.1:${tracker.address().port}/pb?lead={lead_id}&tx={transaction}`);
  await partner.getByRole("button", { name: "Add postback" }).click();
  const urlError = partner.locator("#pb-url-error");
  await urlError.waitFor();
  assert.match(await urlError.textContent(), /Unknown macro \{transaction\}/);
  assert.equal(await url.getAttribute("aria-invalid"), "true");
  await shot(partner, "70-partner-postback-invalid");

  // For Solar NY, on received and approved leads (checked by default), by GET.
  await partner.getByLabel("Campaigns").selectOption({ label: "Solar NY" });
  assert.ok(await partner.getByLabel("Lead received").isChecked());
  assert.ok(await partner.getByLabel("Lead approved").isChecked());
  await url.fill(`http://127.0.0.1:${tracker.address().port}/pb?lead={lead_id}&s1={sub1}&status={status}&payout={payout}&cur={currency}&c={campaign_name}`);
  await partner.getByRole("button", { name: "Add postback" }).click();
  await partner.getByText("Postback added.", { exact: false }).waitFor();
  const card = partner.getByRole("region", { name: /127\.0\.0\.1/ });
  await card.getByText("Solar NY").waitFor();
  await card.getByText("Lead received, Lead approved").waitFor();
  assert.equal(await card.locator(".badge").textContent(), "Active");
  await shot(partner, "71-partner-postback-added");

  // A lead with its click id, then the owner's approval in its lead list.
  const { createApiKey } = await gql("CreateApiKey", { name: "Landing page", scope: "LEADS" }, acceptInvitation.accessToken);
  const sent = await fetch(server.url + "/v1/leads", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${createApiKey.key}` },
    body: JSON.stringify({ campaignId, type: "form", externalId: "crm-1", subIds: { sub1: "news letter/α&b" }, fields: { name: "Ann" } }),
  });
  assert.equal(sent.status, 201);
  const lead = await sent.json();
  const [received] = await tracked(1);
  assert.equal(received.pathname, "/pb");
  assert.equal(received.searchParams.get("lead"), lead.id);
  assert.equal(received.searchParams.get("status"), "RECEIVED");
  assert.equal(received.searchParams.get("payout"), "12.5");
  assert.equal(received.searchParams.get("cur"), "USD");
  assert.equal(received.searchParams.get("c"), "Solar NY");
  assert.equal(received.searchParams.get("s1"), "news letter/α&b"); // percent-encoded where it landed, decoded here

  const ownerPage = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  ownerPage.on("pageerror", (e) => errors.push(e.message));
  await logIn(ownerPage, server, "owner@acme.test");
  await ownerPage.getByRole("heading", { name: "Campaigns" }).waitFor();
  await ownerPage.goto(`${server.url}/campaigns/${campaignId}/leads`);
  await ownerPage.getByText("1 lead", { exact: true }).waitFor();
  await ownerPage.getByRole("row").filter({ hasText: "pat@partner.test" }).getByRole("checkbox").check();
  await ownerPage.getByRole("button", { name: "Approve" }).click();
  await ownerPage.getByText("1 lead approved.").waitFor();
  const [, approved] = await tracked(2);
  assert.equal(approved.searchParams.get("lead"), lead.id);
  assert.equal(approved.searchParams.get("status"), "APPROVED");

  // The partner's log: both attempts, answered 200, newest first.
  await card.getByRole("button", { name: "Show delivery log" }).click();
  await logShows(card, "2 attempt(s), newest first.");
  const attempts = card.getByRole("table", { name: "Delivery attempts" }).getByRole("row");
  assert.equal(await attempts.count(), 3); // the header and two attempts
  assert.match(await attempts.nth(1).textContent(), /lead\.approved.*200/);
  assert.match(await attempts.nth(2).textContent(), /lead\.received.*200/);
  assert.match(await attempts.nth(2).textContent(), new RegExp(`GET http://127\\.0\\.0\\.1:\\d+/pb\\?lead=${lead.id}`));
  assert.equal(await card.getByRole("button", { name: "Retry now" }).count(), 0);
  await card.getByText("Body", { exact: true }).first().click();
  await card.getByText("OK postback").first().waitFor();
  await shot(partner, "72-partner-postback-log");

  // "Send test" adds a third attempt.
  await card.getByRole("button", { name: "Send test" }).click();
  await partner.getByText("Test sent", { exact: false }).waitFor();
  const [, , sample] = await tracked(3);
  assert.match(sample.searchParams.get("lead"), /^[0-9a-f-]{36}$/);
  // The log stayed open through the list's reload.
  await logShows(card, "3 attempt(s), newest first.");
  assert.match(await attempts.nth(1).textContent(), /test.*200/);

  // The owner sees the partner's postback and its log on the partner's page, without the partner's controls.
  const { marketingPartners } = await gql("MarketingPartners", {}, owner);
  const partnerId = marketingPartners.nodes.find((p) => p.email === "pat@partner.test").id;
  await ownerPage.goto(`${server.url}/partners/${partnerId}`);
  const ownerCard = ownerPage.getByRole("region", { name: /127\.0\.0\.1/ });
  await ownerCard.getByText("Solar NY").waitFor();
  for (const action of ["Send test", "Edit", "Pause", "Delete"]) {
    assert.equal(await ownerCard.getByRole("button", { name: action }).count(), 0, `owner sees no ${action}`);
  }
  await ownerCard.getByRole("button", { name: "Show delivery log" }).click();
  // Its campaign's two events; not the partner's test, which is no campaign's.
  await ownerCard.getByText("2 attempt(s), newest first.").waitFor();
  const ownerRows = ownerCard.getByRole("table", { name: "Delivery attempts" }).getByRole("row");
  assert.match(await ownerRows.nth(1).textContent(), /lead\.approved.*200/);
  assert.match(await ownerRows.nth(2).textContent(), /lead\.received.*200/);
  assert.equal(await ownerCard.getByRole("button", { name: "Retry now" }).count(), 0);
  assert.equal(await ownerCard.getByRole("button", { name: "Send period again" }).count(), 0);
  await shot(ownerPage, "73-owner-partner-postbacks");
  assert.deepEqual(errors, []);
});
