import { QiError, toQiError } from "../errors/qi-error";

export interface RetryPolicy {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 10_000 };

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
  const cap = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
  return Math.round(cap * random());
}

export interface RetryHooks {
  signal?: AbortSignal;
  onRetry?: (error: QiError, attempt: number, delayMs: number) => void;
  /** Replaces setTimeout-based sleeping (tests with fake time). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Runs `operation` until it succeeds, fails with a non-retryable error, or the
 * attempts are used up. Only QiErrors marked retryable are retried.
 * Resolves with the value or rejects with the last QiError (and its attempt count in context).
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  hooks: RetryHooks = {},
): Promise<T> {
  const sleep = hooks.sleep ?? abortableSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (thrown) {
      const error = toQiError(thrown);
      const last = attempt >= policy.maxAttempts || !error.retryable || hooks.signal?.aborted === true;
      if (last) throw attempt > 1 ? error.withContext({ attempts: attempt }) : error;
      const delay = backoffDelay(policy, attempt);
      hooks.onRetry?.(error, attempt, delay);
      await sleep(delay, hooks.signal);
    }
  }
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

export const cancelledError = (what: string) =>
  new QiError({ code: "CANCELLED", message: `${what} was cancelled`, category: "SYSTEM", retryable: false });
