import type { QiError } from "@qicore/core/adapter";
import type { OutgoingMessage, TopicMessages } from "./client/types";
import type { QueuedWrite } from "./queued-write";

export interface SendQueueOptions {
  /** 0: send as soon as no request is in flight; otherwise wait this long for more messages first. */
  lingerMs: number;
  /** Most messages in one request. */
  batchMessages: number;
  /** Most key and value bytes in one request. */
  batchBytes: number;
}

/** Where the queue's requests go. */
export interface Sender {
  /** Resolves once the brokers acknowledged every message of the request. */
  send(request: readonly TopicMessages[]): Promise<void>;
  /** Replaces the producer with a new one (a new producer id, sequence numbers from zero). */
  renew(): Promise<void>;
}

/**
 * What a failed request means: `passing` failures (the broker restarting, a timeout) keep
 * the request to be sent again as it was; `refused` ones drop it, refusing its records for
 * good. `renew` asks for a new producer before the next request, because the old one's
 * sequence numbers can no longer be trusted.
 */
export interface FailureVerdict {
  error: QiError;
  refused: boolean;
  renew: boolean;
}

/** One message in the queue, with the write it belongs to and its record's index there. */
export interface QueueEntry {
  topic: string;
  message: OutgoingMessage;
  write: QueuedWrite;
  index: number;
}

/** Messages gathered for one produce request. */
class RequestBatch {
  readonly entries: QueueEntry[] = [];
  bytes = 0;
  /** Handed to the producer once: from then on its content is fixed (see SendQueue). */
  sent = false;
  private built: TopicMessages[] | undefined;

  add(entry: QueueEntry, size: number): void {
    this.entries.push(entry);
    this.bytes += size;
  }

  get count(): number {
    return this.entries.length;
  }

  request(): TopicMessages[] {
    if (this.built) return this.built;
    const topics = new Map<string, OutgoingMessage[]>();
    for (const { topic, message } of this.entries) {
      const messages = topics.get(topic);
      if (messages) messages.push(message);
      else topics.set(topic, [message]);
    }
    this.built = [...topics].map(([topic, messages]) => ({ topic, messages }));
    return this.built;
  }
}

interface FlushWaiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers messages into produce requests of bounded size and sends one request at a time.
 * One at a time keeps the idempotent producer's sequence numbers and each key's messages in
 * order; while a request is in flight the next one fills up, so batches grow with the load.
 *
 * A request that fails for now stays at the head of the queue and nothing behind it is sent:
 * every waiting write fails its current attempt, and the next write call (the caller's retry,
 * or any new write) sends that same request again. Sent again unchanged, it carries the same
 * sequence numbers, so if the brokers had stored it after all they recognise the duplicate
 * and drop it; sending later messages first, or a request made up differently, would
 * reorder or duplicate them. So the queue never retries on its own: the caller's retry policy
 * (the pipeline's delivery.retry) decides when. A request refused for good is dropped, its
 * records are refused by index, and the next request goes out on a new producer.
 */
export class SendQueue {
  private open: RequestBatch | undefined;
  private readonly sealed: RequestBatch[] = [];
  private readonly waiting = new Set<QueuedWrite>();
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** A request failed for now: nothing is sent until the next write call resumes the queue. */
  private stalled = false;
  private renewFirst = false;
  private flushWaiters: FlushWaiter[] = [];

  constructor(
    private readonly sender: Sender,
    private readonly options: SendQueueOptions,
    private readonly judge: (thrown: unknown) => FailureVerdict,
  ) {}

  /** Queues a write's messages, in order, and resumes a stalled queue. */
  add(entries: readonly QueueEntry[]): void {
    for (const entry of entries) {
      const size = entry.message.value.length + (entry.message.key?.length ?? 0);
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
      batch.add(entry, size);
      this.waiting.add(entry.write);
    }
    if (this.open && this.open.count >= this.options.batchMessages) this.seal();
    this.stalled = false;
    this.schedule();
  }

  /** A write call that retries: sends the request that failed, and what waits behind it. */
  resume(): void {
    this.stalled = false;
    this.pump();
  }

  /**
   * Sends everything gathered now and resolves when nothing is pending or in flight; rejects
   * with the failure when a request fails for now (a stalled queue is tried once more first).
   */
  flush(): Promise<void> {
    if (this.open && this.open.count > 0) this.seal();
    if (this.idle) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.flushWaiters.push({ resolve, reject }));
    this.resume();
    return done;
  }

  /** Messages waiting to be sent (open, sealed and in flight are not told apart). */
  get pendingMessages(): number {
    return (this.open?.count ?? 0) + this.sealed.reduce((sum, batch) => sum + batch.count, 0);
  }

  /** A request failed for now and waits to be sent again. */
  get isStalled(): boolean {
    return this.stalled;
  }

  private get idle(): boolean {
    return !this.inFlight && this.sealed.length === 0 && (this.open?.count ?? 0) === 0;
  }

  private schedule(): void {
    if (this.open && this.open.count > 0) {
      if (this.options.lingerMs === 0) {
        if (!this.inFlight && this.sealed.length === 0) this.seal();
      } else if (!this.timer) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          if (this.open && this.open.count > 0) this.seal();
          this.pump();
        }, this.options.lingerMs);
      }
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
    if (this.inFlight || this.stalled) return;
    // What gathered while the last request was in flight goes next (lingerMs 0), or when its timer fires.
    if (this.sealed.length === 0 && this.options.lingerMs === 0 && this.open && this.open.count > 0)
      this.seal();
    const batch = this.sealed[0];
    if (!batch) {
      if (this.idle) this.settleFlushes();
      return;
    }
    this.inFlight = this.sendOnce(batch).finally(() => {
      this.inFlight = undefined;
      this.pump();
    });
  }

  private async sendOnce(batch: RequestBatch): Promise<void> {
    try {
      if (this.renewFirst) {
        await this.sender.renew();
        this.renewFirst = false;
      }
      batch.sent = true;
      await this.sender.send(batch.request());
    } catch (thrown) {
      const verdict = this.judge(thrown);
      if (verdict.renew) this.renewFirst = true;
      if (verdict.refused) {
        this.sealed.shift();
        // The brokers may have stored part of the request: its sequence numbers are spent.
        this.renewFirst = true;
        for (const entry of batch.entries) entry.write.refused(entry.index, verdict.error);
        this.forgetSettled(batch);
        return;
      }
      this.stalled = true;
      for (const write of this.waiting) write.interrupted(verdict.error);
      this.failFlushes(verdict.error);
      return;
    }
    this.sealed.shift();
    const counts = new Map<QueuedWrite, number>();
    for (const { write } of batch.entries) counts.set(write, (counts.get(write) ?? 0) + 1);
    for (const [write, count] of counts) write.acknowledged(count);
    this.forgetSettled(batch);
  }

  private forgetSettled(batch: RequestBatch): void {
    for (const { write } of batch.entries) if (write.settled) this.waiting.delete(write);
  }

  private settleFlushes(): void {
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  private failFlushes(error: unknown): void {
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}
