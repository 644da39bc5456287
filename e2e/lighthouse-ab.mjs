// Lighthouse on the partner's home, alternating between app builds, for comparing two builds on the same machine
// state (bench/README.md, "The partner's home"): the e2e suite's Lighthouse settings (mobile defaults, cold HTTP
// cache, a partner signed in through the login page), each build served by the same server binary from its folder.
// Prints performance, LCP, TBT and CLS per run, each layout shift's moved boxes (before -> after) and the long tasks
// (simulated: the script they are attributed to, when they start, how long).
//   PARTNERDESK_BIN=<debug binary> [LHR_DIR=<folder for each run's report>] node lighthouse-ab.mjs <runs> <dist folder> [...]
import fs from "node:fs";
import path from "node:path";
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import { chromium } from "playwright-core";
import { startServer, app } from "./harness.mjs";
import { startSmtp } from "./smtp.mjs";

const [runs, ...dists] = process.argv.slice(2);
if (!runs || dists.length === 0) throw new Error("usage: node lighthouse-ab.mjs <runs> <dist folder> [<dist folder> ...]");
const password = "correct horse battery staple";

async function once(dist) {
  const smtp = await startSmtp();
  const server = await startServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, FRONTEND_DIR: dist });
  const chrome = await chromeLauncher.launch({
    chromePath: process.env.CHROMIUM || "/usr/bin/chromium",
    chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
  });
  const browser = await chromium.connectOverCDP(`http://127.0.0.1:${chrome.port}`);
  try {
    const { signUp } = await app(server, "SignUp", { input: { email: "owner@acme.test", password, organizationName: "Acme Leads" } });
    const { createCampaign } = await app(server, "CreateCampaign", { input: { name: "Solar NY", timeZone: "America/New_York",
      landingUrl: "https://example.com/solar", formPayout: "12.50", clickPayout: "0.40" } }, signUp.accessToken);
    await app(server, "AddMarketingPartner", { input: { campaignId: createCampaign.id, email: "pat@partner.test",
      caps: [{ metric: "FORM", window: "DAILY", limit: 50 }] } }, signUp.accessToken);
    const token = (await smtp.waitFor(/pat@partner\.test/)).match(/token=(pdi_[A-Za-z0-9_-]+)/)[1];
    await app(server, "AcceptInvitation", { input: { token, name: "Pat Partner", password } });
    const context = browser.contexts()[0];
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await page.goto(server.url + "/login");
    await page.getByLabel("Email").fill("pat@partner.test");
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("heading", { name: "Dashboard" }).first().waitFor();
    await cdp.send("Network.clearBrowserCache");
    await page.close();
    const { lhr, artifacts } = await lighthouse(server.url + "/", { port: chrome.port, output: "json", logLevel: "error",
      onlyCategories: ["performance"], disableStorageReset: true });
    const a = lhr.audits;
    if (process.env.LHR_DIR) fs.writeFileSync(`${process.env.LHR_DIR}/lhr-${path.basename(dist)}-${Date.now()}.json`, JSON.stringify(lhr));
    const shifts = artifacts.Trace.traceEvents.filter((e) => e.name === "LayoutShift").map((e) => ({
      score: +e.args.data.score.toFixed(4),
      moved: (e.args.data.impacted_nodes || []).map((n) => `${n.old_rect} -> ${n.new_rect}`),
    }));
    return { performance: Math.round(lhr.categories.performance.score * 100),
      lcpMs: Math.round(a["largest-contentful-paint"].numericValue), tbtMs: Math.round(a["total-blocking-time"].numericValue),
      cls: +a["cumulative-layout-shift"].numericValue.toFixed(3), shifts,
      longTasks: (a["long-tasks"].details?.items || []).map((t) => `${t.url.replace(/^.*\//, "")} at ${Math.round(t.startTime)} ms: ${Math.round(t.duration)} ms`) };
  } finally {
    await browser.close().catch(() => {});
    chrome.kill();
    await server.stop();
    await smtp.close();
  }
}

for (let i = 0; i < Number(runs); i++) {
  for (const dist of dists) console.log(JSON.stringify({ run: i + 1, dist, ...(await once(dist)) }));
}
