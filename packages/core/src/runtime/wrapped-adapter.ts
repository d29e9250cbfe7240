import type { AdapterContext, HealthStatus } from "../adapters/types";
import { type QiError, qiError, toQiError } from "../errors/qi-error";
import { err, ok, type Result } from "../result/result";
import type { OutageTracker } from "./outages";
import type { RetryHooks } from "./retry";

/** The lifecycle handlers sources and targets share. */
interface LifecycleHandlers {
  connect?(): Promise<void>;
  disconnect?(): Promise<void>;
  healthCheck?(): Promise<HealthStatus>;
}

/**
 * What Source and Target have in common: an adapter's handlers with an id, a
 * connection state, and calls whose failures become QiErrors naming the adapter.
 */
export abstract class WrappedAdapter<Handlers extends LifecycleHandlers> {
  readonly id: string;
  private connected = false;

  constructor(
    readonly name: string,
    readonly handlers: Handlers,
    protected readonly context: AdapterContext,
    private readonly role: "source" | "target",
    private readonly outages?: OutageTracker,
  ) {
    this.id = context.id;
  }

  /**
   * What the runtime's retry loop reports for one operation of this adapter: to the
   * pipeline's outage tracker (readiness, metrics, rate-limited warnings), or, for an adapter
   * used on its own, to its logger.
   */
  protected retryHooks(operation: string): Pick<RetryHooks, "onRetry" | "onRecovered"> {
    if (this.outages) return this.outages.hooksFor(this.id, operation);
    return {
      onRetry: (error, attempt, delayMs) =>
        this.context.logger.warn(`${operation} failed, retrying`, {
          [this.role]: this.id,
          attempt,
          delayMs,
          error: error.message,
        }),
      onRecovered: (attempts, elapsedMs) =>
        this.context.logger.info(`${operation} recovered`, { [this.role]: this.id, attempts, elapsedMs }),
    };
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async connect(): Promise<Result<void, QiError>> {
    if (this.connected) return ok(undefined);
    const result = await this.call("connect", async () => this.handlers.connect?.());
    if (result.ok) this.connected = true;
    return result;
  }

  async disconnect(): Promise<Result<void, QiError>> {
    if (!this.connected) return ok(undefined);
    this.connected = false;
    return this.call("disconnect", async () => this.handlers.disconnect?.());
  }

  /** The adapter's own health check with its latency; without one, the connection state. */
  async healthCheck(): Promise<HealthStatus> {
    if (!this.handlers.healthCheck) return { status: this.connected ? "healthy" : "unhealthy" };
    const started = performance.now();
    try {
      const status = await this.handlers.healthCheck();
      return { latencyMs: performance.now() - started, ...status };
    } catch (thrown) {
      return { status: "unhealthy", message: toQiError(thrown).message };
    }
  }

  /** `source "gen" (synthetic)`: how messages name this adapter. */
  protected get label(): string {
    return `${this.role} "${this.id}" (${this.name})`;
  }

  protected async call<T>(operation: string, run: () => Promise<T>): Promise<Result<T, QiError>> {
    try {
      return ok(await run());
    } catch (thrown) {
      return err(
        toQiError(thrown, { message: `${this.label} ${operation} failed` }).withContext({
          adapter: this.name,
          id: this.id,
          operation,
        }),
      );
    }
  }
}

export function capabilityMissing(id: string, name: string, what: string): QiError {
  return qiError("CAPABILITY_MISSING", `"${id}" (${name}) does not support ${what}`, {
    context: { adapter: name, id },
  });
}

export function adapterBug(name: string, what: string): QiError {
  return qiError("ADAPTER_INVALID", `adapter "${name}": ${what}`, {
    category: "SYSTEM",
    context: { adapter: name },
  });
}
