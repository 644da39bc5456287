// GraphQL tools load the schema as graphql-js does: its standard introspection query, answered in full by a real
// server, rebuilds exactly the schema in schema.graphql. The server runs with PERSISTED_ONLY_FOR_APP (harness.mjs), so the
// tool authenticates with a reporting token, as a GraphQL client with its own documents does.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { getIntrospectionQuery, buildClientSchema, buildSchema, printSchema, parse, print, visit } from "graphql";
import { startServer, app } from "../harness.mjs";

const sdl = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "..", "schema.graphql"), "utf8");

let server, reportingToken;
before(async () => {
  server = await startServer();
  // The server may listen before its migrations are applied: wait until it says it is ready.
  for (const deadline = Date.now() + 30_000; ; ) {
    const res = await fetch(server.url + "/ready").catch(() => null);
    if (res?.status === 200) break;
    if (Date.now() > deadline) throw new Error(`not ready after 30 s: ${res?.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const { signUp } = await app(server, "SignUp",
    { input: { email: "analyst@acme.test", password: "correct horse battery staple", organizationName: "Acme" } });
  const { createApiKey } = await app(server, "CreateApiKey", { name: "Schema tools", scope: "REPORTS" }, signUp.accessToken);
  reportingToken = createApiKey.key;
});
after(async () => {
  await server?.stop();
});

async function introspect(options, token = reportingToken) {
  const res = await fetch(server.url + "/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: getIntrospectionQuery(options), operationName: "IntrospectionQuery" }),
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

/** The schema.graphql text without descriptions, for an introspection that did not ask for them. */
function withoutDescriptions(text) {
  return print(visit(parse(text), { enter: (node) => (node.description ? { ...node, description: undefined } : undefined) }));
}

test("graphql-js's full introspection query rebuilds schema.graphql", async () => {
  const data = await introspect({
    descriptions: true,
    specifiedByUrl: true,
    directiveIsRepeatable: true,
    schemaDescription: true,
    inputValueDeprecation: true,
  });
  // Two things introspection says that the SDL export leaves out: async-graphql 7.2 answers `__schema.description`
  // with a fixed text about schemas in general, and DateTime's format (RFC 3339) as its `specifiedByURL`.
  assert.match(data.__schema.description, /^A GraphQL Schema defines the capabilities of a GraphQL server/);
  const dateTime = data.__schema.types.find((t) => t.name === "DateTime");
  assert.equal(dateTime.specifiedByURL, "https://datatracker.ietf.org/doc/html/rfc3339");
  data.__schema.description = null;
  dateTime.specifiedByURL = null;
  assert.equal(printSchema(buildClientSchema(data)), printSchema(buildSchema(sdl)));
});

test("the default introspection query, and one without descriptions, are answered too", async () => {
  const data = await introspect();
  assert.equal(printSchema(buildClientSchema(data)), printSchema(buildSchema(sdl)));
  const bare = await introspect({ descriptions: false });
  assert.equal(printSchema(buildClientSchema(bare)), printSchema(buildSchema(withoutDescriptions(sdl))));
});

test("without a token, the same query is refused: the app's requests run only persisted documents", async () => {
  const res = await fetch(server.url + "/graphql", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: getIntrospectionQuery(), operationName: "IntrospectionQuery" }),
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.errors[0].extensions.code, "PERSISTED_DOCUMENT_REQUIRED");
  assert.equal(body.data ?? null, null);
});
