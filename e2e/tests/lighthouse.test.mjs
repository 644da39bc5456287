// Lighthouse 12.2.3 (its mobile defaults: a Moto G Power-sized screen, simulated slow 4G and 4x CPU slowdown) on the
// login page, the partner's home and the owner's Marketing Partners tab, in Debian's Chromium started by
// chrome-launcher, three runs of each (a cold HTTP cache each time; the signed-in pages after a login through the
// login page). Accessibility must be 100 in every run, performance at least 90 in the median of a page's runs (issue
// 18's targets): a score moves several points from run to run with the machine's load (its simulated timings scale
// the tasks it observes), and the median of several runs is what Lighthouse's own documentation advises reading.
// Every run's report goes to e2e/artifacts/lighthouse-<page>-<run>.json, its figures to the test's output
// (bench/README.md keeps them).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import { chromium } from "playwright-core";
import { startServer, app, artifacts } from "../harness.mjs";
import { startSmtp } from "../smtp.mjs";

const password = "correct horse battery staple";
let server, smtp, chrome, browser, campaignId;

before(async () => {
  smtp = await startSmtp();
  server = await startServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}` });
  chrome = await chromeLauncher.launch({
    chromePath: process.env.CHROME_PATH || process.env.CHROMIUM || "/usr/bin/chromium",
    chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  // Playwright on the same browser, to log in as a user would (the refresh cookie is HttpOnly).
  browser = await chromium.connectOverCDP(`http://127.0.0.1:${chrome.port}`);

  const { signUp } = await app(server, "SignUp", { input: { email: "owner@acme.test", password, organizationName: "Acme Leads" } });
  const { createCampaign } = await app(server, "CreateCampaign", { input: { name: "Solar NY", timeZone: "America/New_York",
    landingUrl: "https://example.com/solar", formPayout: "12.50", clickPayout: "0.40" } }, signUp.accessToken);
  campaignId = createCampaign.id;
  await app(server, "AddMarketingPartner", { input: { campaignId, email: "pat@partner.test",
    caps: [{ metric: "FORM", window: "DAILY", limit: 50 }] } }, signUp.accessToken);
  const email = await smtp.waitFor(/pat@partner\.test/);
  const token = email.match(/token=(pdi_[A-Za-z0-9_-]+)/)[1];
  await app(server, "AcceptInvitation", { input: { token, name: "Pat Partner", password } });
});
after(async () => {
  await browser?.close().catch(() => {});
  chrome?.kill();
  await server?.stop();
  await smtp?.close();
});

/** Signs in through the login page in the Lighthouse browser, then empties its HTTP cache (a cold load follows). */
async function signIn(email, heading) {
  const context = browser.contexts()[0];
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.clearBrowserCookies");
  await page.goto(server.url + "/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: heading }).first().waitFor();
  await cdp.send("Network.clearBrowserCache");
  await page.close();
}

/** Runs Lighthouse on `path`; keeps the report; returns scores (0-100) and LCP (ms). */
async function audit(name, path, { signedIn }) {
  const result = await lighthouse(server.url + path, {
    port: chrome.port,
    output: "json",
    logLevel: "error",
    onlyCategories: ["performance", "accessibility"],
    // Signed-in pages: keep the session cookie (the cache was emptied by signIn).
    disableStorageReset: signedIn,
  });
  writeFileSync(join(artifacts, `lighthouse-${name}.json`), result.report);
  const { categories, audits } = result.lhr;
  const failed = Object.values(audits)
    .filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode === "binary")
    .filter((a) => categories.accessibility.auditRefs.some((r) => r.id === a.id))
    .map((a) => `${a.id}: ${a.title}`);
  const figures = {
    name,
    performance: Math.round(categories.performance.score * 100),
    accessibility: Math.round(categories.accessibility.score * 100),
    lcpMs: Math.round(audits["largest-contentful-paint"].numericValue),
    fcpMs: Math.round(audits["first-contentful-paint"].numericValue),
    tbtMs: Math.round(audits["total-blocking-time"].numericValue),
    failedAccessibilityAudits: failed,
  };
  console.log(JSON.stringify(figures));
  return figures;
}

const RUNS = 3;
const results = [];

/** `RUNS` audits of one page, `prepare` before each; each run's figures in `results`. */
async function audits(name, path, prepare) {
  for (let run = 1; run <= RUNS; run++) {
    await prepare?.();
    results.push(await audit(`${name}-${run}`, path, { signedIn: !!prepare }));
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test("Lighthouse: login page, partner home, Marketing Partners tab are accessible (100)", async () => {
  await audits("login", "/login");
  await audits("partner-home", "/", () => signIn("pat@partner.test", "Dashboard"));
  await audits("owner-partners-tab", `/campaigns/${campaignId}/partners`, () => signIn("owner@acme.test", "Campaigns"));
  for (const r of results) assert.equal(r.accessibility, 100, `${r.name}: ${r.failedAccessibilityAudits.join("; ")}`);
});

test("Lighthouse: performance at least 90 on each page (the median of its runs)", () => {
  for (const page of ["login", "partner-home", "owner-partners-tab"]) {
    const runs = results.filter((r) => r.name.replace(/-[0-9]+$/, "") === page);
    assert.equal(runs.length, RUNS, `${page}: ${RUNS} runs`);
    const performance = median(runs.map((r) => r.performance));
    console.log(JSON.stringify({ page, medianPerformance: performance, medianLcpMs: median(runs.map((r) => r.lcpMs)) }));
    assert.ok(performance >= 90, `${page}: performance ${runs.map((r) => `${r.performance} (LCP ${r.lcpMs} ms, TBT ${r.tbtMs} ms)`).join(", ")}`);
  }
});
