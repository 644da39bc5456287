// The partner's home on a slow phone (issue 18 item 6): Chromium's network throttled to Lighthouse's slow 4G
// (150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up) and its CPU slowed 4x, an empty HTTP cache (a first visit
// after logging in elsewhere), then the same with the cache filled (a return visit). Measured: the time from the
// navigation's start until the dashboard shows its figures, and how long the app then takes to answer a click (from
// the click's event until the Leads page shows its list); "interactive" is their sum: the page drawn, and a click
// made at that moment answered. (The wall-clock time until the answer is kept too: it adds the time Playwright takes
// between seeing the figures and clicking, 150-310 ms at 4x, which is the harness's, not the app's.) A
// benchmark, not a timed test: the test checks that the page gets there under throttling and writes the figures to
// e2e/artifacts/slow-network.json and its output (bench/README.md keeps them); how fast is not asserted.
// A returning partner's pages ask for their queries before their modules arrive (frontend/src/api.rs, "Opening
// requests"; e2e/tests/returning.test.mjs): the home from the first run on (the login went through it), the Leads page
// from the second (the first run's click was its first opening in this browser).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startServer, startBrowser, app, artifacts } from "../harness.mjs";
import { startSmtp } from "../smtp.mjs";

const password = "correct horse battery staple";
let server, smtp, browser;

before(async () => {
  smtp = await startSmtp();
  server = await startServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}` });
  browser = await startBrowser();
  const { signUp } = await app(server, "SignUp", { input: { email: "owner@acme.test", password, organizationName: "Acme Leads" } });
  const { createCampaign } = await app(server, "CreateCampaign", { input: { name: "Solar NY", timeZone: "America/New_York",
    landingUrl: "https://example.com/solar", formPayout: "12.50" } }, signUp.accessToken);
  await app(server, "AddMarketingPartner", { input: { campaignId: createCampaign.id, email: "pat@partner.test" } }, signUp.accessToken);
  const email = await smtp.waitFor(/pat@partner\.test/);
  const token = email.match(/token=(pdi_[A-Za-z0-9_-]+)/)[1];
  const { acceptInvitation } = await app(server, "AcceptInvitation", { input: { token, name: "Pat Partner", password } });
  const { createApiKey } = await app(server, "CreateApiKey", { name: "Script", scope: "LEADS" }, acceptInvitation.accessToken);
  for (let i = 0; i < 3; i++) {
    const res = await fetch(server.url + "/v1/leads", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${createApiKey.key}` },
      body: JSON.stringify({ campaignId: createCampaign.id, type: "form", fields: { name: `Lead ${i}` } }),
    });
    assert.equal(res.status, 201);
  }
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.close();
});

/** Lighthouse's mobile "slow 4G" and 4x CPU slowdown, on one page. */
async function throttle(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 150,
    downloadThroughput: (1.6 * 1024 * 1024) / 8,
    uploadThroughput: (750 * 1024) / 8,
  });
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  return cdp;
}

/**
 * performance.now() in the page at the first animation frame in which `condition` holds: the page checks it every
 * frame. (Playwright's own waiting retries at 0, 20, 50, 100, 100 ms and then every 500 ms, so a figure taken after it
 * could come up to half a second after the page had drawn what it waited for.)
 */
async function frameWhen(page, condition) {
  const handle = await page.waitForFunction(condition, null, { polling: "raf", timeout: 60000 });
  return Math.round(await handle.jsonValue());
}

/**
 * Opens /portal; milliseconds from the navigation's start to the figures shown, from the click on Leads to its
 * answer, their sum (interactive), and the wall-clock time of the answer.
 */
async function visit(page) {
  await page.goto(server.url + "/portal", { waitUntil: "commit" });
  const shown = await frameWhen(page, () =>
    document.querySelector('.kpi[data-metric="submitted"] .kpi-value')?.textContent === "3" && performance.now());
  await page.evaluate(() => document.addEventListener("click", () => { window.clickedAt = performance.now(); },
    { capture: true, once: true }));
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Leads" }).click();
  const answeredAt = await frameWhen(page, () =>
    [...document.querySelectorAll("main span.muted")].some((s) => s.textContent === "3 leads") && performance.now());
  const clickedAt = await page.evaluate(() => window.clickedAt);
  assert.ok(clickedAt > shown && clickedAt < answeredAt, `the click (${clickedAt}) came between ${shown} and ${answeredAt}`);
  const answer = Math.round(answeredAt - clickedAt);
  return { shown, answer, interactive: shown + answer, answeredAt };
}

test("the partner's home gets its figures and answers a click on slow 4G with a 4x slower CPU", async (t) => {
  const context = await browser.newContext({ viewport: { width: 412, height: 823 }, isMobile: true, hasTouch: true });
  // Logged in without throttling (the refresh cookie and the remembered side are what a returning partner has).
  const login = await context.newPage();
  await login.goto(server.url + "/login");
  await login.getByLabel("Email").fill("pat@partner.test");
  await login.getByLabel("Password").fill(password);
  await login.getByRole("button", { name: "Log in" }).click();
  await login.getByRole("heading", { name: "Your campaigns" }).waitFor();
  await login.close();

  const figures = { profile: "slow 4G (150 ms, 1.6 Mbit/s down, 750 kbit/s up), CPU 4x", runs: [] };
  for (const cache of ["cold", "cold", "cold", "warm", "warm"]) {
    const page = await context.newPage();
    const cdp = await throttle(page);
    if (cache === "cold") await cdp.send("Network.clearBrowserCache");
    const run = { cache, ...(await visit(page)) };
    figures.runs.push(run);
    t.diagnostic(`${cache} cache: figures shown at ${run.shown} ms, a click answered in ${run.answer} ms: interactive at ` +
      `${run.interactive} ms (wall clock, with Playwright's own time before the click: ${run.answeredAt} ms)`);
    await page.close();
  }
  const median = (cache) => {
    const xs = figures.runs.filter((r) => r.cache === cache).map((r) => r.interactive).sort((a, b) => a - b);
    return xs[Math.floor(xs.length / 2)];
  };
  figures.interactiveMedianMs = { cold: median("cold"), warm: median("warm") };
  t.diagnostic(`interactive, median: ${figures.interactiveMedianMs.cold} ms cold, ${figures.interactiveMedianMs.warm} ms warm (target: under 3,000 ms)`);
  writeFileSync(join(artifacts, "slow-network.json"), JSON.stringify(figures, null, 2));
  await context.close();
});
