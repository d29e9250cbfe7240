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
import { frameText, TradeBlocks } from "./trade-frames.mjs";

const rateIndex = process.argv.indexOf("--rate");
const rate = rateIndex > 0 ? Number(process.argv[rateIndex + 1]) : 0;
const START = Date.UTC(2026, 0, 1);
const HIGH_WATER = 4 * 1024 * 1024;

const blocks = new TradeBlocks();
const timeOf = (id) => START + id;

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
      while (id < due) socket.send(frameText(++id, Date.now()));
    }, 1);
    return;
  }
  // Blocks of 512 frames, prebuilt and framed here, written straight to the TCP socket: the
  // server must not be what is measured (trade-frames.mjs).
  const raw = socket._socket;
  const pump = () => {
    while (open && raw.writableLength < HIGH_WATER) {
      raw.write(blocks.block(id + 1, timeOf));
      id += blocks.framesPerBlock;
    }
    if (open) raw.once("drain", pump);
  };
  setTimeout(pump, 50);
});

http.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${http.address().port}\n`);
});
