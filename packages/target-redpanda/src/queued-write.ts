import type { QiError, RecordFailure } from "@qicore/core/adapter";

/**
 * One write call's messages on their way through the send queue. It settles once every
 * message is acknowledged by the brokers or refused for good (by the record's index).
 *
 * A passing failure (a broker restarting) interrupts only the caller's current attempt: the
 * messages stay queued, in order, so the caller's retry of the same call waits for those same
 * messages instead of producing them a second time.
 */
export class QueuedWrite {
  private outstanding: number;
  private readonly failures: RecordFailure[];
  private waiter: Waiter | undefined;
  /** The outcome reached a caller: a later call with the same records is a new write, not a retry. */
  delivered = false;

  constructor(messages: number, failures: readonly RecordFailure[] = []) {
    this.outstanding = messages;
    this.failures = [...failures];
  }

  get settled(): boolean {
    return this.outstanding <= 0;
  }

  /** The records refused for good once every message is settled; rejects when a passing failure interrupts this attempt. */
  wait(): Promise<RecordFailure[]> {
    if (this.settled) return Promise.resolve(this.deliver());
    this.waiter ??= waiter();
    return this.waiter.promise.then(() => this.deliver());
  }

  acknowledged(count: number): void {
    this.outstanding -= count;
    if (this.settled) this.wake();
  }

  refused(index: number, error: QiError): void {
    this.failures.push({ index, error });
    this.acknowledged(1);
  }

  /** A request holding some of these messages failed for now: the current attempt fails, the messages stay queued. */
  interrupted(error: unknown): void {
    const current = this.waiter;
    this.waiter = undefined;
    current?.reject(error);
  }

  private deliver(): RecordFailure[] {
    this.delivered = true;
    return [...this.failures].sort((a, b) => a.index - b.index);
  }

  private wake(): void {
    const current = this.waiter;
    this.waiter = undefined;
    current?.resolve();
  }
}

interface Waiter {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function waiter(): Waiter {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((resolvePromise, rejectPromise) => {
    resolve = resolvePromise;
    reject = rejectPromise;
  });
  return { promise, resolve, reject };
}
