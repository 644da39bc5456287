// GraphiQL at GET /graphql, served whole by the server itself (no CDN: every request the page makes goes to the
// server). The server runs with PERSISTED_ONLY_FOR_APP (harness.mjs): without a token the schema is refused, with a
// reporting token in the Headers tab the docs explorer shows the schema and a query runs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startBrowser, shot, app } from "../harness.mjs";

let server, browser, reportingToken;
before(async () => {
  server = await startServer();
  browser = await startBrowser();
  const { signUp } = await app(server, "SignUp",
    { input: { email: "analyst@acme.test", password: "correct horse battery staple", organizationName: "Acme" } });
  const { createApiKey } = await app(server, "CreateApiKey", { name: "GraphiQL", scope: "REPORTS" }, signUp.accessToken);
  reportingToken = createApiKey.key;
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The text of the CodeMirror editor inside `selector`. */
const editorText = (page, selector) =>
  page.evaluate((s) => document.querySelector(`${s} .CodeMirror`)?.CodeMirror.getValue() ?? "", selector);
const setEditorText = (page, selector, text) =>
  page.evaluate(([s, t]) => document.querySelector(`${s} .CodeMirror`).CodeMirror.setValue(t), [selector, text]);

test("GraphiQL loads from the server, shows the schema in its docs explorer and runs a query", async () => {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  const errors = [];
  const elsewhere = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("request", (r) => {
    const url = r.url();
    if (!url.startsWith(server.url) && !url.startsWith("data:")) elsewhere.push(url);
  });

  const res = await page.goto(server.url + "/graphql");
  assert.equal(res.status(), 200);
  assert.equal(res.headers()["cache-control"], "no-cache");
  const scripts = await page.locator("script[src]").evaluateAll((s) => s.map((e) => e.getAttribute("src")));
  assert.equal(scripts.length, 4, scripts.join(" "));
  for (const src of scripts) assert.match(src, /^\/[a-z-]+-[0-9a-f]{16}\.js$/, "hashed assets of this server");
  const asset = await fetch(server.url + scripts[2]);
  assert.equal(asset.status, 200);
  assert.match(asset.headers.get("cache-control"), /max-age=31536000/);
  await page.locator(".graphiql-container").waitFor();

  // No token: the app's rules apply, and the schema request is refused with the code.
  await page.waitForFunction(() => document.querySelector(".graphiql-response .CodeMirror")?.CodeMirror.getValue());
  assert.match(await editorText(page, ".graphiql-response"), /PERSISTED_DOCUMENT_REQUIRED/);

  // A reporting token in the Headers tab, then the schema again.
  await page.getByRole("button", { name: "Headers", exact: true }).click();
  const headers = 'section.graphiql-editor-tool .graphiql-editor:not(.hidden)';
  await page.locator(`${headers} .CodeMirror`).waitFor();
  await setEditorText(page, headers, JSON.stringify({ authorization: `Bearer ${reportingToken}` }));
  await page.getByRole("button", { name: /Documentation Explorer/ }).click();
  const docs = page.locator(".graphiql-doc-explorer");
  // GraphiQL takes the edited headers after a short debounce: fetch the schema again until it comes.
  const rootTypes = docs.getByText("Root Types");
  for (let attempt = 0; !(await rootTypes.isVisible()); attempt++) {
    assert.ok(attempt < 20, "the schema never loaded with the reporting token");
    await page.getByRole("button", { name: "Re-fetch GraphQL schema" }).click();
    await rootTypes.waitFor({ timeout: 1000 }).catch(() => {});
  }
  // The query root (async-graphql names it QueryRoot).
  await docs.locator("a.graphiql-doc-explorer-type-name", { hasText: /^QueryRoot$/ }).first().click();
  await docs.locator(".graphiql-doc-explorer-title", { hasText: "QueryRoot" }).waitFor();
  const fields = await docs.locator(".graphiql-doc-explorer-field-name").allInnerTexts();
  for (const field of ["me", "campaigns", "report", "metricDefinitions"]) assert.ok(fields.includes(field), `${field} in ${fields}`);
  await shot(page, "graphiql-docs", { a11y: false }); // GraphiQL's own page

  // A query from the editor, with the token: its answer in the response pane.
  await setEditorText(page, ".graphiql-query-editor", "{ metricDefinitions { name label } }");
  await page.getByRole("button", { name: /Execute query/ }).click();
  await page.waitForFunction(() =>
    /approvalRate/.test(document.querySelector(".graphiql-response .CodeMirror")?.CodeMirror.getValue() ?? ""));
  const answer = JSON.parse(await editorText(page, ".graphiql-response"));
  assert.equal(answer.errors, undefined, JSON.stringify(answer));
  assert.ok(answer.data.metricDefinitions.some((m) => m.name === "epc"));
  await shot(page, "graphiql-query", { a11y: false });

  assert.deepEqual(elsewhere, [], "GraphiQL loads nothing from elsewhere");
  assert.deepEqual(errors, []);
});
