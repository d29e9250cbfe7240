import type { QiError } from "../errors/qi-error";
import type { Logger } from "./logger";

/**
 * The one place that knows whether a run goes on. Sources stop reading when `reading`
 * aborts (a stop, or a failure); writes are given up when `writing` aborts (a stop that
 * will not wait any longer); the first failure ends the run and is what it reports.
 */
export class RunControl {
  private readonly readingController = new AbortController();
  private readonly writingController = new AbortController();
  private error: QiError | undefined;
  private notify: ((error: QiError) => void) | undefined;
  /** Resolves with the failure that ended the run (never, for a run that does not fail). */
  readonly failed: Promise<QiError> = new Promise((resolve) => {
    this.notify = resolve;
  });

  constructor(private readonly logger: Logger) {}

  /** Aborted when sources must stop reading. */
  get reading(): AbortSignal {
    return this.readingController.signal;
  }

  /** Aborted when in-flight writes and their retries are given up. */
  get writing(): AbortSignal {
    return this.writingController.signal;
  }

  /** The failure that ended the run, if one did. */
  get failure(): QiError | undefined {
    return this.error;
  }

  /** Ends the run with this failure (the first one counts): nothing more is read or acknowledged. */
  fail(error: QiError): void {
    if (this.error) return;
    this.error = error;
    this.logger.error("pipeline failed", { error: error.message, code: error.code });
    this.readingController.abort();
    this.notify?.(error);
  }

  stopReading(): void {
    this.readingController.abort();
  }

  abandonWrites(): void {
    this.writingController.abort();
  }
}
