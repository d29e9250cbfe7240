import type { Logger } from "@qicore/core/adapter";
import WebSocket from "ws";
import { sleep } from "./clock";

export interface ConnectionOptions {
  /** Shown in logs: `binance#1`. */
  label: string;
  url: string;
  /** Sent after each (re)connect, paced to `messagesPerSecond`: the subscriptions. */
  messages: readonly string[];
  messagesPerSecond: number;
  /** Nothing received (data, heartbeat, ping or pong) for this long: the connection is stale. */
  staleAfterMs: number;
  pingEveryMs?: number;
  /** A text keep-alive, or `ws-ping` for a WebSocket ping frame. */
  keepAlive?: () => string | "ws-ping" | undefined;
  /** Reconnect on our side before the exchange closes the connection (Binance: 24 hours). */
  maxAgeMs?: number;
  reconnect: { initialDelayMs: number; maxDelayMs: number };
  logger: Logger;
  /** Every text frame, with the time it arrived and the number of the connection it came on. */
  onFrame(text: string, receivedAt: number, epoch: number): void;
  /** A new connection is open (epoch counts connections, starting at 1). */
  onOpen?(epoch: number): void;
  random?: () => number;
  /** The receive time stamped on frames; wall time by default (tests freeze it). */
  now?: () => number;
}

/** Why a connection ended, as the log and the metrics say it. */
export type CloseReason = "stale" | "closed by server" | "error" | "max age" | "restart" | "stopped";

/**
 * One WebSocket connection that stays up: it sends its subscriptions (paced under the
 * exchange's message limit), keeps itself alive, notices when nothing arrives any more
 * (a silent connection, a ping that got no answer), and reconnects with exponential
 * backoff and full jitter until stopped. What the stream missed while it was down is the
 * gap filler's job; this class only says, through `onOpen`, that a new connection began.
 */
export class ExchangeConnection {
  readonly stats = { connects: 0, reconnects: 0, stale: 0, lastClose: undefined as CloseReason | undefined };
  private socket: WebSocket | undefined;
  private stopped = false;
  private epoch = 0;
  private paused = false;
  private running: Promise<void> | undefined;
  private readonly stopSignal = new AbortController();
  private endCurrent: ((reason: CloseReason) => void) | undefined;

  constructor(private readonly options: ConnectionOptions) {}

  start(): void {
    this.running ??= this.loop();
  }

  /** Ends the current connection now; the loop opens a new one (after a server's shutdown notice). */
  restart(): void {
    this.endCurrent?.("restart");
  }

  /** Stops reading from the socket (TCP pushes back) while the consumer is behind. */
  pause(): void {
    this.paused = true;
    this.socket?.pause();
  }

  resume(): void {
    this.paused = false;
    this.socket?.resume();
  }

  get open(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopSignal.abort();
    this.endCurrent?.("stopped");
    await this.running;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      const { reason, received } = await this.connectOnce();
      this.stats.lastClose = reason;
      if (this.stopped) break;
      // A connection that delivered data resets the backoff; one that failed at once grows it.
      failures = received ? 0 : failures + 1;
      const ceiling = Math.min(
        this.options.reconnect.maxDelayMs,
        this.options.reconnect.initialDelayMs * 2 ** Math.min(failures, 20),
      );
      const delay = Math.floor((this.options.random ?? Math.random)() * ceiling);
      this.options.logger.info(
        `${this.options.label}: connection ended (${reason}); reconnecting in ${delay} ms`,
        {
          reason,
          delayMs: delay,
        },
      );
      this.stats.reconnects++;
      await sleep(delay, this.stopSignal.signal);
    }
  }

  private connectOnce(): Promise<{ reason: CloseReason; received: boolean }> {
    return new Promise((resolve) => {
      const epoch = ++this.epoch;
      // No separate UTF-8 pass over each text frame (ws's default, 2% of the source's time at
      // full speed): the frame is decoded once anyway, where a broken byte becomes U+FFFD
      // instead of closing the connection. Exchanges send ASCII JSON; a number or time
      // holding U+FFFD fails decoding or validation like any other malformed frame.
      const socket = new WebSocket(this.options.url, {
        perMessageDeflate: false,
        handshakeTimeout: 10_000,
        skipUTF8Validation: true,
      });
      this.socket = socket;
      let received = false;
      let lastActivity = Date.now();
      const timers: NodeJS.Timeout[] = [];
      let ended = false;
      const end = (reason: CloseReason) => {
        if (ended) return;
        ended = true;
        for (const timer of timers) clearInterval(timer);
        this.endCurrent = undefined;
        if (reason === "stale") this.stats.stale++;
        if (socket.readyState === WebSocket.OPEN) socket.close(1000, reason);
        else socket.terminate();
        // The socket's close event may come late (a silent peer): do not wait for it.
        resolve({ reason, received });
      };
      this.endCurrent = end;
      const touch = () => {
        lastActivity = Date.now();
      };
      socket.on("open", () => {
        this.stats.connects++;
        touch();
        if (this.paused) socket.pause();
        this.options.onOpen?.(epoch);
        void this.subscribe(socket);
      });
      const stamp = this.options.now;
      socket.on("message", (data, isBinary) => {
        // One clock read per frame: the activity time and, unless a test clock stamps it, the receive time.
        const now = Date.now();
        lastActivity = now;
        received = true;
        if (isBinary) return;
        this.options.onFrame(data.toString(), stamp ? stamp() : now, epoch);
      });
      socket.on("ping", touch);
      socket.on("pong", touch);
      socket.on("close", () => end("closed by server"));
      socket.on("error", (error) => {
        this.options.logger.debug(`${this.options.label}: ${error.message}`);
        end("error");
      });
      const staleCheck = Math.max(50, Math.min(1_000, this.options.staleAfterMs / 4));
      timers.push(
        setInterval(() => {
          if (socket.readyState === WebSocket.OPEN && Date.now() - lastActivity > this.options.staleAfterMs)
            end("stale");
        }, staleCheck),
      );
      if (this.options.pingEveryMs && this.options.keepAlive) {
        const keepAlive = this.options.keepAlive;
        timers.push(
          setInterval(() => {
            if (socket.readyState !== WebSocket.OPEN) return;
            const message = keepAlive();
            if (message === "ws-ping") socket.ping();
            else if (message !== undefined) socket.send(message);
          }, this.options.pingEveryMs),
        );
      }
      if (this.options.maxAgeMs) {
        const maxAge = this.options.maxAgeMs;
        timers.push(setInterval(() => end("max age"), maxAge));
      }
    });
  }

  /** Sends the subscriptions no faster than the exchange allows control messages. */
  private async subscribe(socket: WebSocket): Promise<void> {
    const spacing = 1000 / this.options.messagesPerSecond;
    for (const [index, message] of this.options.messages.entries()) {
      if (index > 0) await sleep(spacing, this.stopSignal.signal);
      if (socket.readyState !== WebSocket.OPEN) return;
      socket.send(message);
    }
  }
}
