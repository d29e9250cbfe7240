import type { OutgoingMessage, TopicMessages } from "./client/types";

export interface SendQueueOptions {
  /** 0: send as soon as no request is in flight; otherwise wait this long for more messages first. */
  lingerMs: number;
  /** Most messages in one request. */
  batchMessages: number;
  /** Most key and value bytes in one request. */
  batchBytes: number;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Messages gathered for one produce request. */
class RequestBatch {
  readonly topics = new Map<string, OutgoingMessage[]>();
  count = 0;
  bytes = 0;
  readonly done: Deferred = deferred();

  add(topic: string, message: OutgoingMessage, size: number): void {
    let messages = this.topics.get(topic);
    if (!messages) {
      messages = [];
      this.topics.set(topic, messages);
    }
    messages.push(message);
    this.count++;
    this.bytes += size;
  }

  request(): TopicMessages[] {
    return [...this.topics].map(([topic, messages]) => ({ topic, messages }));
  }
}

/**
 * Gathers messages into produce requests of bounded size and sends one request at a time.
 * One at a time keeps the idempotent producer's sequence numbers in order and each key's
 * messages in order; while a request is in flight the next one fills up, so batches grow
 * with the load. `add` resolves once every message it added is acknowledged.
 */
export class SendQueue {
  private open: RequestBatch | undefined;
  private readonly sealed: RequestBatch[] = [];
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: (batch: TopicMessages[]) => Promise<void>,
    private readonly options: SendQueueOptions,
  ) {}

  add(topics: readonly TopicMessages[]): Promise<void> {
    const waits = new Set<Promise<void>>();
    for (const { topic, messages } of topics) {
      for (const message of messages) {
        const size = message.value.length + (message.key?.length ?? 0);
        let batch = this.open;
        if (
          batch &&
          batch.count > 0 &&
          (batch.count >= this.options.batchMessages || batch.bytes + size > this.options.batchBytes)
        ) {
          this.seal();
          batch = undefined;
        }
        if (!batch) {
          batch = new RequestBatch();
          this.open = batch;
        }
        batch.add(topic, message, size);
        waits.add(batch.done.promise);
      }
    }
    if (this.open && this.open.count >= this.options.batchMessages) this.seal();
    this.schedule();
    return waits.size === 1 ? ([...waits][0] as Promise<void>) : Promise.all(waits).then(() => undefined);
  }

  /** Sends everything gathered now and resolves when nothing is pending or in flight. */
  async flush(): Promise<void> {
    if (this.open && this.open.count > 0) this.seal();
    this.pump();
    while (this.inFlight || this.sealed.length > 0) {
      await this.inFlight?.catch(() => undefined);
      this.pump();
    }
  }

  /** Messages waiting to be sent (open, sealed and in flight are not told apart). */
  get pendingMessages(): number {
    return (this.open?.count ?? 0) + this.sealed.reduce((sum, batch) => sum + batch.count, 0);
  }

  private schedule(): void {
    if (!this.open || this.open.count === 0) {
      this.pump();
      return;
    }
    if (this.options.lingerMs === 0) {
      if (!this.inFlight) this.seal();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.open && this.open.count > 0) this.seal();
        this.pump();
      }, this.options.lingerMs);
    }
    this.pump();
  }

  private seal(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.open && this.open.count > 0) this.sealed.push(this.open);
    this.open = undefined;
  }

  private pump(): void {
    if (this.inFlight) return;
    const batch = this.sealed.shift();
    if (!batch) return;
    this.inFlight = this.send(batch.request()).then(
      () => batch.done.resolve(),
      (error) => batch.done.reject(error),
    );
    void this.inFlight.finally(() => {
      this.inFlight = undefined;
      // What gathered while the request was in flight goes next (lingerMs 0), or when its timer fires.
      if (this.options.lingerMs === 0 && this.sealed.length === 0 && this.open && this.open.count > 0)
        this.seal();
      this.pump();
    });
  }
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((resolvePromise, rejectPromise) => {
    resolve = resolvePromise;
    reject = rejectPromise;
  });
  // A rejection nobody awaits yet (the batch is still filling) must not crash the process.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
