// Lead quality end to end (issue 17 item 10): the owner adds a return reason for the organization (a bad code
// first), sees the campaign's return window, declares the campaign's lead fields (a bad key first: the error shows on
// its row) and a duplicate rule; the partner opens the posting instructions, copies the curl and runs it: a test lead
// (nothing stored), a real one, the same person again (refused as a duplicate, with the field), a bad one (every
// failing field named); on the same page it sends a test lead, then the same person again and a bad one from the
// form, and sees why each was refused; the owner approves the lead, then returns it with its own reason; the partner
// sees the reason and disputes; both dashboards count the open dispute; the owner reverses; the partner's lead is
// approved again and its payout restored.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { readFile } from "node:fs/promises";
import { startServer, startBrowser, shot, checkA11y, app } from "../harness.mjs";
import { startSmtp } from "../smtp.mjs";

const password = "correct horse battery staple";
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

async function login(page, email) {
  await page.goto(server.url + "/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

/** Runs a curl command as a partner's shell would, with the API key in the environment; returns status and body. */
async function runCurl(command, key) {
  const { stdout } = await promisify(execFile)("bash", ["-c", `${command} -sS -w '\\n%{http_code}'`], {
    env: { PATH: process.env.PATH, PARTNERDESK_API_KEY: key },
  });
  const at = stdout.lastIndexOf("\n");
  return { status: Number(stdout.slice(at + 1)), body: JSON.parse(stdout.slice(0, at)) };
}

test("fields, duplicates, posting instructions, returns and disputes in the browser", async () => {
  const { signUp } = await gql("SignUp", { input: { email: "owner@acme.test", password, organizationName: "Acme Leads" } });
  const owner = signUp.accessToken;
  const { createCampaign } = await gql("CreateCampaign",
    { input: { name: "Solar NY", timeZone: "America/New_York", landingUrl: "https://example.com/solar", formPayout: "12.50" } }, owner);
  const campaignId = createCampaign.id;
  await gql("AddMarketingPartner", { input: { campaignId, email: "pat@partner.test", caps: [] } }, owner);
  const email = await smtp.waitFor(/pat@partner\.test/);
  const token = email.match(/token=(pdi_[A-Za-z0-9_-]+)/)[1];
  const { acceptInvitation } = await gql("AcceptInvitation", { input: { token, name: "Pat", password } });
  const { createApiKey } = await gql("CreateApiKey", { name: "Landing page server", scope: "LEADS" }, acceptInvitation.accessToken);
  const key = createApiKey.key;

  const errors = [];
  const fetched = { owner: [], partner: [] };
  const context = async (who) => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    await ctx.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
    const page = await ctx.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("request", (r) => fetched[who].push(new URL(r.url()).pathname));
    return page;
  };

  // The owner adds a return reason of its own: a code with a space first, refused on its row.
  const ownerPage = await context("owner");
  await login(ownerPage, "owner@acme.test");
  await ownerPage.getByRole("heading", { name: "Campaigns" }).waitFor();
  await ownerPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Lead quality" }).click();
  await ownerPage.getByRole("heading", { name: "Return reasons" }).waitFor();
  const reasons = ownerPage.getByRole("table", { name: "Return reasons" });
  await reasons.getByLabel("Code of BAD_CONTACT_DATA").waitFor();
  assert.equal(await reasons.getByLabel("Code of BAD_CONTACT_DATA").inputValue(), "BAD_CONTACT_DATA");
  await ownerPage.getByRole("button", { name: "Add reason" }).click();
  await reasons.getByLabel("Code of new reason").fill("WRONG NUMBER");
  await reasons.getByLabel("Label of WRONG NUMBER").fill("Wrong number");
  await ownerPage.getByRole("button", { name: "Save reasons" }).click();
  await reasons.getByText("A code has 1 to 32 letters, digits and _.").waitFor();
  assert.equal(await reasons.getByLabel("Code of WRONG NUMBER").getAttribute("aria-invalid"), "true");
  await checkA11y(ownerPage, "return-reasons-error");
  await reasons.getByLabel("Code of WRONG NUMBER").fill("wrong_number");
  await ownerPage.getByRole("button", { name: "Save reasons" }).click();
  await ownerPage.getByText("Return reasons saved.").waitFor();
  // Saved as the server keeps it (upper-case), before OTHER.
  assert.equal(await reasons.getByLabel("Code of WRONG_NUMBER").inputValue(), "WRONG_NUMBER");
  await shot(ownerPage, "59-owner-organization-lead-quality");

  // The campaign's return window: 30 days unless changed.
  await ownerPage.goto(`${server.url}/campaigns/${campaignId}/settings`);
  assert.equal(await ownerPage.getByLabel("Return window (days)").inputValue(), "30");
  // The owner declares the fields: a bad key first, refused on its row.
  await ownerPage.getByRole("navigation", { name: "Campaign" }).getByRole("link", { name: "Lead quality" }).click();
  await ownerPage.getByRole("heading", { name: "Lead fields" }).waitFor();
  await ownerPage.getByText("No fields declared: free-form fields.").waitFor();
  const declare = [
    { key: "first_name", label: "First name", type: "TEXT", required: true, max: "50" },
    { key: "email", label: "Email", type: "EMAIL", required: true },
    { key: "phone", label: "Phone", type: "PHONE", required: true },
    { key: "zip", label: "ZIP code", type: "US_ZIP", required: false },
  ];
  const rows = ownerPage.locator("fieldset.lead-field");
  for (const [i, f] of declare.entries()) {
    await ownerPage.getByRole("button", { name: "Add field" }).click();
    const row = rows.nth(i);
    await row.getByLabel("Key").fill(i === 0 ? "1st name" : f.key);
    await row.getByLabel("Label").fill(f.label);
    await row.getByLabel("Type").selectOption(f.type);
    if (f.max) await row.getByLabel("Max length").fill(f.max);
    if (f.required) await row.getByLabel("Required").check();
  }
  await ownerPage.getByRole("button", { name: "Save fields" }).click();
  const rowError = rows.nth(0).getByRole("alert");
  await rowError.getByText(/"1st name" is not a field key/).waitFor();
  assert.equal(await rows.nth(0).getByLabel("Key").getAttribute("aria-invalid"), "true");
  await checkA11y(ownerPage, "lead-fields-error");
  await rows.nth(0).getByLabel("Key").fill("first_name");
  await ownerPage.getByRole("button", { name: "Save fields" }).click();
  await ownerPage.getByText("Lead fields saved.").waitFor();
  assert.equal(await rowError.count(), 0);

  // ...and a duplicate rule: the same phone or email within 30 days.
  await ownerPage.getByLabel("Match on").fill("phone, email");
  await ownerPage.getByLabel("Window", { exact: true }).fill("30");
  await ownerPage.getByLabel("Window unit").selectOption("DAYS");
  await ownerPage.getByRole("button", { name: "Save rule" }).click();
  await ownerPage.getByText("Duplicate rule saved.").waitFor();
  // What was saved is what a reload shows.
  await ownerPage.reload();
  await ownerPage.getByRole("group", { name: "first_name" }).waitFor();
  assert.equal(await rows.count(), 4);
  assert.equal(await ownerPage.getByRole("group", { name: "phone" }).getByLabel("Type").inputValue(), "PHONE");
  assert.equal(await ownerPage.getByLabel("Match on").inputValue(), "phone, email");
  assert.equal(await ownerPage.getByLabel("Window", { exact: true }).inputValue(), "30");
  await shot(ownerPage, "60-owner-lead-quality");

  // The partner opens the posting instructions from its campaign card.
  const partner = await context("partner");
  await login(partner, "pat@partner.test");
  await partner.getByRole("heading", { name: "Your campaigns" }).waitFor();
  await partner.getByRole("link", { name: "Posting instructions for Solar NY" }).click();
  await partner.getByRole("heading", { name: "Posting instructions: Solar NY" }).waitFor();
  const fieldsTable = partner.getByRole("table", { name: "Lead fields" });
  const phoneRow = fieldsTable.getByRole("row").filter({ hasText: "phone" });
  await phoneRow.getByText("Phone number").waitFor();
  await phoneRow.getByText("+12125550100").waitFor();
  await fieldsTable.getByRole("row").filter({ hasText: "first_name" }).getByText("Text, at most 50 characters").waitFor();
  assert.equal(await fieldsTable.getByRole("row").filter({ hasText: "zip" }).getByRole("cell").nth(3).innerText(), "No");
  await partner.getByText("A lead whose phone or email matches a lead received in the last 720 hours on this campaign is refused (DUPLICATE_LEAD).").waitFor();
  await partner.getByText("DUPLICATE_LEAD", { exact: true }).waitFor();

  // The Markdown download is the server's document.
  const [download] = await Promise.all([partner.waitForEvent("download"), partner.getByRole("button", { name: "Download as Markdown" }).click()]);
  assert.equal(download.suggestedFilename(), "posting-instructions-solar-ny.md");
  const markdown = await readFile(await download.path(), "utf8");
  const served = await fetch(`${server.url}/v1/campaigns/${campaignId}/posting-instructions.md`, { headers: { authorization: `Bearer ${owner}` } });
  assert.equal(markdown, await served.text());

  // Copy the curl: the clipboard holds exactly what the page shows.
  await partner.getByRole("button", { name: "Copy curl command" }).click();
  await partner.getByText("Copied to the clipboard.").waitFor();
  const curl = await partner.evaluate(() => navigator.clipboard.readText());
  assert.equal(curl, await partner.locator(".code-block pre").innerText());
  assert.match(curl, /X-Test-Lead: 1/);
  await shot(partner, "61-partner-posting-instructions");

  // A test lead: answered like a real one, nothing stored.
  const tested = await runCurl(curl, key);
  assert.equal(tested.status, 201, JSON.stringify(tested.body));
  assert.equal(tested.body.test, true);
  // The same from the page's form, prefilled with the example lead.
  const form = partner.getByRole("form", { name: "Send a lead from here" });
  assert.equal(await form.getByLabel("Phone (phone), required").inputValue(), "+12125550100");
  await form.getByRole("button", { name: "Send test lead" }).click();
  await form.getByText("Test lead accepted.").waitFor();
  // A real one: the same command without the test header.
  const real = curl.replace(/\n\s*-H 'X-Test-Lead: 1' \\/, "");
  assert.doesNotMatch(real, /X-Test-Lead/);
  const first = await runCurl(real, key);
  assert.equal(first.status, 201, JSON.stringify(first.body));
  assert.equal(first.body.status, "RECEIVED");
  // The same person again: refused, with the field that matched.
  const again = await runCurl(real, key);
  assert.equal(again.status, 409);
  assert.equal(again.body.error.code, "DUPLICATE_LEAD");
  assert.ok(["phone", "email"].includes(again.body.error.field), again.body.error.field);
  assert.equal(again.body.error.samePartner, true);
  // A bad one: every failing field named.
  const body = real.match(/-d '([\s\S]*)'$/)[1];
  const lead = JSON.parse(body);
  lead.fields = { ...lead.fields, email: "not an email", phone: "12", first_name: "" };
  const bad = await runCurl(real.replace(body, JSON.stringify(lead)), key);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, "VALIDATION");
  assert.deepEqual(bad.body.error.fields.map((f) => f.field), ["first_name", "email", "phone"]);

  // From the page: the same person again, for real (test unticked), is refused and the page says why and since when.
  await form.getByLabel("Test only: check and answer, store nothing").uncheck();
  await form.getByRole("button", { name: "Send lead" }).click();
  await form.getByText("Refused: DUPLICATE_LEAD.").waitFor();
  assert.match(await form.locator(".answer").innerText(), /A lead with the same (phone|email) arrived from you on .*20\d\d/);
  await shot(partner, "68-partner-send-form-duplicate");
  // A bad one: each failing field marked under its input.
  await form.getByLabel("First name (first_name), required").fill("");
  await form.getByLabel("Email (email), required").fill("not an email");
  await form.getByLabel("Phone (phone), required").fill("12");
  await form.getByRole("button", { name: "Send lead" }).click();
  await form.getByText("Refused: VALIDATION.").waitFor();
  for (const label of ["First name (first_name), required", "Email (email), required", "Phone (phone), required"]) {
    assert.equal(await form.getByLabel(label).getAttribute("aria-invalid"), "true", label);
  }
  assert.equal(await form.getByLabel("ZIP code (zip)").getAttribute("aria-invalid"), "false");
  // The message sits under its input, which names it (aria-describedby).
  const firstName = form.getByLabel("First name (first_name), required");
  const described = await firstName.getAttribute("aria-describedby");
  assert.equal(await form.locator(`#${described}`).innerText(), "First name is required.");
  await checkA11y(partner, "send-form-validation");
  await shot(partner, "69-partner-send-form-invalid");

  // One lead stored: the real one.
  await partner.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Leads" }).click();
  await partner.getByText("1 lead", { exact: true }).waitFor();
  await partner.getByRole("row").filter({ hasText: "your-lead-id-123" }).getByText("Received").waitFor();

  // The owner approves, then returns the lead with a reason.
  await ownerPage.getByRole("navigation", { name: "Campaign" }).getByRole("link", { name: "Leads" }).click();
  await ownerPage.getByText("1 lead", { exact: true }).waitFor();
  const ownerRow = ownerPage.getByRole("row").filter({ hasText: "pat@partner.test" });
  await ownerRow.getByRole("checkbox").check();
  await ownerPage.getByRole("button", { name: "Approve" }).click();
  await ownerPage.getByText("1 lead approved.").waitFor();
  await ownerRow.getByRole("button", { name: "Return…" }).click();
  const returning = ownerPage.getByRole("dialog", { name: "Return this lead" });
  await returning.getByRole("button", { name: "Return lead" }).click();
  await returning.locator("#reasonCode-error").waitFor();
  assert.equal(await returning.getByLabel("Reason").getAttribute("aria-invalid"), "true");
  await checkA11y(ownerPage, "return-lead-dialog-error");
  await returning.getByLabel("Reason").selectOption({ label: "Wrong number" });
  await returning.getByLabel("Details").fill("The phone number is disconnected.");
  await shot(ownerPage, "62-owner-return-dialog");
  await returning.getByRole("button", { name: "Return lead" }).click();
  await ownerPage.getByText("Lead returned: its payout is reversed.").waitFor();
  await ownerRow.getByText("Returned").waitFor();
  await ownerRow.getByText(/Wrong number/).waitFor();

  // The partner sees the return and its reason, and disputes it.
  await partner.reload();
  const partnerRow = partner.getByRole("row").filter({ hasText: "your-lead-id-123" });
  await partnerRow.getByText("Returned").waitFor();
  await partnerRow.getByText(/Wrong number.*disconnected/).waitFor();
  assert.match(await partnerRow.innerText(), /0\.00 USD/);
  await partnerRow.getByRole("button", { name: "Dispute…" }).click();
  const disputing = partner.getByRole("dialog", { name: "Dispute this decision" });
  await disputing.getByLabel("Message").fill("The consumer answered on this number yesterday; call log attached to ticket 4411.");
  await disputing.getByRole("button", { name: "Send dispute" }).click();
  await partner.getByText("Dispute sent: the advertiser will answer it.").waitFor();
  await partnerRow.getByText("Disputed: waiting for an answer").waitFor();
  assert.equal(await partnerRow.getByRole("button", { name: "Dispute…" }).count(), 0);
  await shot(partner, "63-partner-lead-disputed");
  await partner.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();
  await partner.getByText("1 open dispute", { exact: true }).waitFor();
  // A returned lead stays approved in the figures: 1 returned of 1 approved.
  await partner.locator('.kpi[data-metric="returnRate"] .kpi-value', { hasText: /^100\.0%$/ }).waitFor();
  await shot(partner, "64-partner-dashboard-open-dispute");

  // The owner sees the open dispute, finds it with the filter, and reverses the return.
  await ownerPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Campaigns" }).click();
  await ownerPage.getByText("1 open dispute", { exact: true }).waitFor();
  await shot(ownerPage, "65-owner-campaigns-open-dispute");
  await ownerPage.goto(`${server.url}/campaigns/${campaignId}/leads`);
  await ownerPage.getByLabel("Disputes").selectOption("OPEN");
  await ownerPage.getByText("1 lead", { exact: true }).waitFor();
  await ownerRow.getByRole("button", { name: "Answer dispute…" }).click();
  const answering = ownerPage.getByRole("dialog", { name: "Answer the dispute" });
  await answering.getByText("call log attached to ticket 4411").waitFor();
  await answering.getByRole("button", { name: "Uphold decision" }).click();
  await answering.locator("#reply-error").waitFor();
  await checkA11y(ownerPage, "answer-dispute-dialog-error");
  await answering.getByRole("button", { name: "Reverse decision" }).click();
  await ownerPage.getByText("Decision reversed: the lead is back to its status before it.").waitFor();
  await ownerPage.getByText("No leads here").waitFor();
  await ownerPage.getByLabel("Disputes").selectOption("");
  await ownerRow.getByText("Approved").waitFor();
  await ownerRow.getByText("Dispute accepted: decision reversed").waitFor();
  await shot(ownerPage, "66-owner-dispute-reversed");

  // The partner's lead is approved again, its payout restored; no dispute is open any more.
  await partner.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Leads" }).click();
  await partnerRow.getByText("Approved").waitFor();
  await partnerRow.getByText("Dispute accepted: decision reversed").waitFor();
  assert.match(await partnerRow.innerText(), /12\.50 USD/);
  await shot(partner, "67-partner-lead-reinstated");
  await partner.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();
  await partner.getByRole("heading", { name: "Your campaigns" }).waitFor();
  await partner.locator('.kpi[data-metric="returnRate"] .kpi-value', { hasText: /^0\.0%$/ }).waitFor();
  const partnerToken = (await gql("Login", { input: { email: "pat@partner.test", password } })).login.accessToken;
  assert.equal((await gql("OpenDisputes", { as: "PARTNER" }, partnerToken)).openDisputes, 0);
  assert.equal((await gql("OpenDisputes", { as: "OWNER" }, owner)).openDisputes, 0);
  assert.equal(await partner.getByText(/open dispute/).count(), 0);
  assert.deepEqual(errors, []);

  // The owner's Lead quality page came with the owner's other pages, the posting instructions with the partner's;
  // neither side fetched any of the other's modules.
  const module = (name) => new RegExp(`^/split_${name}_[0-9]+-[0-9a-f]{16}\\.wasm$`);
  assert.ok(fetched.owner.some((p) => module("owner_more").test(p)), fetched.owner.join("\n"));
  assert.ok(fetched.partner.some((p) => module("partner_more").test(p)), fetched.partner.join("\n"));
  assert.deepEqual(fetched.partner.filter((p) => module("owner_[a-z]+").test(p)), []);
  assert.deepEqual(fetched.owner.filter((p) => module("partner_[a-z]+").test(p)), []);
});
