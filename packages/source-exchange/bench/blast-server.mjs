/**
 * A Binance-shaped server for the exchange benchmark, in a process of its own so its CPU is
 * not the source's. WebSocket: every connection gets trade events of BTCUSDT (combined-stream
 * envelopes, ids counting up from 1) as fast as the socket takes them, or at `--rate` a
 * second. HTTP: /api/v3/exchangeInfo for the source's symbol lookup. Prints its port.
 *
 *     node blast-server.mjs [--rate 5000]
 */
import { createServer } from "node:http";
import { WebSocketServer } from "ws";

const rateIndex = process.argv.indexOf("--rate");
const rate = rateIndex > 0 ? Number(process.argv[rateIndex + 1]) : 0;
const START = Date.UTC(2026, 0, 1);
const HIGH_WATER = 4 * 1024 * 1024;

const frame = (id, time) =>
  `{"stream":"btcusdt@trade","data":{"e":"trade","E":${time},"s":"BTCUSDT","t":${id},"p":"${60000 + (id % 1000)}.${String(id % 100).padStart(2, "0")}000000","q":"0.00${String(id % 1000).padStart(3, "0")}000","T":${time},"m":${id % 2 === 0},"M":true}}`;

const http = createServer((_request, response) => {
  response.writeHead(200, { "content-type": "application/json" });
  response.end(
    JSON.stringify({
      symbols: [{ symbol: "BTCUSDT", status: "TRADING", baseAsset: "BTC", quoteAsset: "USDT" }],
    }),
  );
});
const wss = new WebSocketServer({ server: http, perMessageDeflate: false });

wss.on("connection", (socket) => {
  let id = 0;
  let open = true;
  socket.on("close", () => {
    open = false;
  });
  socket.on("message", (data) => {
    const message = JSON.parse(data.toString());
    if (message.method === "SUBSCRIBE") socket.send(JSON.stringify({ result: null, id: message.id }));
  });
  if (rate > 0) {
    // Paced: every millisecond, the trades due by now, stamped with the time they go out.
    const started = Date.now();
    const timer = setInterval(() => {
      if (!open) return clearInterval(timer);
      const due = Math.floor(((Date.now() - started) / 1000) * rate);
      while (id < due) socket.send(frame(++id, Date.now()));
    }, 1);
    return;
  }
  // Frames are written to the TCP socket in bursts of 512, framed here (a server frame is a
  // 2- or 4-byte header and the text, unmasked): the server must not be what is measured.
  const raw = socket._socket;
  const pump = () => {
    while (open && raw.writableLength < HIGH_WATER) {
      const texts = [];
      let size = 0;
      for (let burst = 0; burst < 512; burst++) {
        id++;
        const text = frame(id, START + id);
        texts.push(text);
        size += text.length + (text.length < 126 ? 2 : 4);
      }
      const buffer = Buffer.allocUnsafe(size);
      let offset = 0;
      for (const text of texts) {
        buffer[offset++] = 0x81;
        if (text.length < 126) buffer[offset++] = text.length;
        else {
          buffer[offset++] = 126;
          buffer.writeUInt16BE(text.length, offset);
          offset += 2;
        }
        offset += buffer.write(text, offset, "latin1");
      }
      raw.write(buffer);
    }
    if (open) raw.once("drain", pump);
  };
  setTimeout(pump, 50);
});

http.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${http.address().port}\n`);
});
