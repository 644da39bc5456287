// Where a cold load of the partner home goes on a slow phone (bench/README.md, "A page's queries asked for before its
// module"): the slow-network test's setting (slow 4G, CPU 4x, a partner with 3 leads, logged in first), each load with
// an empty HTTP cache; prints when the figures showed, when the click on Leads came and was answered, and with V=1
// every request's start and end (resource timing, ms from the navigation) and the long tasks the page observed.
//   PARTNERDESK_BIN=<debug binary> [V=1] node timeline.mjs <dist folder> [<loads>]
import { startServer, startBrowser, app } from "./harness.mjs";
import { startSmtp } from "./smtp.mjs";

const [dist, loads = "1"] = process.argv.slice(2);
const password = "correct horse battery staple";
const smtp = await startSmtp();
const server = await startServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, FRONTEND_DIR: dist });
const browser = await startBrowser();
const { signUp } = await app(server, "SignUp", { input: { email: "owner@acme.test", password, organizationName: "Acme Leads" } });
const { createCampaign } = await app(server, "CreateCampaign", { input: { name: "Solar NY", timeZone: "America/New_York",
  landingUrl: "https://example.com/solar", formPayout: "12.50" } }, signUp.accessToken);
await app(server, "AddMarketingPartner", { input: { campaignId: createCampaign.id, email: "pat@partner.test" } }, signUp.accessToken);
const token = (await smtp.waitFor(/pat@partner\.test/)).match(/token=(pdi_[A-Za-z0-9_-]+)/)[1];
const { acceptInvitation } = await app(server, "AcceptInvitation", { input: { token, name: "Pat Partner", password } });
const { createApiKey } = await app(server, "CreateApiKey", { name: "Script", scope: "LEADS" }, acceptInvitation.accessToken);
for (let i = 0; i < 3; i++) {
  await fetch(server.url + "/v1/leads", { method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${createApiKey.key}` },
    body: JSON.stringify({ campaignId: createCampaign.id, type: "form", fields: { name: `Lead ${i}` } }) });
}
const context = await browser.newContext({ viewport: { width: 412, height: 823 }, isMobile: true, hasTouch: true });
await context.addInitScript(() => {
  window.longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.longTasks.push([Math.round(e.startTime), Math.round(e.duration)]);
  }).observe({ type: "longtask", buffered: true });
});
const login = await context.newPage();
await login.goto(server.url + "/login");
await login.getByLabel("Email").fill("pat@partner.test");
await login.getByLabel("Password").fill(password);
await login.getByRole("button", { name: "Log in" }).click();
await login.getByRole("heading", { name: "Your campaigns" }).waitFor();
await login.close();

const frameWhen = async (page, condition) =>
  Math.round(await (await page.waitForFunction(condition, null, { polling: "raf", timeout: 60000 })).jsonValue());
for (let load = 0; load < Number(loads); load++) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions",
    { offline: false, latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8 });
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  await cdp.send("Network.clearBrowserCache");
  await page.goto(server.url + "/portal", { waitUntil: "commit" });
  const shown = await frameWhen(page, () =>
    document.querySelector('.kpi[data-metric="submitted"] .kpi-value')?.textContent === "3" && performance.now());
  await page.evaluate(() => document.addEventListener("click", () => { window.clickedAt = performance.now(); },
    { capture: true, once: true }));
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Leads" }).click();
  const answered = await frameWhen(page, () =>
    [...document.querySelectorAll("main span.muted")].some((s) => s.textContent === "3 leads") && performance.now());
  const seen = await page.evaluate(() => ({
    clickedAt: Math.round(window.clickedAt),
    longTasks: window.longTasks,
    requests: performance.getEntriesByType("resource").map((r) =>
      [r.name.replace(/^.*\//, "").slice(0, 40), Math.round(r.startTime), Math.round(r.responseEnd), r.encodedBodySize]),
    paints: performance.getEntriesByType("paint").map((p) => [p.name, Math.round(p.startTime)]),
  }));
  console.log(`load ${load + 1}: figures shown at ${shown} ms, click at ${seen.clickedAt}, answered at ${answered} ` +
    `(in ${answered - seen.clickedAt} ms); paints ${JSON.stringify(seen.paints)}`);
  if (process.env.V) {
    for (const r of seen.requests) console.log("  ", r.join(" "));
    console.log("  long tasks [start, ms]:", JSON.stringify(seen.longTasks));
  }
  await page.close();
}
await browser.close();
await server.stop();
await smtp.close();
