import type {
  AdapterContext,
  DeadLetter,
  RecordFailure,
  StateStore,
  TargetDefinition,
  TargetHandlers,
} from "../adapters/types";
import type { MarketRecord, RecordKind, RecordOfKind } from "../dsl/kinds";
import type { CryptoMarketAnalyticsInput, CryptoOHLCVInput, CryptoPriceInput } from "../dsl/records";
import { validateRecord, validateRecords } from "../dsl/validate";
import { QiError, toQiError } from "../errors/qi-error";
import { err, ok, type Result } from "../result/result";
import type { OutageTracker } from "./outages";
import { DEFAULT_RETRY, type RetryPolicy, withRetry } from "./retry";
import { adapterBug, capabilityMissing, WrappedAdapter } from "./wrapped-adapter";

export { adapterBug, capabilityMissing } from "./wrapped-adapter";

const MAX_WRITE_CONCURRENCY = 16;

/** What a publish call did: how many records were written and which were not (by index in the input). */
export interface PublishReport {
  written: number;
  failed: RecordFailure[];
}

export interface TargetOptions {
  /** The one retry loop for retryable failures (the pipeline's `delivery.retry`). */
  retry?: RetryPolicy;
  /** Where retries are reported (readiness, metrics); the adapter's logger when absent. */
  outages?: OutageTracker;
  /** Called after each write attempt; the runtime uses it for metrics. */
  onWrite?: (event: { kind: RecordKind; records: number; failed: number; seconds: number }) => void;
}

/**
 * A target as users and the runtime see it: the adapter's handlers wrapped once with
 * validation, error mapping, retries and metrics. Every method returns a Result.
 */
export class Target extends WrappedAdapter<TargetHandlers> {
  constructor(
    readonly definition: TargetDefinition,
    handlers: TargetHandlers,
    context: AdapterContext,
    private readonly options: TargetOptions = {},
  ) {
    super(definition.name, handlers, context, "target", options.outages);
  }

  /** Creates the adapter's handlers from a validated config. */
  static async create(
    definition: TargetDefinition,
    config: unknown,
    context: AdapterContext,
    options: TargetOptions = {},
  ): Promise<Result<Target, QiError>> {
    try {
      const handlers = await definition.create(config, context);
      if (typeof handlers?.write !== "function") {
        return err(adapterBug(definition.name, "create() returned no write handler"));
      }
      return ok(new Target(definition, handlers, context, options));
    } catch (thrown) {
      return err(
        toQiError(thrown, { message: `target "${context.id}" (${definition.name}) could not be created` }),
      );
    }
  }

  /**
   * How many writes the adapter takes at once (its handlers' `writeConcurrency`, 1 when it
   * names none); the runtime never runs two at once that share a primary key. At most 16.
   */
  get writeConcurrency(): number {
    const declared = this.handlers.writeConcurrency;
    return typeof declared === "number" && Number.isInteger(declared) && declared > 1
      ? Math.min(declared, MAX_WRITE_CONCURRENCY)
      : 1;
  }

  supports(kind: RecordKind): boolean {
    return this.definition.capabilities.kinds.includes(kind);
  }

  async flush(): Promise<Result<void, QiError>> {
    return this.call("flush", async () => this.handlers.flush?.());
  }

  /** Whether the target can keep the pipeline's checkpoints (`stateStore`). */
  get canStoreState(): boolean {
    return typeof this.handlers.stateStore === "function";
  }

  async stateStore(): Promise<Result<StateStore, QiError>> {
    if (!this.handlers.stateStore) {
      return err(capabilityMissing(this.id, this.name, "a state store (stateStore)"));
    }
    return this.call(
      "stateStore",
      async () => this.handlers.stateStore?.() as StateStore | Promise<StateStore>,
    );
  }

