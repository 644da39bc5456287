// One login, many advertisers: a partner registered with Acme Leads is invited by Beta Media with the same email in
// another letter case; the email says to log in; on the register page the partner logs in and accepts; one API key
// sends a lead to each advertiser's campaign; the portal shows both campaigns with their advertisers, one total per
// currency and a filter by advertiser; Beta's owner sees the partner and nothing of Acme. Then an owner who is also
// a partner switches sides in the header, and the browser remembers the side.
// Emails are the .eml files of the server's outbox (no SMTP_URL).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { startServer, startBrowser, shot, app } from "../harness.mjs";

const password = "correct horse battery staple";
let server, browser;
before(async () => {
  server = await startServer();
  browser = await startBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A MIME message as text: base64 and quoted-printable parts decoded (UTF-8). */
function decodeEmail(raw) {
  const base64 = raw.replace(/Content-Transfer-Encoding: base64\r?\n((?:[^\r\n]+\r?\n)*?)\r?\n([A-Za-z0-9+/=\r\n]+)/g,
    (_, headers, body) => headers + "\n" + Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8"));
  const bytes = base64.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, "latin1").toString("utf8");
}

/** Waits (up to 20 s) for an email in the server's outbox that matches every pattern; returns it decoded. */
async function waitForEmail(...patterns) {
  const dir = join(server.dataDir, "outbox");
  const deadline = Date.now() + 20000;
  for (;;) {
    const names = await readdir(dir).catch(() => []);
    for (const name of names.filter((n) => n.endsWith(".eml"))) {
      const text = decodeEmail(await readFile(join(dir, name), "utf8"));
      if (patterns.every((p) => p.test(text))) return text;
    }
    if (Date.now() > deadline) throw new Error(`no email matching ${patterns.join(" and ")} in ${dir} (${names.length} files)`);
    await delay(100); // poll the folder: the relay writes the file within a moment
  }
}

const registerLink = (email) => email.match(/https?:\/\/[^\s"<]+\/register\?token=pdi_[A-Za-z0-9_-]+/)[0];

const gql = (operation, variables, token) => app(server, operation, variables, token);

const ownerToken = async (email) =>
  (await gql("Login", { input: { email, password } })).login.accessToken;

async function signUp(page, organization, email) {
  await page.goto(server.url + "/signup");
  await page.getByLabel("Organization name").fill(organization);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByRole("heading", { name: "No campaigns yet" }).waitFor();
}

/** Creates a campaign in the owner's UI; returns its id. */
async function createCampaign(page, { name, timeZone, currency, formPayout }) {
  await page.getByRole("link", { name: "New campaign" }).first().click();
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Time zone").selectOption(timeZone);
  await page.getByLabel("Landing page URL").fill("https://example.com/" + name.toLowerCase().replaceAll(" ", "-"));
  await page.getByLabel("Currency").fill(currency);
  await page.getByLabel("Payout per form").fill(formPayout);
  await page.getByRole("button", { name: "Create campaign" }).click();
  await page.getByText("Campaign created.").waitFor();
  return new URL(page.url()).pathname.split("/")[2];
}

async function invite(page, email) {
  await page.getByRole("navigation", { name: "Campaign" }).getByRole("link", { name: "Marketing Partners" }).click();
  await page.getByRole("button", { name: "Add Marketing Partner" }).click();
  const dialog = page.getByRole("dialog", { name: "Add Marketing Partner" });
  await dialog.getByLabel("Partner's email").fill(email);
  await dialog.getByRole("button", { name: "Next" }).click();
  await dialog.getByRole("button", { name: "Submit" }).click();
  await page.getByText(`Invitation sent to ${email.toLowerCase()}.`).waitFor();
}

const kpi = (page, metric) => page.locator(`.kpi[data-metric="${metric}"] .kpi-value`);

test("a partner of two advertisers accepts the second invitation with its login and sees both", async () => {
  const errors = [];
  // "Today" of the all-campaign dashboards is the viewer's; in Tokyo it is never before New York's or Berlin's, so
  // the last 7 days hold today's traffic of both campaigns at any hour.
  const newPage = async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: "Asia/Tokyo" })).newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    return page;
  };

  // Owner A: a USD campaign, and an invitation for a new email.
  const ownerA = await newPage();
  await signUp(ownerA, "Acme Leads", "owner@acme.test");
  const solar = await createCampaign(ownerA, { name: "Solar NY", timeZone: "America/New_York", currency: "USD", formPayout: "12.50" });
  await invite(ownerA, "partner@example.com");
  const first = await waitForEmail(/To: .*partner@example\.com/i, /Acme Leads/, /register\?token=/);
  assert.doesNotMatch(first, /Log in to accept/, "a new email registers");

  // The partner registers from A's email.
  const partner = await newPage();
  await partner.goto(registerLink(first));
  await partner.getByRole("heading", { name: "Join Acme Leads on Partnerdesk" }).waitFor();
  await partner.getByLabel("Your name or company").fill("Pat Partner");
  await partner.getByLabel("Password", { exact: true }).fill(password);
  await partner.getByLabel("Confirm password").fill(password);
  await partner.getByRole("button", { name: "Create account" }).click();
  await partner.getByRole("heading", { name: "Your campaigns" }).waitFor();
  await partner.getByRole("button", { name: "Log out" }).click();
  await partner.getByRole("heading", { name: "Log in to Partnerdesk" }).waitFor();

  // Owner B, in another browser: a EUR campaign, and the same email in another letter case.
  const ownerB = await newPage();
  await signUp(ownerB, "Beta Media", "owner@beta.test");
  const strom = await createCampaign(ownerB, { name: "Strom Berlin", timeZone: "Europe/Berlin", currency: "EUR", formPayout: "7.00" });
  await invite(ownerB, "PARTNER@Example.com");
  const second = await waitForEmail(/To: .*partner@example\.com/i, /Beta Media/, /register\?token=/);
  assert.match(second, /Log in to accept/);
  const link = registerLink(second);

  // Signed in as another account, the page says whose invitation it is and offers to switch; nothing changes.
  await ownerA.goto(link);
  await ownerA.getByRole("heading", { name: "Join Beta Media on Partnerdesk" }).waitFor();
  await ownerA.getByRole("alert").filter({ hasText: "partner@example.com" }).waitFor();
  await ownerA.getByRole("button", { name: "Log out and log in as partner@example.com" }).click();
  await ownerA.getByText("You already have a Partnerdesk account with partner@example.com. Log in to accept.").waitFor();

  // The partner opens B's link: it already has an account, logs in there and accepts.
  await partner.goto(link);
  await partner.getByRole("heading", { name: "Join Beta Media on Partnerdesk" }).waitFor();
  await partner.getByText("You already have a Partnerdesk account with partner@example.com. Log in to accept.").waitFor();
  const email = partner.getByLabel("Email");
  assert.equal(await email.inputValue(), "partner@example.com");
  assert.equal(await email.getAttribute("readonly"), "");
  assert.equal(await partner.getByLabel("Your name or company").count(), 0, "the account has a name: none asked");
  await shot(partner, "30-register-existing-account");
  await partner.getByLabel("Password", { exact: true }).fill("not the password");
  await partner.getByRole("button", { name: "Log in and accept" }).click();
  await partner.getByRole("alert").filter({ hasText: "Wrong email or password." }).waitFor();
  await partner.getByLabel("Password", { exact: true }).fill(password);
  await partner.getByRole("button", { name: "Log in and accept" }).click();
  await partner.getByRole("heading", { name: "Your campaigns" }).waitFor();
  assert.match(new URL(partner.url()).pathname, /^\/portal$/);

  // Both advertisers' campaigns, each with its advertiser and time zone.
  const solarCard = partner.locator(".campaign-card").filter({ hasText: "Solar NY" });
  const stromCard = partner.locator(".campaign-card").filter({ hasText: "Strom Berlin" });
  await solarCard.getByText("Acme Leads", { exact: true }).waitFor();
  await solarCard.getByText("America/New_York").waitFor();
  await stromCard.getByText("Beta Media", { exact: true }).waitFor();
  await stromCard.getByText("Europe/Berlin").waitFor();
  await stromCard.getByText("7.00 EUR").waitFor();

  // One API key, made in the portal, for every advertiser; a lead to each campaign.
  await partner.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API access" }).click();
  await partner.getByLabel("Key name").fill("Lead router");
  assert.equal(await partner.getByLabel("Organization").inputValue(), "", "all advertisers unless limited");
  await partner.getByRole("button", { name: "Create key" }).click();
  const key = await (async () => { const f = partner.getByLabel("New key"); await f.waitFor(); return f.inputValue(); })();
  assert.match(key, /^pdk_/);
  await partner.getByRole("row").filter({ hasText: "Lead router" }).getByText("All advertisers").waitFor();
  for (const [campaignId, externalId] of [[solar, "crm-usd"], [strom, "crm-eur"]]) {
    const res = await fetch(server.url + "/v1/leads", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ campaignId, type: "form", externalId, fields: { name: externalId } }),
    });
    assert.equal(res.status, 201, await res.text());
  }
  // Each owner approves the lead it received, and sees only that one.
  for (const owner of ["owner@acme.test", "owner@beta.test"]) {
    const token = await ownerToken(owner);
    const { leads } = await gql("CampaignLeads", { filter: {}, first: 100 }, token);
    assert.equal(leads.totalCount, 1, `${owner} sees one lead`);
    await gql("SetLeadStatus", { ids: leads.nodes.map((l) => l.id), status: "APPROVED" }, token);
  }

  // Two totals, one per currency, never added up.
  await partner.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();
  await partner.locator('.kpi[data-metric="submitted"] .kpi-value', { hasText: /^2$/ }).waitFor();
  const earnings = await kpi(partner, "earnings").innerText();
  assert.match(earnings, /12\.50 USD/);
  assert.match(earnings, /7\.00 EUR/);
  assert.match(earnings, / · /);
  assert.doesNotMatch(earnings, /19\.50/);
  assert.match(await partner.getByRole("row").filter({ hasText: "Solar NY" }).innerText(), /12\.50 USD/);
  assert.match(await partner.getByRole("row").filter({ hasText: "Strom Berlin" }).innerText(), /7\.00 EUR/);
  await partner.getByText(/Marketing partner of (Acme Leads and Beta Media|Beta Media and Acme Leads)/).waitFor();
  await shot(partner, "31-partner-two-advertisers");

  // The advertiser filter narrows the figures, the campaigns and the leads.
  await partner.getByLabel("Advertiser").selectOption({ label: "Beta Media" });
  await partner.locator('.kpi[data-metric="earnings"] .kpi-value', { hasText: /^7\.00 EUR$/ }).waitFor();
  await partner.locator('.kpi[data-metric="submitted"] .kpi-value', { hasText: /^1$/ }).waitFor();
  await solarCard.waitFor({ state: "detached" });
  await stromCard.waitFor();
  await shot(partner, "32-partner-advertiser-filter");
  await partner.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Leads" }).click();
  await partner.getByText("1 lead", { exact: true }).waitFor();
  const lead = partner.getByRole("row").filter({ hasText: "crm-eur" });
  assert.match(await lead.innerText(), /Strom Berlin · Beta Media[\s\S]*Approved[\s\S]*7\.00 EUR/);
  await partner.getByLabel("Advertiser").selectOption({ label: "All advertisers" });
  await partner.getByText("2 leads", { exact: true }).waitFor();

  // Owner B: the partner on the Marketing Partners tab, and nothing of Acme anywhere.
  await ownerB.goto(`${server.url}/campaigns/${strom}/partners`);
  await ownerB.getByRole("row").filter({ hasText: "partner@example.com" }).getByText("Active").waitFor();
  await ownerB.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Partners" }).click();
  await ownerB.getByRole("heading", { name: "Marketing partners" }).waitFor();
  await ownerB.getByRole("row").filter({ hasText: "partner@example.com" }).waitFor();
  await ownerB.getByRole("link", { name: /partner@example\.com|Pat Partner/ }).first().click();
  await ownerB.locator('.kpi[data-metric="submitted"] .kpi-value', { hasText: /^1$/ }).waitFor();
  await ownerB.locator('.kpi[data-metric="earnings"] .kpi-value', { hasText: /^7\.00 EUR$/ }).waitFor();
  const seenByB = await ownerB.locator("main").innerText();
  assert.doesNotMatch(seenByB, /Acme|Solar NY|USD|12\.50/);

  assert.deepEqual(errors, []);
});

