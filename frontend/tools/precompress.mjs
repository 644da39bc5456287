// Writes <file>.br (brotli, quality 11) and <file>.gz (gzip -9) beside each file named on the command line, as the
// server sends them to clients that accept them (crates/server/src/spa.rs). Prints one line per file:
// "<name> <raw bytes> <gzip bytes> <brotli bytes>".
import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";

for (const file of process.argv.slice(2)) {
  const bytes = readFileSync(file);
  const br = brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
  const gz = gzipSync(bytes, { level: 9 });
  writeFileSync(`${file}.br`, br);
  writeFileSync(`${file}.gz`, gz);
  console.log(`${basename(file)} ${bytes.length} ${gz.length} ${br.length}`);
}
