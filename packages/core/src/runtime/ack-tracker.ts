import type { Checkpoint } from "../adapters/types";
import type { MarketRecord, RecordKind } from "../dsl/kinds";

/**
 * One source batch on its way to its targets. It is settled once per target (and per
 * split piece); when nothing is pending the batch is done and may be acknowledged.
 */
export class BatchTicket {
  done = false;
  constructor(
    readonly kind: RecordKind,
    readonly records: readonly MarketRecord[],
    readonly checkpoint: Checkpoint | undefined,
    private pending: number,
    private readonly onDone: (ticket: BatchTicket) => void,
  ) {}

  /** One more piece must settle before the batch is done (a batch split across two writes). */
  addPending(): void {
    this.pending++;
  }

  settle(): void {
    if (this.done) return;
    this.pending--;
    if (this.pending <= 0) this.finish();
  }

  /** Done at once when nothing needs to settle it (no targets routed, no valid records). */
  settleIfNothingPending(): void {
    if (this.pending <= 0 && !this.done) this.finish();
  }

  private finish(): void {
    this.done = true;
    this.onDone(this);
  }
}

/**
 * Acknowledges a source's batches in the order they were read: the checkpoint of a
 * batch is committed only when it and every batch before it are done, so a crash
 * never skips data that was read but not yet written.
 */
export class AckTracker {
  private readonly open: BatchTicket[] = [];
  private commitChain: Promise<void> = Promise.resolve();
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly commit: (checkpoint: Checkpoint) => Promise<void>) {}

  /**
   * Opens a ticket for a batch that must be settled `pending` times; `onDone` runs when it
   * is (before its checkpoint is committed).
   */
  track(
    kind: RecordKind,
    records: readonly MarketRecord[],
    checkpoint: Checkpoint | undefined,
    pending: number,
    onDone: (ticket: BatchTicket) => void = () => {},
  ): BatchTicket {
    const ticket = new BatchTicket(kind, records, checkpoint, pending, (done) => {
      onDone(done);
      this.advance();
    });
    this.open.push(ticket);
    ticket.settleIfNothingPending();
    return ticket;
  }

  get openCount(): number {
    return this.open.length;
  }

  /** Resolves when every tracked batch is done and its commit has run. */
  async idle(): Promise<void> {
    if (this.open.length > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.commitChain;
  }

  private advance(): void {
    let checkpoint: Checkpoint | undefined;
    let advanced = false;
    while (this.open.length > 0 && (this.open[0] as BatchTicket).done) {
      const head = this.open.shift() as BatchTicket;
      if (head.checkpoint !== undefined) checkpoint = head.checkpoint;
      advanced = true;
    }
    if (!advanced) return;
    if (checkpoint !== undefined) {
      const toCommit = checkpoint;
      this.commitChain = this.commitChain.then(() => this.commit(toCommit));
    }
    if (this.open.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
