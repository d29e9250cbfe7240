import type { MarketRecord, RecordKind } from "../dsl/kinds";
import { keyHashes, overlaps } from "./record-keys";

interface Write {
  kind: RecordKind;
  keys: Set<number>;
  run: () => Promise<void>;
}

/**
 * Runs a target's writes up to `concurrency` at a time, in the order they were scheduled,
 * never two at once that share a primary key: a write that shares a key with one in flight
 * waits for it, and every write after it waits too. So a key's writes land in read order (an
 * upsert's last write wins), concurrent writes never wait on each other's row locks, and
 * batches of new keys (the usual stream) all go at once, whole.
 */
export class WriteScheduler {
  private readonly queued: Write[] = [];
  private readonly running = new Set<Write>();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly onError: (thrown: unknown) => void,
  ) {}

  schedule(kind: RecordKind, records: readonly MarketRecord[], run: () => Promise<void>): void {
    this.queued.push({ kind, keys: keyHashes(kind, records), run });
    this.pump();
  }

  /** Resolves once every scheduled write has finished. */
  async idle(): Promise<void> {
    while (this.queued.length > 0 || this.running.size > 0)
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.queued.length > 0 && this.running.size < this.concurrency) {
      const next = this.queued[0] as Write;
      for (const running of this.running)
        if (running.kind === next.kind && overlaps(running.keys, next.keys)) return;
      this.queued.shift();
      this.running.add(next);
      void next
        .run()
        .catch(this.onError)
        .finally(() => {
          this.running.delete(next);
          this.pump();
          if (this.queued.length === 0 && this.running.size === 0) {
            const waiters = this.idleWaiters;
            this.idleWaiters = [];
            for (const resolve of waiters) resolve();
          }
        });
    }
  }
}
