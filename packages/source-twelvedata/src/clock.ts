import { abortableSleep } from "@qicore/core/adapter";

/**
 * Time as the source sees it: the credit budget and its waits, candles' isFinal and backfill
 * ends all read this clock, so tests can run a day of polling in seconds.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` of this clock's time, or at once when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Wall-clock time. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => abortableSleep(ms, signal),
};

/**
 * A clock running `speed` times faster than wall-clock time, starting at `start`: with
 * speed 120 an hour passes in 30 seconds. Waits shrink by the same factor, so code using it
 * behaves as it would in real time, only sooner (an HTTP round trip counts `speed` times longer).
 */
export function createCompressedClock(speed: number, start: number = Date.now()): Clock {
  if (!(speed > 0)) throw new RangeError(`speed must be positive, got ${speed}`);
  const origin = performance.now();
  return {
    now: () => Math.floor(start + (performance.now() - origin) * speed),
    sleep: (ms, signal) => abortableSleep(ms / speed, signal),
  };
}

/**
 * A clock that stands still at `time` until `set` or `advance` moves it. A sleeper lets
 * the work already queued run first (one event-loop turn), then jumps the clock to its
 * wake-up time, so waits take no real time and happen in a predictable order.
 */
export function createManualClock(
  time: number,
): Clock & { set(to: number): void; advance(ms: number): void } {
  let current = time;
  return {
    now: () => current,
    sleep: async (ms, signal) => {
      if (signal?.aborted || ms <= 0) return;
      const wakeAt = current + ms;
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (!signal?.aborted) current = Math.max(current, wakeAt);
    },
    set: (to) => {
      current = to;
    },
    advance: (ms) => {
      current += ms;
    },
  };
}