test("an owner who is also a partner switches between its organization and the partner portal", async () => {
  const errors = [];
  // Owner C invites owner D's email; D, signed in, accepts on the register page (D signed up without a name: the
  // page asks for one).
  const { signUp: c } = await gql("SignUp", { input: { email: "owner@gamma.test", password, organizationName: "Gamma Leads" } });
  await gql("SignUp", { input: { email: "owner@delta.test", password, organizationName: "Delta Media" } });
  const { createCampaign } = await gql("CreateCampaign",
    { input: { name: "Roofing TX", timeZone: "America/Chicago", landingUrl: "https://example.com/roof", formPayout: "9.00" } }, c.accessToken);
  await gql("AddMarketingPartner",
    { input: { campaignId: createCampaign.id, email: "owner@delta.test" } }, c.accessToken);
  const mail = await waitForEmail(/To: .*owner@delta\.test/i, /Gamma Leads/, /register\?token=/);
  assert.match(mail, /Log in to accept/);

  const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(server.url + "/login");
  await page.getByLabel("Email").fill("owner@delta.test");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "No campaigns yet" }).waitFor();
  // Owner only so far: no switch.
  assert.equal(await page.getByRole("group", { name: "Workspace" }).count(), 0);

  await page.goto(registerLink(mail));
  await page.getByText("You are logged in as owner@delta.test.").waitFor();
  // An owner signs up without a name: the invitation asks for one.
  await page.getByRole("button", { name: "Accept invitation" }).click();
  await page.locator("#name-error").waitFor();
  await page.getByLabel("Your name or company").fill("Delta Media");
  await page.getByRole("button", { name: "Accept invitation" }).click();
  await page.getByRole("heading", { name: "Your campaigns" }).waitFor();
  await page.locator(".campaign-card").filter({ hasText: "Roofing TX" }).getByText("Gamma Leads", { exact: true }).waitFor();
  // The invitation's page is not one whose queries this browser keeps for its next visit (frontend/src/api.rs,
  // "Opening requests"): nothing of it, its token least of all, is in localStorage.
  const kept = await page.evaluate(() => localStorage.getItem("partnerdesk.opening") || "");
  assert.ok(!kept.includes("pdi_") && !kept.includes("/register") && !kept.includes("InvitationPreview"), kept);

  const sides = page.getByRole("group", { name: "Workspace" });
  const mine = sides.getByRole("button", { name: "My organization" });
  const portal = sides.getByRole("button", { name: "Partner portal" });
  assert.equal(await portal.getAttribute("aria-pressed"), "true");
  // By keyboard: Shift+Tab from one side reaches the other, its focus shows, Enter switches.
  await portal.focus();
  await page.keyboard.press("Shift+Tab");
  assert.equal(await mine.evaluate((b) => b === document.activeElement && b.matches(":focus-visible")), true);
  assert.equal(await mine.evaluate((b) => getComputedStyle(b).outlineStyle), "solid", "visible focus");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "No campaigns yet" }).waitFor();
  assert.equal(await mine.getAttribute("aria-pressed"), "true");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Campaigns" }).waitFor();
  await shot(page, "33-owner-and-partner-switch");

  // The side is remembered: after a reload, / opens it again.
  await portal.click();
  await page.getByRole("heading", { name: "Your campaigns" }).waitFor();
  await page.goto(server.url + "/");
  await page.getByRole("heading", { name: "Your campaigns" }).waitFor();
  assert.match(new URL(page.url()).pathname, /^\/portal$/);
  await mine.click();
  await page.getByRole("heading", { name: "No campaigns yet" }).waitFor();
  await page.goto(server.url + "/");
  await page.getByRole("heading", { name: "No campaigns yet" }).waitFor();
  assert.match(new URL(page.url()).pathname, /^\/campaigns$/);

  assert.deepEqual(errors, []);
});
