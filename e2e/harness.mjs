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
