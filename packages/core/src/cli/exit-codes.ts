/** Exit codes of the `qicore` command, as documented in `qicore --help` and the README. */
export const EXIT = {
  /** Success; also after SIGINT/SIGTERM once in-flight batches are drained. */
  OK: 0,
  /** The pipeline ran and failed (an adapter could not connect, a dead-letter destination failed). */
  FAILED: 1,
  /** Invalid usage or an invalid pipeline file: nothing was run. */
  INVALID: 2,
  /** A second SIGINT/SIGTERM forced an exit before draining finished. */
  FORCED: 130,
} as const;
