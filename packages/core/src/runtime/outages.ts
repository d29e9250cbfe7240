import type { QiError } from "../errors/qi-error";
import type { Logger } from "./logger";
import type { PipelineMetrics } from "./metrics";
import type { RetryHooks } from "./retry";

/** A service an adapter cannot reach right now, as readiness reports it. */
export interface Outage {
  /** Id of the source or target that is retrying. */
  adapter: string;
  /** What it is retrying, e.g. `write`, `read`. */
  operation: string;
  /** When the first failure of this streak happened (epoch ms). */
  since: number;
  /** Failed attempts so far. */
  attempts: number;
  /** The latest failure's message (already free of secrets). */
  reason: string;
}

// A long outage would otherwise print a warning per attempt; one every so often says enough.
const REPEAT_WARNING_MS = 30_000;

/**
 * Keeps the outages the pipeline is waiting out: readiness lists them, metrics count their
 * retries and seconds, and the log says when one starts, every 30 s while it lasts, and when
 * it ends (with how long it took).
 */
export class OutageTracker {
  private readonly active = new Map<string, Outage & { warnedAt: number }>();

  constructor(
    private readonly metrics: PipelineMetrics,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The retry hooks for one adapter's operation. */
  hooksFor(adapter: string, operation: string): Pick<RetryHooks, "onRetry" | "onRecovered"> {
    return {
      onRetry: (error, attempt, delayMs) => this.failed(adapter, operation, error, attempt, delayMs),
      onRecovered: (attempts, elapsedMs) => this.recovered(adapter, operation, attempts, elapsedMs),
    };
  }

  failed(adapter: string, operation: string, error: QiError, attempt: number, delayMs: number): void {
    const key = `${adapter}\u0000${operation}`;
    const now = this.now();
    this.metrics.countRetry(adapter);
    const existing = this.active.get(key);
    if (!existing) {
      this.active.set(key, {
        adapter,
        operation,
        since: now,
        attempts: attempt,
        reason: error.message,
        warnedAt: now,
      });
      this.logger.warn(`${operation} failed, retrying until it passes`, {
        adapter,
        attempt,
        delayMs,
        code: error.code,
        error: error.message,
      });
      return;
    }
    existing.attempts = attempt;
    existing.reason = error.message;
    if (now - existing.warnedAt >= REPEAT_WARNING_MS) {
      existing.warnedAt = now;
      this.logger.warn(`${operation} still failing, retrying`, {
        adapter,
        attempt,
        seconds: Math.round((now - existing.since) / 1000),
        code: error.code,
        error: error.message,
      });
    }
  }

  recovered(adapter: string, operation: string, attempts: number, elapsedMs: number): void {
    const key = `${adapter}\u0000${operation}`;
    const outage = this.active.get(key);
    this.active.delete(key);
    const seconds = outage ? (this.now() - outage.since) / 1000 : elapsedMs / 1000;
    this.metrics.addOutageSeconds(adapter, seconds);
    this.logger.info(`${operation} recovered`, { adapter, attempts, seconds: Number(seconds.toFixed(1)) });
  }

  /** Outages going on now, oldest first. */
  current(): Outage[] {
    return [...this.active.values()]
      .sort((a, b) => a.since - b.since)
      .map(({ warnedAt: _warnedAt, ...outage }) => outage);
  }

  /** Seconds of outage per adapter, the ongoing ones included. */
  ongoingSeconds(): Record<string, number> {
    const seconds: Record<string, number> = {};
    for (const outage of this.active.values())
      seconds[outage.adapter] = Math.max(seconds[outage.adapter] ?? 0, (this.now() - outage.since) / 1000);
    return seconds;
  }
}
