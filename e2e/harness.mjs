// Starts a real Partnerdesk server (fresh data dir and SQLite database, random port) and Debian's Chromium.
import { spawn, execFileSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";

const here = dirname(fileURLToPath(import.meta.url));
export const artifacts = join(here, "artifacts");
mkdirSync(artifacts, { recursive: true });

const CHROMIUM_FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/**
 * A server process on port 0; resolves once it logs the URL it listens on. It runs with PERSISTED_ONLY_FOR_APP=1:
 * the browser app (and a test acting as it, see `app`) may send only its persisted documents, so every scenario
 * proves that the app sends nothing else.
 */
export async function startServer(env = {}) {
  const bin = process.env.PARTNERDESK_BIN;
  if (!bin) throw new Error("PARTNERDESK_BIN must point at the partnerdesk binary (scripts/test sets it)");
  const dataDir = mkdtempSync(join(tmpdir(), "pd-e2e-"));
  const child = spawn(bin, ["serve"], {
    env: {
      PATH: process.env.PATH,
      DATA_DIR: dataDir,
      LISTEN_ADDR: "127.0.0.1:0",
      LOG_FORMAT: "json",
      WORKERS: "2",
      FRONTEND_DIR: process.env.FRONTEND_DIR || join(here, "..", "frontend", "dist"),
      PERSISTED_ONLY_FOR_APP: "1",
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const m = line.match(/listening on (http:\/\/[0-9.:]+)/);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
  // Resolves once the server is gone, also when it had already exited (crashed) before stop() was called.
  const exited = new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once("exit", () => r());
  });
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    return exited;
  };
  return { url, dataDir, stop };
}

/** Logs in through the login page, as a user does (the refresh cookie is HttpOnly). */
export async function logIn(page, server, email, password = "correct horse battery staple") {
  await page.goto(server.url + "/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

/**
 * The account the slow-phone scenarios start from: owner@acme.test's "Acme Leads" with a campaign "Solar NY"
 * (America/New_York, 12.50 a form), pat@partner.test invited to it and registered as "Pat Partner", and `leads` form
 * leads sent with the partner's API key. `smtp`: the server's mail catcher (the invitation comes by email).
 */
export async function partnerWithLeads(server, smtp, leads, password = "correct horse battery staple") {
  const { signUp } = await app(server, "SignUp", { input: { email: "owner@acme.test", password, organizationName: "Acme Leads" } });
  const { createCampaign } = await app(server, "CreateCampaign", { input: { name: "Solar NY", timeZone: "America/New_York",
    landingUrl: "https://example.com/solar", formPayout: "12.50" } }, signUp.accessToken);
  await app(server, "AddMarketingPartner", { input: { campaignId: createCampaign.id, email: "pat@partner.test" } }, signUp.accessToken);
  const token = (await smtp.waitFor(/pat@partner\.test/)).match(/token=(pdi_[A-Za-z0-9_-]+)/)[1];
  const { acceptInvitation } = await app(server, "AcceptInvitation", { input: { token, name: "Pat Partner", password } });
  const { createApiKey } = await app(server, "CreateApiKey", { name: "Script", scope: "LEADS" }, acceptInvitation.accessToken);
  for (let i = 0; i < leads; i++) {
    const res = await fetch(server.url + "/v1/leads", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${createApiKey.key}` },
      body: JSON.stringify({ campaignId: createCampaign.id, type: "form", fields: { name: `Lead ${i}` } }),
    });
    if (res.status !== 201) throw new Error(`lead ${i}: ${res.status} ${await res.text()}`);
  }
  return { campaignId: createCampaign.id, ownerToken: signUp.accessToken, partnerToken: acceptInvitation.accessToken };
}

/** Lighthouse's mobile "slow 4G" and 4x CPU slowdown, on one page; returns its CDP session. */
export async function throttle(page) {
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
 * performance.now() in the page at the first animation frame in which `condition(arg)` holds: the page checks it
 * every frame. (Playwright's own waiting retries at 0, 20, 50, 100, 100 ms and then every 500 ms, so a figure taken
 * after it could come up to half a second after the page had drawn what it waited for.)
 */
export async function frameWhen(page, condition, arg) {
  const handle = await page.waitForFunction(condition, arg, { polling: "raf", timeout: 60000 });
  return Math.round(await handle.jsonValue());
}

/**
 * Opens the partner's home and, once its figures show `leads` leads, clicks Leads in the main navigation until its
 * list shows them: the page's `performance.now()` at the figures' frame (`shown`), at the click's event
 * (`clickedAt`) and at the list's frame (`answeredAt`).
 */
export async function homeThenLeads(page, server, leads) {
  await page.goto(server.url + "/portal", { waitUntil: "commit" });
  const shown = await frameWhen(page, (n) =>
    document.querySelector('.kpi[data-metric="submitted"] .kpi-value')?.textContent === String(n) && performance.now(), leads);
  await page.evaluate(() => document.addEventListener("click", () => { window.clickedAt = performance.now(); },
    { capture: true, once: true }));
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Leads" }).click();
  const answeredAt = await frameWhen(page, (n) =>
    [...document.querySelectorAll("main span.muted")].some((s) => s.textContent === `${n} leads`) && performance.now(), leads);
  const clickedAt = await page.evaluate(() => window.clickedAt);
  return { shown, clickedAt, answeredAt };
}

export async function startBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    // Playwright adds --headless and a fresh --user-data-dir itself.
    args: CHROMIUM_FLAGS,
  });
  return browser;
}

/**
 * Saves a full-page screenshot as e2e/artifacts/<name>.png, and checks the page as it is (with any open dialog) for
 * accessibility: see `checkA11y`. `{ a11y: false }` only for pages that are not the app's (an email, GraphiQL).
 */
export async function shot(page, name, { a11y = true } = {}) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
  if (a11y) {
    await checkA11y(page, name);
    await checkOverflow(page, name);
  }
}

/**
 * Fails when the page scrolls sideways or a table runs past its container: a wide table scrolls inside its
 * `.table-wrap`, which stays within its parent.
 */
export async function checkOverflow(page, name) {
  const problems = await page.evaluate(() => {
    const found = [];
    const root = document.documentElement;
    if (root.scrollWidth > root.clientWidth + 1) {
      // Name the outermost elements that reach past the window.
      // Not those cut off by a scrolling or clipping ancestor within the window (a table inside its .table-wrap).
      const clipped = (e) => {
        for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
          if (getComputedStyle(a).overflowX !== "visible" && a.getBoundingClientRect().right <= root.clientWidth + 1) return true;
        }
        return false;
      };
      const past = [...document.body.querySelectorAll("*")].filter((e) => e.getBoundingClientRect().right > root.clientWidth + 1 && !clipped(e));
      const outermost = past.filter((e) => !past.includes(e.parentElement)).slice(0, 3);
      const names = outermost.map((e) => `${e.tagName.toLowerCase()}${e.className ? "." + String(e.className).replaceAll(" ", ".") : ""}`);
      found.push(`the page is ${root.scrollWidth}px wide in a ${root.clientWidth}px window (${names.join(", ")})`);
    }
    for (const wrap of document.querySelectorAll(".table-wrap")) {
      const parent = wrap.parentElement.getBoundingClientRect();
      const box = wrap.getBoundingClientRect();
      const label = wrap.querySelector("caption")?.textContent || "a table";
      if (box.right > parent.right + 1 || box.left < parent.left - 1) found.push(`${label} runs past its container`);
    }
    return found;
  });
  if (problems.length) throw new Error(`layout overflow on ${name} (${page.url()}): ${problems.join("; ")}`);
}

/**
 * Runs axe-core on the page as it is now (WCAG 2.0/2.1 A and AA rules and axe's best practices) and fails on any
 * violation, naming each rule, why, and the elements it found.
 */
export async function checkA11y(page, name) {
  const { violations } = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"])
    .analyze();
  if (violations.length) {
    const lines = violations.map(
      (v) => `- ${v.id} (${v.impact}): ${v.help}\n` + v.nodes.map((n) => `    ${n.target.join(" ")}: ${n.failureSummary.replaceAll("\n", " ")}`).join("\n"),
    );
    throw new Error(`accessibility violations on ${name} (${page.url()}):\n${lines.join("\n")}`);
  }
}

/** A new, empty PostgreSQL database (named pd_test_*, so `scripts/test` drops it on its next run); returns its URL. */
export function createPostgresDatabase() {
  const admin = process.env.TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
  const name = `pd_test_${randomUUID().replaceAll("-", "")}`;
  execFileSync("psql", [admin, "-qc", `CREATE DATABASE "${name}"`]);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The app's documents (frontend/graphql/*.graphql): each operation's name -> its document's persisted id. */
const documents = (() => {
  const dir = join(here, "..", "frontend", "graphql");
  const ids = new Map();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".graphql"))) {
    const bytes = readFileSync(join(dir, file));
    const id = "sha256:" + createHash("sha256").update(bytes).digest("hex");
    for (const [, name] of bytes.toString("utf8").matchAll(/^(?:query|mutation|subscription)\s+(\w+)/gm)) ids.set(name, id);
  }
  return ids;
})();

/**
 * Runs one of the app's own operations (by name, e.g. "SignUp") as the app does: its document's persisted id,
 * never the text. Returns `data`, throws on `errors`.
 */
export async function app(server, operationName, variables = {}, token) {
  const documentId = documents.get(operationName);
  if (!documentId) throw new Error(`no operation ${operationName} in frontend/graphql`);
  return post(server, { documentId, operationName, variables }, token);
}

/**
 * POSTs a free-form GraphQL document; returns `data`, throws on `errors`. With PERSISTED_ONLY_FOR_APP only a
 * reporting token may do this.
 */
export async function graphql(server, query, variables = {}, token) {
  return post(server, { query, variables }, token);
}

async function post(server, body, token) {
  const res = await fetch(server.url + "/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const answer = await res.json();
  if (answer.errors || !answer.data) throw new Error(`${res.status} ${JSON.stringify(answer)}`);
  return answer.data;
}
