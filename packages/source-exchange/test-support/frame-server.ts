import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";

/** A Binance-shaped server that plays given frames, exactly as written, to every subscriber. */
export interface FrameServer {
  websocketUrl: string;
  restUrl: string;
  close(): Promise<void>;
}

/**
 * WebSocket: after a client's SUBSCRIBE, its answer and then `frames`, each one text frame
 * as given (broken ones included). HTTP: exchangeInfo naming `symbol`; every other REST
 * path answers an empty list (no trades to fill a gap with).
 */
export async function startFrameServer(
  symbol: string,
  base: string,
  quote: string,
  frames: readonly string[],
) {
  const http: Server = createServer((request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    const info = { symbols: [{ symbol, status: "TRADING", baseAsset: base, quoteAsset: quote }] };
    response.end(JSON.stringify(request.url?.startsWith("/api/v3/exchangeInfo") ? info : []));
  });
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  wss.on("connection", (socket) => {
    socket.on("message", (data) => {
      const message = JSON.parse(data.toString()) as { method?: string; id?: number };
      if (message.method !== "SUBSCRIBE") return;
      socket.send(JSON.stringify({ result: null, id: message.id }));
      for (const frame of frames) socket.send(frame);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    websocketUrl: `ws://127.0.0.1:${port}`,
    restUrl: `http://127.0.0.1:${port}`,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  } satisfies FrameServer;
}
