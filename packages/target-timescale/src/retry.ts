import { abortableSleep, type Logger, QiError, redactSecrets } from "@qicore/core/adapter";
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
 * connection since the pool discards broken ones. Only for what no pipeline retry loop
 * covers (the schema migration at connect, checkpoint reads and writes); batch writes throw
 * their failure once and the pipeline's delivery.retry retries them. Other errors are thrown
 * at once, unchanged; when attempts run out the last error is thrown saying how many were
 * made.
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
        // Still retryable in kind (it may pass later), but no loop of the runtime wraps these
        // calls (connect, checkpoints), so the attempts are not multiplied.
        const last = databaseError(thrown, action, { attempts: attempt });
        throw new QiError({
          ...last.toJSON(),
          message: `${last.message} (after ${attempt} attempt${attempt === 1 ? "" : "s"})`,
          cause: last.cause,
        });
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
