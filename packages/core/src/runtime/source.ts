import type {
  AdapterContext,
  Checkpoint,
  OHLCVQuery,
  ReadOptions,
  SourceBatch,
  SourceDefinition,
  SourceHandlers,
  TimeRange,
} from "../adapters/types";
import type { RecordKind, RecordOfKind } from "../dsl/kinds";
import type { CryptoMarketAnalytics, CryptoOHLCV, CryptoPrice } from "../dsl/records";
import { describeIssues, validateRecord, validateRecords } from "../dsl/validate";
import { type QiError, qiError, toQiError } from "../errors/qi-error";
import { err, ok, type Result } from "../result/result";
import { withEventLoopTurns } from "./event-loop-turns";
import type { OutageTracker } from "./outages";
import { DEFAULT_RETRY, type RetryPolicy, withRetry } from "./retry";
import { adapterBug, capabilityMissing, WrappedAdapter } from "./wrapped-adapter";

export interface SourceOptions {
  /** The one retry loop for retryable failures (the pipeline's `delivery.retry`). */
  retry?: RetryPolicy;
  /** Where retries are reported (readiness, metrics); the adapter's logger when absent. */
  outages?: OutageTracker;
  onRead?: (event: { operation: string; records: number; seconds: number; failed: boolean }) => void;
}

/**
 * A source as users and the runtime see it: the adapter's handlers wrapped with
 * validation of what the provider returned, error mapping, retries and metrics.
 */
export class Source extends WrappedAdapter<SourceHandlers> {
  constructor(
    readonly definition: SourceDefinition,
    handlers: SourceHandlers,
    context: AdapterContext,
    private readonly options: SourceOptions = {},
  ) {
    super(definition.name, handlers, context, "source", options.outages);
  }

  static async create(
    definition: SourceDefinition,
    config: unknown,
    context: AdapterContext,
    options: SourceOptions = {},
  ): Promise<Result<Source, QiError>> {
    try {
      const handlers = await definition.create(config, context);
      if (!handlers || typeof handlers !== "object")
        return err(adapterBug(definition.name, "create() returned no handlers"));
      return ok(new Source(definition, handlers, context, options));
    } catch (thrown) {
      return err(
        toQiError(thrown, { message: `source "${context.id}" (${definition.name}) could not be created` }),
      );
    }
  }

  /** The retry policy the runtime applies to this source's reads. */
  get retryPolicy(): RetryPolicy {
    return this.options.retry ?? DEFAULT_RETRY;
  }

  /** Reports one failed or recovered read of the runtime's loop (readiness, metrics, log). */
  get readRetryHooks() {
    return this.retryHooks("read");
  }

  /** The streaming read the runtime drives, with turns of the event loop for the rest of the process. */
  read(options: ReadOptions): AsyncIterable<SourceBatch> {
    if (!this.handlers.read) throw capabilityMissing(this.id, this.name, "streaming reads (read)");
    return withEventLoopTurns(this.handlers.read(options));
  }

  async commit(checkpoint: Checkpoint): Promise<Result<void, QiError>> {
    if (!this.handlers.commit) return ok(undefined);
    return this.call("commit", async () => this.handlers.commit?.(checkpoint));
  }

  // The reader DSL: market data on demand, validated like streamed records.

  async getCurrentPrice(coinId: string): Promise<Result<CryptoPrice, QiError>> {
    const prices = await this.getCurrentPrices([coinId]);
    if (!prices.ok) return prices;
    const price = prices.value.find((candidate) => candidate.coinId === coinId);
    return price
      ? ok(price)
      : err(
          qiError("READ_FAILED", `source "${this.id}" (${this.name}) returned no price for "${coinId}"`, {
            category: "BUSINESS",
            context: { coinId },
          }),
        );
  }

  getCurrentPrices(coinIds: readonly string[]): Promise<Result<CryptoPrice[], QiError>> {
    return this.readMany("price", "getCurrentPrices", () => this.handlers.getCurrentPrices?.(coinIds));
  }

  getOHLCV(coinId: string, query: OHLCVQuery): Promise<Result<CryptoOHLCV[], QiError>> {
    return this.readMany("ohlcv", "getOHLCV", () => this.handlers.getOHLCV?.(coinId, query));
  }

  getPriceHistory(coinId: string, range: TimeRange): Promise<Result<CryptoPrice[], QiError>> {
    if (range.start.getTime() > range.end.getTime()) {
      return Promise.resolve(
        err(
          qiError(
            "VALIDATION_FAILED",
            `getPriceHistory: start (${range.start.toISOString()}) is after end (${range.end.toISOString()})`,
          ),
        ),
      );
    }
    return this.readMany("price", "getPriceHistory", () => this.handlers.getPriceHistory?.(coinId, range));
  }

  async getMarketAnalytics(): Promise<Result<CryptoMarketAnalytics, QiError>> {
    if (!this.handlers.getMarketAnalytics)
      return err(capabilityMissing(this.id, this.name, "getMarketAnalytics"));
    const raw = await this.withRetries("getMarketAnalytics", async () => {
      const value = await this.handlers.getMarketAnalytics?.();
      return value === undefined ? [] : [value];
    });
    if (!raw.ok) return raw;
    const validated = validateRecord("analytics", raw.value[0]);
    return validated.ok ? validated : err(this.invalidData("getMarketAnalytics", validated.error));
  }

  private async readMany<K extends RecordKind>(
    kind: K,
    operation: "getCurrentPrices" | "getOHLCV" | "getPriceHistory",
    run: () => Promise<readonly unknown[]> | undefined,
  ): Promise<Result<RecordOfKind[K][], QiError>> {
    if (!this.handlers[operation]) return err(capabilityMissing(this.id, this.name, operation));
    const raw = await this.withRetries(operation, async () => (await run()) ?? []);
    if (!raw.ok) return raw;
    const { valid, invalid } = validateRecords(kind, raw.value);
    const first = invalid[0];
    if (first) return err(this.invalidData(operation, first.error, invalid.length));
    return ok(valid);
  }

  private invalidData(operation: string, cause: QiError, count = 1): QiError {
    const issues = (cause.context.issues as { path: string; message: string }[] | undefined) ?? [];
    return qiError(
      "EXTERNAL_ERROR",
      `source "${this.id}" (${this.name}) ${operation} returned ${count} invalid record(s): ${describeIssues(issues) || cause.message}`,
      { context: { adapter: this.name, id: this.id, operation, ...cause.context }, cause },
    );
  }

  private async withRetries<T>(
    operation: string,
    run: () => Promise<readonly T[]>,
  ): Promise<Result<readonly T[], QiError>> {
    const started = performance.now();
    try {
      const value = await withRetry(run, this.options.retry ?? DEFAULT_RETRY, this.retryHooks(operation));
      this.options.onRead?.({
        operation,
        records: value.length,
        seconds: (performance.now() - started) / 1000,
        failed: false,
      });
      return ok(value);
    } catch (thrown) {
      this.options.onRead?.({
        operation,
        records: 0,
        seconds: (performance.now() - started) / 1000,
        failed: true,
      });
      return err(
        toQiError(thrown, {
          code: "READ_FAILED",
          message: `source "${this.id}" (${this.name}) ${operation} failed`,
          category: "EXTERNAL",
        }).withContext({
          adapter: this.name,
          id: this.id,
          operation,
        }),
      );
    }
  }
}
