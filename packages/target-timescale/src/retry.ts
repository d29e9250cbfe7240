import { abortableSleep, type Logger, redactSecrets } from "@qicore/core";
import { classifyFailure, databaseError } from "./errors";

export interface TransientRetryPolicy {
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** Stops retrying (the pipeline is stopping): the last error is thrown at once. */
  signal?: AbortSignal;
}

/**
 * Runs `operation` again while it fails with a connection-level error (reset, admin
 * shutdown, too many connections, serialization failure), each time on a fresh
 * connection since the pool discards broken ones. Other errors are thrown at once,
 * unchanged, for the caller to sort out; when attempts run out the last error is
 * thrown as a retryable QiError saying what was attempted.
 */
export async function retryTransient<T>(
  action: string,
  operation: () => Promise<T>,
  policy: TransientRetryPolicy,
  logger: Logger,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (thrown) {
      if (classifyFailure(thrown) !== "transient") throw thrown;
      if (attempt >= policy.attempts || policy.signal?.aborted) {
        throw databaseError(thrown, action, { attempts: attempt });
      }
      // Full jitter: writers that lost the server together do not come back in lockstep.
      const cap = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.round(cap * Math.random());
      logger.warn("database connection failed, retrying on a new connection", {
        action,
        attempt,
        delayMs,
        error: redactSecrets(thrown instanceof Error ? thrown.message : String(thrown)),
      });
      await abortableSleep(delayMs, policy.signal);
    }
  }
}
