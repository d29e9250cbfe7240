/** Longest a source's read goes on without giving timers and sockets a turn. */
export const TURN_EVERY_MS = 50;

/**
 * The batches of `batches`, with a turn of the event loop (setImmediate) at least every
 * `everyMs`. A source and targets that never wait for I/O (synthetic → memory, a replay) run
 * on promises alone, and promises never let timers or sockets in: the metrics server, taps,
 * `qicore top`, the dashboard and signal handlers would get nothing until the run ends.
 */
export async function* withEventLoopTurns<T>(
  batches: AsyncIterable<T>,
  everyMs = TURN_EVERY_MS,
): AsyncGenerator<T> {
  let turnedAt = performance.now();
  for await (const batch of batches) {
    yield batch;
    if (performance.now() - turnedAt >= everyMs) {
      await new Promise((resolve) => setImmediate(resolve));
      turnedAt = performance.now();
    }
  }
}
