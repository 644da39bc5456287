// The owner's first session: sign up, create a campaign, see it, edit it, survive a reload, archive it, log out.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startBrowser, shot } from "../harness.mjs";

let server, browser;
before(async () => {
  server = await startServer();
  browser = await startBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test("an owner signs up, manages a campaign and stays signed in across a reload", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));

  // Signed out, the app sends you to log in.
  await page.goto(server.url + "/campaigns");
  await page.getByRole("heading", { name: "Log in to Partnerdesk" }).waitFor();
  assert.match(page.url(), /\/login\?next=\/campaigns$/);
  await shot(page, "01-login");

  // Wrong credentials are explained, not silently ignored.
  await page.getByLabel("Email").fill("nobody@example.com");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("alert").filter({ hasText: "Wrong email or password." }).waitFor();

  await page.getByRole("link", { name: "Create an account" }).click();
  await page.getByRole("heading", { name: "Create your Partnerdesk account" }).waitFor();
  await page.getByLabel("Organization name").fill("Acme Leads");
  await page.getByLabel("Email").fill("owner@example.com");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Sign up" }).click();
  // The server's validation message appears beside its field.
  await page.locator("#password-error").filter({ hasText: "at least 10 characters" }).waitFor();
  await shot(page, "02-signup-validation");
  await page.getByLabel("Password").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Sign up" }).click();

  await page.getByRole("heading", { name: "No campaigns yet" }).waitFor();
  await shot(page, "03-campaigns-empty");
  // From here on, links are followed by the app in this document (checked below): no page loads.
  await page.evaluate(() => { window.sameDocument = true; });

  await page.getByRole("link", { name: "New campaign" }).click();
  await page.getByRole("heading", { name: "New campaign" }).waitFor();
  await page.getByLabel("Name").fill("Solar NY");
  await page.getByLabel("Time zone").selectOption("America/New_York");
  await page.getByLabel("Landing page URL").fill("example.com/solar");
  await page.getByLabel("Payout per form").fill("12.50");
  await page.getByRole("button", { name: "Create campaign" }).click();
  await page.locator("#landingUrl-error").filter({ hasText: "not an absolute URL" }).waitFor();
  await shot(page, "04-campaign-new-validation");
  await page.getByLabel("Landing page URL").fill("https://example.com/solar");
  await page.getByRole("button", { name: "Create campaign" }).click();
  await page.getByText("Campaign created.").waitFor();

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Campaigns" }).click();
  const row = page.getByRole("row").filter({ hasText: "Solar NY" });
  await row.waitFor();
  assert.match(await row.innerText(), /America\/New_York[\s\S]*12\.50 USD/);
  await shot(page, "05-campaigns-list");

  await row.getByRole("link", { name: "Solar NY" }).click();
  // The campaign opens on its Overview; its settings are a tab.
  await page.getByRole("heading", { name: "No traffic in this period" }).waitFor();
  await page.getByRole("navigation", { name: "Campaign" }).getByRole("link", { name: "Settings" }).click();
  await page.getByLabel("Name").waitFor();
  await page.getByLabel("Name").fill("Solar New York");
  await page.getByLabel("Payout per call").fill("40");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByText("Changes saved.").waitFor();
  await shot(page, "06-campaign-edit");

  // The main navigation marks the section shown; Back and Forward walk the pages the links opened, in this document.
  const main = page.getByRole("navigation", { name: "Main" });
  assert.equal(await main.getByRole("link", { name: "Campaigns" }).getAttribute("aria-current"), "page");
  assert.equal(await main.getByRole("link", { name: "Partners" }).getAttribute("aria-current"), null);
  const settings = page.url();
  assert.match(settings, /\/campaigns\/[^/]+\/settings$/);
  await page.goBack();
  await page.getByRole("heading", { name: "No traffic in this period" }).waitFor();
  assert.equal(page.url(), settings.replace(/\/settings$/, ""));
  await page.goBack();
  await page.getByRole("row").filter({ hasText: "Solar New York" }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/campaigns");
  await page.goForward();
  await page.goForward();
  await page.getByLabel("Payout per call").waitFor();
  assert.equal(page.url(), settings);
  assert.equal(await page.evaluate(() => window.sameDocument), true, "a link or Back loaded the page again");

  // A reload loses the in-memory access token; the HttpOnly cookie brings the session back. The session check is
  // the one index.html sends before the app starts, read by the app: one request, not a second from the app.
  const checks = [];
  const onRequest = (r) => {
    if (r.method() === "POST" && r.url().endsWith("/graphql") && (r.postData() || "").includes('"operationName":"RefreshSession"')) checks.push(r);
  };
  page.on("request", onRequest);
  await page.reload();
  await page.getByRole("heading", { name: "Solar New York" }).waitFor();
  page.off("request", onRequest);
  assert.equal(checks.length, 1, "one session check per page load");
  assert.equal(await page.getByLabel("Payout per call").inputValue(), "40.00");

  await page.getByRole("button", { name: "Archive…" }).click();
  const dialog = page.getByRole("dialog", { name: "Archive this campaign?" });
  await dialog.waitFor();
  await shot(page, "07-archive-confirm");
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
  await page.getByRole("button", { name: "Archive…" }).click();
  await dialog.getByRole("button", { name: "Archive campaign" }).click();
  await page.getByText("Campaign archived.").waitFor();
  await page.locator(".page-head .badge").filter({ hasText: "Archived" }).waitFor();

  // The list's filter is in the address: the app follows it, and Back brings the filter before it back.
  await page.evaluate(() => { window.sameDocument = true; });
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Campaigns" }).click();
  await page.getByLabel("Status").selectOption("ARCHIVED");
  await page.waitForURL(/\/campaigns\?status=ARCHIVED$/);
  await page.getByRole("row").filter({ hasText: "Solar New York" }).waitFor();
  await page.getByLabel("Status").selectOption("ACTIVE");
  await page.getByRole("heading", { name: "No campaigns with this status" }).waitFor();
  await page.goBack();
  await page.getByRole("row").filter({ hasText: "Solar New York" }).waitFor();
  assert.equal(await page.getByLabel("Status").inputValue(), "ARCHIVED");
  assert.equal(await page.evaluate(() => window.sameDocument), true, "the filter loaded the page again");

  await page.goto(server.url + "/campaigns?status=ARCHIVED");
  await page.getByRole("row").filter({ hasText: "Solar New York" }).waitFor();

  await page.goto(server.url + "/no/such/page");
  await page.getByRole("heading", { name: "Page not found" }).waitFor();
  await shot(page, "08-not-found");

  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByRole("heading", { name: "Log in to Partnerdesk" }).waitFor();
  await page.goto(server.url + "/campaigns");
  await page.getByRole("heading", { name: "Log in to Partnerdesk" }).waitFor();
  assert.match(page.url(), /\/login/);

  assert.deepEqual(errors, []);
  await context.close();
});

test("the app reads well on a 360 px phone", async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  const page = await context.newPage();
  await page.goto(server.url + "/signup");
  await page.getByRole("heading", { name: "Create your Partnerdesk account" }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(overflow, false, "the sign-up page scrolls sideways at 360 px");
  await shot(page, "09-signup-360px");
  await context.close();
});
