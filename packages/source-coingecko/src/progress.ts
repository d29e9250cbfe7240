import type { Logger } from "@qicore/core/adapter";

/** Where a progress bar can be drawn: a terminal stream (process.stderr). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 250;

/**
 * Shows how far backfills are: a bar redrawn in place on a terminal, otherwise a log line
 * at every tenth of the way (so logs of a long backfill show it moving, without flooding).
 */
export class BackfillProgress {
  private lastDrawn = 0;
  private lastTenth = new Map<string, number>();
  private drawing = false;

  constructor(
    private readonly stream: ProgressStream | undefined,
    private readonly logger: Logger,
  ) {}

  /** `name` is the stream (history), `detail` what is being fetched (coin and date). */
  update(name: string, done: number, total: number, detail: string): void {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const tenth = Math.floor(fraction * 10);
    if (tenth !== this.lastTenth.get(name)) {
      this.lastTenth.set(name, tenth);
      if (!this.stream) this.logger.info("backfill progress", { stream: name, done, total, at: detail });
    }
    if (!this.stream) return;
    const now = Date.now();
    if (done < total && now - this.lastDrawn < REDRAW_MS) return;
    this.lastDrawn = now;
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = `${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}`;
    const line = `coingecko ${name} ${bar} ${Math.floor(fraction * 100)}% (${done}/${total} requests) ${detail}`;
    this.stream.write(`\r\x1b[2K${line.slice(0, (this.stream.columns ?? 120) - 1)}`);
    this.drawing = true;
    if (done >= total) this.finish();
  }

  /** Ends the bar's line so later output starts on a fresh one. */
  finish(): void {
    if (!this.drawing || !this.stream) return;
    this.stream.write("\n");
    this.drawing = false;
  }
}

/** The stream to draw on for the config's `progress` setting: standard error when it is a terminal (auto). */
export function progressStream(
  setting: boolean | "auto",
  stderr: ProgressStream = process.stderr,
): ProgressStream | undefined {
  if (setting === false) return undefined;
  if (setting === true) return stderr;
  return stderr.isTTY ? stderr : undefined;
}
