import type { IncomingMessage, ServerResponse } from "node:http";
import { replyJson } from "./replies";

/**
 * The dashboard's Server-Sent Events (`GET /api/events`): one status event a second to every
 * open page. Bounded three ways, since each stream holds a socket for as long as the client
 * likes: at most `maxStreams` at once (more get 503 with the reason and a Retry-After), one
 * status computed per interval however many listen, and nothing queued for a client that does
 * not read (a status is superseded by the next one, so it is dropped, not buffered).
 */
export class EventStreams {
  private readonly streams = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private latest: string | undefined;

  constructor(
    private readonly options: {
      maxStreams: number;
      intervalMs: number;
      /** The next event's text (`event: ...\ndata: ...\n\n`), undefined to send none this time. */
      next: () => Promise<string | undefined>;
    },
  ) {}

  get size(): number {
    return this.streams.size;
  }

  /** Serves one stream, or refuses it when the dashboard already serves as many as it may. */
  async open(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { maxStreams, intervalMs } = this.options;
    if (this.streams.size >= maxStreams) {
      response.setHeader("retry-after", String(Math.ceil((intervalMs * 5) / 1000)));
      return replyJson(response, 503, {
        error: `too many live-update streams: this dashboard serves at most ${maxStreams} at once (open pages and GET /api/events clients); close one, or poll GET /api/status`,
      });
    }
    response.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    this.streams.add(response);
    request.once("close", () => {
      this.streams.delete(response);
      if (this.streams.size === 0) this.stop();
    });
    // A new page gets the current status at once rather than up to an interval later.
    const first = this.latest ?? (await this.compute());
    // The client may have gone while the status was computed: then nothing is left to tick for.
    if (!this.streams.has(response)) return;
    if (first !== undefined) this.send(response, first);
    this.timer ??= setInterval(() => void this.tick(), intervalMs);
  }

  /** Ends every stream (the dashboard is closing). */
  close(): void {
    this.stop();
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }

  private async tick(): Promise<void> {
    const text = await this.compute();
    if (text === undefined) return;
    for (const stream of this.streams) this.send(stream, text);
  }

  private async compute(): Promise<string | undefined> {
    this.latest = await this.options.next().catch(() => undefined);
    return this.latest;
  }

  private send(stream: ServerResponse, text: string): void {
    // A client whose socket is still full of earlier events gets this one dropped, not queued.
    if (stream.writableEnded || stream.writableNeedDrain) return;
    stream.write(text);
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.latest = undefined;
  }
}
