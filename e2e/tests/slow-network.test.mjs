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
import { startServer, startBrowser, artifacts, logIn, partnerWithLeads, throttle, homeThenLeads } from "../harness.mjs";
import { startSmtp } from "../smtp.mjs";

const password = "correct horse battery staple";
let server, smtp, browser;

before(async () => {
  smtp = await startSmtp();
  server = await startServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}` });
  browser = await startBrowser();
  await partnerWithLeads(server, smtp, 3, password);
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.close();
});

/**
 * Opens /portal; milliseconds from the navigation's start to the figures shown, from the click on Leads to its
 * answer, their sum (interactive), and the wall-clock time of the answer.
 */
async function visit(page) {
  const { shown, clickedAt, answeredAt } = await homeThenLeads(page, server, 3);
  assert.ok(clickedAt > shown && clickedAt < answeredAt, `the click (${clickedAt}) came between ${shown} and ${answeredAt}`);
  const answer = Math.round(answeredAt - clickedAt);
  return { shown, answer, interactive: shown + answer, answeredAt };
}

test("the partner's home gets its figures and answers a click on slow 4G with a 4x slower CPU", async (t) => {
  const context = await browser.newContext({ viewport: { width: 412, height: 823 }, isMobile: true, hasTouch: true });
  // Logged in without throttling (the refresh cookie and the remembered side are what a returning partner has).
  const login = await context.newPage();
  await logIn(login, server, "pat@partner.test", password);
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