  /**
   * Writes validated records of one kind, retrying retryable failures of the whole batch
   * with the retry policy (by default until they pass). Per-record failures come back in the
   * report, never as an error; a retryable failure that outlasted the policy's bounds comes
   * back as `RETRIES_EXHAUSTED`.
   */
  async write(
    kind: RecordKind,
    records: readonly MarketRecord[],
    signal?: AbortSignal,
  ): Promise<Result<PublishReport, QiError>> {
    if (!this.supports(kind)) {
      return err(capabilityMissing(this.id, this.name, `${kind} records`));
    }
    if (records.length === 0) return ok({ written: 0, failed: [] });
    const policy = this.options.retry ?? DEFAULT_RETRY;
    try {
      const outcome = await withRetry(
        async () => {
          const started = performance.now();
          try {
            const result = await this.handlers.write(kind, records);
            const failed = result?.failures ?? [];
            this.options.onWrite?.({
              kind,
              records: records.length,
              failed: failed.length,
              seconds: (performance.now() - started) / 1000,
            });
            return failed;
          } catch (thrown) {
            this.options.onWrite?.({
              kind,
              records: records.length,
              failed: records.length,
              seconds: (performance.now() - started) / 1000,
            });
            throw toQiError(thrown, {
              code: "WRITE_FAILED",
              message: `target "${this.id}" (${this.name}) failed to write ${records.length} ${kind} records`,
              category: "EXTERNAL",
            });
          }
        },
        policy,
        { ...(signal ? { signal } : {}), ...this.retryHooks("write") },
      );
      const failed = outcome.map((failure) => ({
        index: failure.index,
        error: QiError.isInstance(failure.error) ? failure.error : toQiError(failure.error),
      }));
      return ok({ written: records.length - failed.length, failed });
    } catch (thrown) {
      return err(toQiError(thrown));
    }
  }

  async writeDeadLetters(letters: readonly DeadLetter[]): Promise<Result<void, QiError>> {
    if (!this.handlers.writeDeadLetters) return err(capabilityMissing(this.id, this.name, "dead letters"));
    const policy = this.options.retry ?? DEFAULT_RETRY;
    return this.call("writeDeadLetters", () =>
      withRetry(
        () => this.handlers.writeDeadLetters?.(letters) ?? Promise.resolve(),
        policy,
        this.retryHooks("writeDeadLetters"),
      ),
    );
  }

  // The writer DSL: validate inputs, write the valid ones, report the rest.

  publishPrice(price: CryptoPriceInput): Promise<Result<void, QiError>> {
    return this.publishOne("price", price);
  }
  publishPrices(prices: readonly CryptoPriceInput[]): Promise<Result<PublishReport, QiError>> {
    return this.publishMany("price", prices);
  }
  publishOHLCV(
    candles: CryptoOHLCVInput | readonly CryptoOHLCVInput[],
  ): Promise<Result<PublishReport, QiError>> {
    return this.publishMany("ohlcv", Array.isArray(candles) ? candles : [candles as CryptoOHLCVInput]);
  }
  publishAnalytics(
    analytics: CryptoMarketAnalyticsInput | readonly CryptoMarketAnalyticsInput[],
  ): Promise<Result<PublishReport, QiError>> {
    return this.publishMany(
      "analytics",
      Array.isArray(analytics) ? analytics : [analytics as CryptoMarketAnalyticsInput],
    );
  }

  private async publishOne<K extends RecordKind>(kind: K, input: unknown): Promise<Result<void, QiError>> {
    const validated = validateRecord(kind, input);
    if (!validated.ok) return validated;
    const written = await this.write(kind, [validated.value as RecordOfKind[K]]);
    if (!written.ok) return written;
    const failure = written.value.failed[0];
    return failure ? err(failure.error) : ok(undefined);
  }

  private async publishMany<K extends RecordKind>(
    kind: K,
    inputs: readonly unknown[],
  ): Promise<Result<PublishReport, QiError>> {
    const { valid, validIndexes, invalid } = validateRecords(kind, inputs);
    const failed: RecordFailure[] = invalid.map(({ index, error }) => ({ index, error }));
    if (valid.length === 0) return ok({ written: 0, failed });
    const written = await this.write(kind, valid as MarketRecord[]);
    if (!written.ok) return written;
    for (const failure of written.value.failed) {
      failed.push({ index: validIndexes[failure.index] ?? failure.index, error: failure.error });
    }
    failed.sort((a, b) => a.index - b.index);
    return ok({ written: written.value.written, failed });
  }
}
