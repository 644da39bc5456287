// Owner webhooks verified by a receiver that uses the `standardwebhooks` library (npm), as an owner's CRM would:
// a test message, a lead received and its approval arrive signed with the endpoint's secret; after a rotation both
// the new and (during the overlap) the old secret verify; a tampered body does not.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";
import { startServer, startBrowser, shot, app, graphql, logIn } from "../harness.mjs";
import { startSmtp } from "../smtp.mjs";

let server, smtp, receiver, browser;
const messages = [];
before(async () => {
  smtp = await startSmtp();
  // Free-form documents from the owner's session (this scenario is an API client, not the app); the receiver is on
  // loopback.
  server = await startServer({
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    PERSISTED_ONLY_FOR_APP: "0",
    POSTBACK_ALLOW_PRIVATE: "1",
    OUTBOX_POLL_MS: "100",
  });
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      messages.push({ path: req.url, headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
  browser = await startBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.close();
  receiver?.close();
});

/** Waits until `n` messages have arrived. */
async function arrived(n) {
  for (let i = 0; i < 500 && messages.length < n; i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(messages.length >= n, `${n} webhook message(s) expected, ${messages.length} arrived`);
  return messages.slice(0, n);
}

test("webhooks arrive signed per Standard Webhooks, and verify with the standardwebhooks library", async () => {
  const password = "correct horse battery staple";
  const { signUp } = await app(server, "SignUp", { input: { email: "owner@acme.test", password, organizationName: "Acme" } });
  const owner = signUp.accessToken;
  const url = `http://127.0.0.1:${receiver.address().port}/hooks`;
  const { createWebhookEndpoint } = await graphql(server,
    `mutation($i: WebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret endpoint { id events enabled } } }`,
    { i: { url, events: ["LEAD_RECEIVED", "LEAD_STATUS_CHANGED"] } }, owner);
  const { secret, endpoint } = createWebhookEndpoint;
  assert.match(secret, /^whsec_[A-Za-z0-9+/=]{44}$/);
  assert.deepEqual(endpoint.events, ["LEAD_RECEIVED", "LEAD_STATUS_CHANGED"]);
  const verifier = new Webhook(secret);

  // A test message.
  await graphql(server, `mutation($id: ID!) { sendTestWebhook(id: $id) }`, { id: endpoint.id }, owner);
  const [testMessage] = await arrived(1);
  assert.deepEqual(verifier.verify(testMessage.body, testMessage.headers).type, "test");
  assert.match(testMessage.headers["webhook-id"], /^msg_[0-9a-f]{32}$/);
  assert.equal(testMessage.headers["content-type"], "application/json");

  // A partner's lead, then the owner's approval.
  const { createCampaign } = await app(server, "CreateCampaign",
    { input: { name: "Solar NY", timeZone: "America/New_York", landingUrl: "https://example.com/solar", formPayout: "12.50" } }, owner);
  await app(server, "AddMarketingPartner", { input: { campaignId: createCampaign.id, email: "pat@partner.test" } }, owner);
  const mail = await smtp.waitFor(/pat@partner\.test/);
  const token = mail.match(/token=(pdi_[A-Za-z0-9_-]+)/)[1];
  const { acceptInvitation } = await app(server, "AcceptInvitation", { input: { token, name: "Pat", password } });
  const { createApiKey } = await app(server, "CreateApiKey", { name: "Script", scope: "LEADS" }, acceptInvitation.accessToken);
  const sent = await fetch(server.url + "/v1/leads", {
    method: "POST",
    headers: { authorization: `Bearer ${createApiKey.key}`, "content-type": "application/json" },
    body: JSON.stringify({ campaignId: createCampaign.id, type: "form", externalId: "crm-1", fields: { name: "Ann" } }),
  });
  assert.equal(sent.status, 201);
  const lead = await sent.json();
  const [, received] = await arrived(2);
  const receivedEvent = verifier.verify(received.body, received.headers);
  assert.equal(receivedEvent.type, "lead.received");
  assert.equal(receivedEvent.data.id, lead.id);
  assert.equal(receivedEvent.data.status, "RECEIVED");
  assert.equal(receivedEvent.data.externalId, "crm-1");
  assert.equal(receivedEvent.data.payout, "12.5");
  assert.equal(receivedEvent.data.currency, "USD");
  assert.deepEqual(receivedEvent.data.fields, { name: "Ann" });

  // Rotated: the next message carries both signatures; the new secret verifies it, and so does the old one during
  // the overlap.
  const { rotateWebhookSecret } = await graphql(server,
    `mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { previousSecretValidUntil } } }`, { id: endpoint.id }, owner);
  assert.notEqual(rotateWebhookSecret.secret, secret);
  assert.ok(rotateWebhookSecret.endpoint.previousSecretValidUntil);
  await graphql(server, `mutation($id: ID!) { setLeadStatus(ids: [$id], status: APPROVED) { status } }`, { id: lead.id }, owner);
  const [, , approved] = await arrived(3);
  assert.equal(approved.headers["webhook-signature"].split(" ").length, 2);
  const approvedEvent = new Webhook(rotateWebhookSecret.secret).verify(approved.body, approved.headers);
  assert.equal(approvedEvent.type, "lead.status_changed");
  assert.equal(approvedEvent.data.fromStatus, "RECEIVED");
  assert.equal(approvedEvent.data.status, "APPROVED");
  assert.equal(verifier.verify(approved.body, approved.headers).type, "lead.status_changed");

  // A body changed on the way does not verify.
  assert.throws(() => verifier.verify(approved.body.replace("APPROVED", "REJECTED"), approved.headers));

  // The log shows each attempt, answered 204: the relay records an attempt once the endpoint has answered, so the
  // last one may follow its arrival here by a moment.
  let webhookDeliveries;
  for (let i = 0; i < 500; i++) {
    ({ webhookDeliveries } = await graphql(server,
      `query($id: ID!) { webhookDeliveries(endpointId: $id) { totalCount nodes { event statusCode attempt } } }`, { id: endpoint.id }, owner));
    if (webhookDeliveries.totalCount >= 3) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(webhookDeliveries.totalCount, 3);
  assert.deepEqual(webhookDeliveries.nodes.map((n) => [n.event, n.statusCode]),
    [["lead.status_changed", 204], ["lead.received", 204], ["test", 204]]);
});

test("an owner adds an endpoint in the app, copies its secret once, sends a test and sees it in the log", async () => {
  const password = "correct horse battery staple";
  await app(server, "SignUp", { input: { email: "boss@beta.test", password, organizationName: "Beta Media" } });
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await logIn(page, server, "boss@beta.test");
  await page.getByRole("heading", { name: "No campaigns yet" }).waitFor();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Webhooks" }).click();
  await page.getByText("No endpoints yet.").waitFor();

  // No event chosen: refused on the events, named.
  await page.getByLabel("URL").fill(`http://127.0.0.1:${receiver.address().port}/ui-hooks`);
  await page.getByLabel("Lead received").uncheck();
  await page.getByLabel("Lead status changed").uncheck();
  await page.getByRole("button", { name: "Add endpoint" }).click();
  const eventsError = page.locator("#wh-events-error");
  await eventsError.waitFor();
  assert.equal(await eventsError.innerText(), "Choose at least one event to send.");
  await page.getByLabel("Partner registered").check();
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await page.getByText("Endpoint added.").waitFor();
  const secret = await page.getByLabel("Signing secret").inputValue();
  assert.match(secret, /^whsec_/);
  const card = page.getByRole("region", { name: /ui-hooks/ });
  await card.getByText("Partner registered").waitFor();
  await shot(page, "74-owner-webhook-added");

  // The secret is shown once: after a reload it is gone; the test message verifies with it.
  await page.reload();
  await card.getByRole("button", { name: "Send test" }).waitFor();
  assert.equal(await page.getByLabel("Signing secret").count(), 0);
  const before = messages.length;
  await card.getByRole("button", { name: "Send test" }).click();
  await page.getByText("Test sent", { exact: false }).waitFor();
  for (let i = 0; i < 500 && !messages.slice(before).some((m) => m.path === "/ui-hooks"); i++) await new Promise((r) => setTimeout(r, 20));
  const sample = messages.slice(before).find((m) => m.path === "/ui-hooks");
  assert.ok(sample, "the test message arrived");
  assert.equal(new Webhook(secret).verify(sample.body, sample.headers).type, "test");

  // Its attempt in the log (recorded just after the receiver answered: refreshed until it shows).
  await card.getByRole("button", { name: "Show delivery log" }).click();
  const attempt = card.getByRole("table", { name: "Delivery attempts" }).getByRole("row").filter({ hasText: "204" });
  for (let i = 0; i < 100 && (await attempt.count()) === 0; i++) {
    await card.getByRole("button", { name: "Refresh" }).click();
    await card.getByRole("table", { name: "Delivery attempts" }).or(card.getByText("Nothing sent yet.")).waitFor();
  }
  assert.match(await attempt.textContent(), /test.*204/);
  await shot(page, "75-owner-webhook-log");
  assert.deepEqual(errors, []);
});
