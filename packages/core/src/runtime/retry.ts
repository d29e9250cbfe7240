import { type QiError, qiError, toQiError } from "../errors/qi-error";

/**
 * How the runtime retries a retryable failure. The runtime is the one owner of retries:
 * adapters say whether a failure may pass (`QiError.retryable`) and the runtime waits and
 * tries again, so a pipeline file's `delivery.retry` means exactly what it says.
 *
 * Without bounds (the default) a passing outage is waited out however long it lasts, with
 * backpressure holding the sources meanwhile; `maxAttempts` or `maxElapsedMs` turn a very
 * long one into a failure of the run. Records are never dead-lettered for an outage.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included; absent: no limit. */
  maxAttempts?: number;
  /** Delay cap before the second attempt. */
  initialDelayMs: number;
  /** Largest delay between two attempts. */
  maxDelayMs: number;
  /** Gives up once failures have lasted this long since the first of the streak; absent: no limit. */
  maxElapsedMs?: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialDelayMs: 100, maxDelayMs: 5_000 };

/**
 * Delay before attempt `attempt + 1`: exponential backoff with "full jitter" (a random
 * delay between 0 and the exponential cap), which spreads retries of many writers
 * instead of having them hit a recovering service in lockstep.
 */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(cap * random());
}

export interface RetryHooks {
  signal?: AbortSignal;
  /** Called before each wait: the failure, the attempt that failed, the delay chosen. */
  onRetry?: (error: QiError, attempt: number, delayMs: number) => void;
  /** Called when an attempt succeeds after failed ones (an outage ended). */
  onRecovered?: (attempts: number, elapsedMs: number) => void;
  /** Replaces setTimeout-based sleeping (tests with fake time). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

/**
 * Runs `operation` until it succeeds, fails with a non-retryable error, or the policy's
 * bounds are reached. Only QiErrors marked retryable are retried. A retryable failure that
 * outlasted the bounds is thrown as `RETRIES_EXHAUSTED` (not retryable: no outer loop tries
 * again), naming the attempts and the time spent; a non-retryable one is thrown as it is,
 * with the attempts made in its context.
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  hooks: RetryHooks = {},
): Promise<T> {
  const sleep = hooks.sleep ?? abortableSleep;
  const now = hooks.now ?? Date.now;
  let firstFailureAt: number | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      const value = await operation(attempt);
      if (firstFailureAt !== undefined) hooks.onRecovered?.(attempt, now() - firstFailureAt);
      return value;
    } catch (thrown) {
      const error = toQiError(thrown);
      firstFailureAt ??= now();
      if (!error.retryable) throw attempt > 1 ? error.withContext({ attempts: attempt }) : error;
      // Given up from outside (a stop that would not wait any longer): the failure was
      // passing, so it must not be taken for a refusal and dead-lettered.
      if (aborted(hooks.signal)) throw abandoned(error, attempt);
      const elapsedMs = now() - firstFailureAt;
      if (
        attempt >= (policy.maxAttempts ?? Number.POSITIVE_INFINITY) ||
        elapsedMs >= (policy.maxElapsedMs ?? Number.POSITIVE_INFINITY)
      ) {
        throw retriesExhausted(error, attempt, elapsedMs, policy);
      }
      const delay = backoffDelay(policy, attempt);
      hooks.onRetry?.(error, attempt, delay);
      await sleep(delay, hooks.signal);
      if (aborted(hooks.signal)) throw abandoned(error, attempt);
    }
  }
}

// A function, so the check after an await is not narrowed away by the one before it.
function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function abandoned(error: QiError, attempts: number): QiError {
  return qiError("CANCELLED", `retries given up while stopping: ${error.message}`, {
    category: error.category,
    retryable: false,
    context: { ...error.context, attempts, failure: error.code },
    cause: error,
  });
}

/** The error of a retryable failure that outlasted the retry policy: the run should fail, not drop data. */
export function retriesExhausted(
  error: QiError,
  attempts: number,
  elapsedMs: number,
  policy: RetryPolicy,
): QiError {
  const bound =
    policy.maxAttempts !== undefined && attempts >= policy.maxAttempts
      ? `maxAttempts ${policy.maxAttempts}`
      : `maxElapsed ${Math.round((policy.maxElapsedMs ?? 0) / 1000)} s`;
  return qiError(
    "RETRIES_EXHAUSTED",
    `${error.message} (still failing after ${attempts} attempts over ${(elapsedMs / 1000).toFixed(1)} s; delivery.retry ${bound})`,
    {
      category: error.category,
      retryable: false,
      context: { ...error.context, attempts, elapsedMs, failure: error.code },
      cause: error,
    },
  );
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

export const cancelledError = (what: string) => qiError("CANCELLED", `${what} was cancelled`);
