// Traffic end to end: the partner creates an API key in the portal, a script sends leads with it until the daily cap,
// the partner sees them and the full cap bar; the owner approves and rejects; the partner sees status and reason.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startBrowser, shot, checkA11y, app, logIn } from "../harness.mjs";
import { startSmtp } from "../smtp.mjs";

let server, browser, smtp;
before(async () => {
  smtp = await startSmtp();
  server = await startServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}` });
  browser = await startBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.close();
});

const gql = (operation, variables, token) => app(server, operation, variables, token);

test("leads flow from a partner's API key to the owner's decision and back", async () => {
  const password = "correct horse battery staple";
  const { signUp } = await gql("SignUp", { input: { email: "owner@acme.test", password, organizationName: "Acme Leads" } });
  const owner = signUp.accessToken;
  const { createCampaign } = await gql("CreateCampaign",
    { input: { name: "Solar NY", timeZone: "America/New_York", landingUrl: "https://example.com/solar", formPayout: "12.50" } }, owner);
  const campaignId = createCampaign.id;
  await gql("AddMarketingPartner",
    { input: { campaignId, email: "pat@partner.test", caps: [{ metric: "FORM", window: "DAILY", limit: 3 }] } }, owner);
  const email = await smtp.waitFor(/pat@partner\.test/);
  const token = email.match(/token=(pdi_[A-Za-z0-9_-]+)/)[1];
  await gql("AcceptInvitation", { input: { token, name: "Pat", password } });

  // The partner creates an API key in the portal; it is shown once.
  const partner = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  const errors = [];
  partner.on("pageerror", (e) => errors.push(e.message));
  await logIn(partner, server, "pat@partner.test");
  await partner.getByRole("heading", { name: "Your campaigns" }).waitFor();
  const trackingLink = partner.getByLabel("Tracking link", { exact: true });
  await trackingLink.waitFor();
  assert.match(await trackingLink.inputValue(), new RegExp(`^${server.url.replaceAll(".", "\\.")}/c/[^/?#]+$`));
  await partner.getByRole("link", { name: "API access" }).click();
  await partner.getByLabel("Key name").fill("Landing page server");
  await partner.getByRole("button", { name: "Create key" }).click();
  const keyField = partner.getByLabel("New key");
  await keyField.waitFor();
  const key = await keyField.inputValue();
  assert.match(key, /^pdk_/);
  await shot(partner, "20-partner-api-key-created");

  // A script sends leads until the daily cap of 3.
  const codes = [];
  for (let i = 0; i < 5; i++) {
    const res = await fetch(server.url + "/v1/leads", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ campaignId, type: "form", externalId: `crm-${i}`, fields: { name: `Lead ${i}` }, subIds: { sub1: "newsletter" } }),
    });
    const body = await res.json();
    codes.push(res.status === 201 ? "201" : body.error.code);
  }
  assert.deepEqual(codes, ["201", "201", "201", "CAP_REACHED", "CAP_REACHED"]);

  await partner.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();
  const bar = partner.getByRole("progressbar", { name: "Forms today" });
  await bar.waitFor();
  assert.equal(await bar.getAttribute("aria-valuenow"), "3");
  await partner.getByText("3 / 3").waitFor();
  await partner.getByText(/Resets .* 00:00 \(America\/New_York\)/).waitFor();
  await shot(partner, "21-partner-cap-full");
  await partner.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Leads" }).click();
  await partner.getByText("3 leads").waitFor();
  await shot(partner, "22-partner-leads-received");

  // The owner approves two and rejects one with a reason.
  const ownerPage = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  ownerPage.on("pageerror", (e) => errors.push(e.message));
  await logIn(ownerPage, server, "owner@acme.test");
  await ownerPage.getByRole("heading", { name: "Campaigns" }).waitFor();
  await ownerPage.goto(`${server.url}/campaigns/${campaignId}/partners`);
  await ownerPage.getByRole("row").filter({ hasText: "pat@partner.test" }).getByText("Forms: 3 / 3 today").waitFor();
  await ownerPage.getByRole("navigation", { name: "Campaign" }).getByRole("link", { name: "Leads" }).click();
  await ownerPage.getByText("3 leads").waitFor();
  const rows = ownerPage.getByRole("row").filter({ hasText: "pat@partner.test" });
  assert.equal(await rows.count(), 3);
  await rows.nth(0).getByRole("checkbox").check();
  await rows.nth(1).getByRole("checkbox").check();
  await ownerPage.getByRole("button", { name: "Approve" }).click();
  await ownerPage.getByText("2 leads approved.").waitFor();
  await rows.nth(2).getByRole("checkbox").check();
  await ownerPage.getByRole("button", { name: "Reject…" }).click();
  const dialog = ownerPage.getByRole("dialog", { name: "Reject the selected leads" });
  await dialog.getByRole("button", { name: "Reject leads" }).click();
  await dialog.locator("#reason-error").waitFor();
  await checkA11y(ownerPage, "reject-leads-dialog-error");
  await dialog.getByLabel("Reason").fill("Duplicate phone number");
  await dialog.getByRole("button", { name: "Reject leads" }).click();
  await ownerPage.getByText("1 lead rejected.").waitFor();
  await shot(ownerPage, "23-owner-leads-decided");

  // The partner sees status and reason.
  await partner.reload();
  const rejected = partner.getByRole("row").filter({ hasText: "Duplicate phone number" });
  await rejected.getByText("Rejected").waitFor();
  assert.equal(await partner.getByRole("row").filter({ hasText: "Approved" }).count(), 2);
  await partner.getByLabel("Status").selectOption("REJECTED");
  await partner.getByText("1 lead", { exact: true }).waitFor();
  await shot(partner, "24-partner-leads-decided");
  assert.deepEqual(errors, []);
});
