// Where a cold load of the partner home goes on a slow phone (bench/README.md, "A page's queries asked for before its
// module"): the slow-network test's setting (slow 4G, CPU 4x, a partner with 3 leads, logged in first), each load with
// an empty HTTP cache; prints when the figures showed, when the click on Leads came and was answered, and with V=1
// every request's start and end (resource timing, ms from the navigation) and the long tasks the page observed.
//   PARTNERDESK_BIN=<debug binary> [V=1] node timeline.mjs <dist folder> [<loads>]
import { startServer, startBrowser, logIn, partnerWithLeads, throttle, homeThenLeads } from "./harness.mjs";
import { startSmtp } from "./smtp.mjs";

const [dist, loads = "1"] = process.argv.slice(2);
const smtp = await startSmtp();
const server = await startServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, FRONTEND_DIR: dist });
const browser = await startBrowser();
await partnerWithLeads(server, smtp, 3);
const context = await browser.newContext({ viewport: { width: 412, height: 823 }, isMobile: true, hasTouch: true });
await context.addInitScript(() => {
  window.longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.longTasks.push([Math.round(e.startTime), Math.round(e.duration)]);
  }).observe({ type: "longtask", buffered: true });
});
const login = await context.newPage();
await logIn(login, server, "pat@partner.test");
await login.getByRole("heading", { name: "Your campaigns" }).waitFor();
await login.close();

for (let load = 0; load < Number(loads); load++) {
  const page = await context.newPage();
  const cdp = await throttle(page);
  await cdp.send("Network.clearBrowserCache");
  const { shown, clickedAt, answeredAt } = await homeThenLeads(page, server, 3);
  const seen = await page.evaluate(() => ({
    longTasks: window.longTasks,
    requests: performance.getEntriesByType("resource").map((r) =>
      [r.name.replace(/^.*\//, "").slice(0, 40), Math.round(r.startTime), Math.round(r.responseEnd), r.encodedBodySize]),
    paints: performance.getEntriesByType("paint").map((p) => [p.name, Math.round(p.startTime)]),
  }));
  console.log(`load ${load + 1}: figures shown at ${shown} ms, click at ${Math.round(clickedAt)}, answered at ` +
    `${answeredAt} (in ${Math.round(answeredAt - clickedAt)} ms); paints ${JSON.stringify(seen.paints)}`);
  if (process.env.V) {
    for (const r of seen.requests) console.log("  ", r.join(" "));
    console.log("  long tasks [start, ms]:", JSON.stringify(seen.longTasks));
  }
  await page.close();
}
await browser.close();
await server.stop();
await smtp.close();
