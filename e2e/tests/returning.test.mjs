// A returning partner's pages ask for their answers before the app (or the page's module) is there (issue 18: the
// partner home on a slow phone; frontend/src/api.rs, "Opening requests"): the queries a page sent as it opened last
// time are sent again by index.html once the session check has answered, and by the app as soon as it opens a page
// whose module is still downloading; the page takes those answers instead of asking again. Checked with the wasm held
// back: what is asked for while no app (or no page module) can run was asked for early, and nothing is asked twice.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startBrowser, logIn, partnerWithLeads } from "../harness.mjs";
import { startSmtp } from "../smtp.mjs";

const password = "correct horse battery staple";
let server, smtp, browser;
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

/** Holds back the responses to requests whose path matches `pattern` until `release()`. */
async function holdBack(page, pattern) {
  let release;
  const gate = new Promise((r) => { release = r; });
  const held = [];
  await page.route(pattern, async (route) => {
    held.push(new URL(route.request().url()).pathname);
    await gate;
    await route.fallback();
  });
  return { held, release: async () => { release(); await page.unroute(pattern); } };
}

/** The GraphQL operations `page` asks for from now on, in order, each with whether the wasm was still held back. */
function watch(page, holding) {
  const asked = [];
  page.on("request", (r) => {
    if (r.url().endsWith("/graphql") && r.method() === "POST") {
      asked.push({ name: JSON.parse(r.postData()).operationName, early: holding.now });
    }
  });
  return asked;
}

/** In the page: this browser keeps the operation `name` among what the page at `path` asked for as it opened. */
const keeps = ([path, name]) =>
  (JSON.parse(localStorage.getItem("partnerdesk.opening") || "{}")[path] || []).some((b) => JSON.parse(b).operationName === name);

const count = (asked, name) => asked.filter((a) => a.name === name).length;

/** Waits until `asked` holds an operation named `name`. */
async function until(asked, name) {
  for (let i = 0; i < 600 && !asked.some((a) => a.name === name); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(asked.some((a) => a.name === name), `${name} asked for: ${JSON.stringify(asked)}`);
}

test("a returning partner's home and leads ask for their answers before their modules arrive, once", async () => {
  const { partnerToken } = await partnerWithLeads(server, smtp, 2, password);

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const leadsLink = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Leads" });

  // The first visit: the home and the leads open as they always did, and this browser keeps what each asked for.
  await logIn(page, server, "pat@partner.test");
  await page.getByRole("heading", { name: "Your campaigns" }).waitFor();
  await page.waitForFunction(keeps, ["/portal", "Dashboard"]);
  await leadsLink.click();
  await page.getByText("2 leads", { exact: true }).waitFor();
  await page.waitForFunction(keeps, ["/portal/leads", "MyLeads"]);
  const kept = await page.evaluate(() => localStorage.getItem("partnerdesk.opening"));
  assert.ok(!kept.includes(partnerToken.split(".")[0]), "no token is kept");
  assert.ok(!/RefreshSession|Login/.test(kept), `only queries are kept: ${kept}`);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();
  await page.getByRole("heading", { name: "Your campaigns" }).waitFor();

  // A reload of the home with every module held back: the page's queries go out before any app code can run, and
  // the app, once here, takes their answers rather than asking again.
  const holding = { now: true };
  const wasm = await holdBack(page, /\.wasm$/);
  const asked = watch(page, holding);
  await page.reload({ waitUntil: "commit" });
  for (const name of ["RefreshSession", "MyPartnerAccount", "OpenDisputes", "MetricDefinitions", "Dashboard"]) {
    await until(asked, name);
  }
  assert.ok(wasm.held.some((p) => /^\/app-[0-9a-f]+\.wasm$/.test(p)), `the app's module was asked for: ${wasm.held}`);
  holding.now = false;
  await wasm.release();
  await page.getByRole("heading", { name: "Your campaigns" }).waitFor();
  await page.waitForFunction(() => document.querySelector('.kpi[data-metric="submitted"] .kpi-value')?.textContent === "2");
  await page.waitForLoadState("networkidle");
  for (const name of ["RefreshSession", "MyPartnerAccount", "OpenDisputes", "MetricDefinitions", "Dashboard"]) {
    assert.equal(count(asked, name), 1, `${name} once: ${JSON.stringify(asked)}`);
    assert.ok(asked.find((a) => a.name === name).early, `${name} before the app: ${JSON.stringify(asked)}`);
  }
  // Once the page has opened, no answer asked for early is left to stand for a later request.
  assert.deepEqual(await page.evaluate(() => Object.keys(window.partnerdeskEarly.requests)), []);

  // A click on Leads with the partner's other module held back: the leads are asked for while it downloads.
  asked.length = 0;
  holding.now = true;
  const more = await holdBack(page, /\/split_partner_more_[0-9]+-[0-9a-f]+\.wasm$/);
  await leadsLink.click();
  await until(asked, "MyLeads");
  assert.equal(more.held.length, 1, `the module was asked for: ${more.held}`);
  holding.now = false;
  await more.release();
  await page.getByText("2 leads", { exact: true }).waitFor();
  await page.waitForLoadState("networkidle");
  assert.equal(count(asked, "MyLeads"), 1, JSON.stringify(asked));
  assert.equal(count(asked, "MyPartnerAccount"), 1, JSON.stringify(asked));
  assert.ok(asked.find((a) => a.name === "MyLeads").early, JSON.stringify(asked));

  // Logging out forgets them: the next visitor of this browser is asked nothing before its own session check.
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByRole("heading", { name: "Log in to Partnerdesk" }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem("partnerdesk.opening")), null);
  assert.deepEqual(errors, []);
  await context.close();
});
