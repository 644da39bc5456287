// The app's assets as served: the brotli or gzip copy the build wrote, chosen by Accept-Encoding (br before gzip),
// sent as it is (the Compress middleware does not compress it again), with the caching rules of every build.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startServer } from "../harness.mjs";

const dist = process.env.FRONTEND_DIR || join(import.meta.dirname, "..", "..", "frontend", "dist");
let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

/** GET with the given Accept-Encoding; the body as sent (undecoded). */
function get(path, acceptEncoding) {
  return new Promise((resolve, reject) => {
    const headers = acceptEncoding === undefined ? {} : { "accept-encoding": acceptEncoding };
    request(server.url + path, { headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    }).on("error", reject).end();
  });
}

test("the wasm goes out as the build's brotli to a client that takes br, as gzip to one that takes only gzip", async () => {
  const index = readFileSync(join(dist, "index.html"), "utf8");
  const wasm = index.match(/\/(app-[0-9a-f]{16}\.wasm)/)[1];
  const js = index.match(/\/(app-[0-9a-f]{16}\.js)/)[1];

  const br = await get(`/${wasm}`, "gzip, deflate, br, zstd");
  assert.equal(br.status, 200);
  assert.equal(br.headers["content-encoding"], "br");
  assert.equal(br.headers["content-type"], "application/wasm");
  assert.match(br.headers.vary, /accept-encoding/i);
  assert.equal(br.headers["cache-control"], "public, max-age=31536000, immutable");
  assert.ok(br.body.equals(readFileSync(join(dist, `${wasm}.br`))), "the brotli file, byte for byte");

  const gz = await get(`/${wasm}`, "gzip");
  assert.equal(gz.headers["content-encoding"], "gzip");
  assert.equal(gz.headers["content-type"], "application/wasm");
  assert.ok(gz.body.equals(readFileSync(join(dist, `${wasm}.gz`))), "the gzip file, byte for byte");
  assert.notEqual(gz.headers.etag, br.headers.etag, "each encoding has its own ETag");

  const plain = await get(`/${wasm}`, "identity");
  assert.equal(plain.headers["content-encoding"], undefined);
  assert.match(plain.headers.vary, /accept-encoding/i);
  assert.ok(plain.body.equals(readFileSync(join(dist, wasm))));

  const script = await get(`/${js}`, "br");
  assert.equal(script.headers["content-encoding"], "br");
  assert.match(script.headers["content-type"], /javascript/);

  // Code splitting: the split loader (preloaded by the page, imported by app.js) and every split module and chunk
  // it fetches go out the same way, content-hashed and cached for good.
  const loader = index.match(/\/(app-split-[0-9a-f]{16}\.js)/)[1];
  const loaderJs = await get(`/${loader}`, "br");
  assert.equal(loaderJs.status, 200);
  assert.equal(loaderJs.headers["content-encoding"], "br");
  assert.match(loaderJs.headers["content-type"], /javascript/);
  assert.equal(loaderJs.headers["cache-control"], "public, max-age=31536000, immutable");
  const modules = [...readFileSync(join(dist, loader), "utf8").matchAll(/"\.\/([A-Za-z0-9_]+-[0-9a-f]{16}\.wasm)"/g)];
  assert.ok(modules.length >= 3, "the loader fetches the split modules by their hashed names");
  for (const [, name] of modules) {
    const res = await get(`/${name}`, "gzip, br");
    assert.equal(res.status, 200, name);
    assert.equal(res.headers["content-encoding"], "br", name);
    assert.equal(res.headers["content-type"], "application/wasm", name);
    assert.equal(res.headers["cache-control"], "public, max-age=31536000, immutable", name);
    assert.ok(res.body.equals(readFileSync(join(dist, `${name}.br`))), name);
  }

  // The app's page: precompressed too, never cached without asking.
  const page = await get("/campaigns", "gzip, br");
  assert.equal(page.headers["content-encoding"], "br");
  assert.equal(page.headers["cache-control"], "no-cache");
  assert.match(page.headers["content-type"], /text\/html/);

  // A conditional request for the brotli copy is answered 304 by its ETag.
  const again = await new Promise((resolve, reject) => {
    request(server.url + `/${wasm}`, { headers: { "accept-encoding": "br", "if-none-match": br.headers.etag } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    }).on("error", reject).end();
  });
  assert.equal(again, 304);
});
