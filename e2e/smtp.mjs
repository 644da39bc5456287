// A real SMTP server on loopback that keeps what it receives: the invitation emails of the browser scenarios.
import net from "node:net";

export async function startSmtp() {
  const messages = [];
  const waiters = [];
  const server = net.createServer((socket) => {
    let buffer = "";
    let inData = false;
    let data = "";
    const reply = (line) => socket.write(line + "\r\n");
    reply("220 e2e-smtp ESMTP");
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      let i;
      while ((i = buffer.indexOf("\r\n")) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (inData) {
          if (line === ".") {
            inData = false;
            messages.push(data);
            data = "";
            reply("250 queued");
            waiters.splice(0).forEach((w) => w());
          } else {
            data += (line.startsWith("..") ? line.slice(1) : line) + "\r\n";
          }
          continue;
        }
        const cmd = line.toUpperCase();
        if (cmd.startsWith("EHLO")) reply("250-e2e-smtp\r\n250 8BITMIME");
        else if (cmd === "DATA") { inData = true; reply("354 go ahead"); }
        else if (cmd === "QUIT") { reply("221 bye"); socket.end(); }
        else reply("250 OK");
      }
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: server.address().port,
    messages,
    /** Resolves with the first message whose text matches `pattern` (waits up to 20 s). */
    async waitFor(pattern) {
      const deadline = Date.now() + 20000;
      for (;;) {
        const found = messages.find((m) => pattern.test(decodeQuotedPrintable(m)));
        if (found) return decodeQuotedPrintable(found);
        if (Date.now() > deadline) throw new Error(`no email matching ${pattern} (got ${messages.length})`);
        await new Promise((r) => { waiters.push(r); setTimeout(r, 500); });
      }
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

export function decodeQuotedPrintable(s) {
  return s.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

/** The HTML alternative of a (decoded) MIME message. */
export function htmlPart(message) {
  const start = message.indexOf("<!doctype html>");
  const end = message.indexOf("</html>", start);
  return message.slice(start, end + "</html>".length);
}
