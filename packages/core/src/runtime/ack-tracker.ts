import type { Checkpoint } from "../adapters/types";

/**
 * One source batch on its way to its targets. It is written once every delivery of it (per
 * target, per split piece, per processor output) has settled; it is done, and may be
 * acknowledged, once it is written and no processor still holds it (a candle bucket it fed
 * is still open).
 */
export class BatchTicket {
  done = false;
  written = false;
  private holds = 0;
  private readonly writtenListeners: (() => void)[] = [];

  constructor(
    readonly checkpoint: Checkpoint | undefined,
    private pending: number,
    private readonly onDone: (ticket: BatchTicket) => void,
    /** The source batch's number in this run (processors' sequence), when it is one. */
    readonly sequence?: number,
  ) {}

  /** One more delivery must settle before the batch is written (a batch split across two writes). */
  addPending(): void {
    this.pending++;
  }

  settle(): void {
    if (this.written) return;
    this.pending--;
    if (this.pending <= 0) this.markWritten();
  }

  /** A processor holds this batch's effect; it is acknowledged only after `releaseHold`. */
  addHold(): void {
    this.holds++;
  }

  releaseHold(): void {
    this.holds--;
    this.finishIfDone();
  }

  /** Runs `listener` once every delivery of this batch has settled (at once when it has). */
  whenWritten(listener: () => void): void {
    if (this.written) listener();
    else this.writtenListeners.push(listener);
  }

  /** Settles at once a batch that nothing needs to settle (no targets routed, no valid records). */
  settleIfNothingPending(): void {
    if (this.pending <= 0 && !this.written) this.markWritten();
  }

  private markWritten(): void {
    this.written = true;
    for (const listener of this.writtenListeners.splice(0)) listener();
    this.finishIfDone();
  }

  private finishIfDone(): void {
    if (this.done || !this.written || this.holds > 0) return;
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
  /** The pending look at the head of the queue, when one is scheduled (see `advanceSoon`). */
  private advancing: Promise<void> | undefined;

  /** `commit` gets the checkpoint and the number of the batch it is of (0 when not known). */
  constructor(private readonly commit: (checkpoint: Checkpoint, sequence: number) => Promise<void>) {}

  /**
   * Opens a ticket for a batch that must be settled `pending` times; `onWritten` runs when it
   * has been (the records are out of the pipeline's hands), before it is acknowledged.
   */
  track(
    checkpoint: Checkpoint | undefined,
    pending: number,
    onWritten: () => void = () => {},
    sequence?: number,
  ): BatchTicket {
    const ticket = new BatchTicket(checkpoint, pending, () => this.advanceSoon(), sequence);
    ticket.whenWritten(onWritten);
    this.open.push(ticket);
    return ticket;
  }

  get openCount(): number {
    return this.open.length;
  }

  /** Resolves when every tracked batch is done and its commit has run. */
  async idle(): Promise<void> {
    if (this.open.length > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.advancing;
    await this.commitChain;
  }

  /**
   * Resolves when every tracked batch is written and what could be acknowledged was: batches
   * a processor still holds (an open candle bucket at a stop) stay unacknowledged, so the next
   * run reads them again.
   */
  async drained(): Promise<void> {
    await Promise.all(this.open.map((ticket) => new Promise<void>((resolve) => ticket.whenWritten(resolve))));
    await Promise.resolve();
    await this.advancing;
    await this.commitChain;
  }

  /**
   * Looks at the head once the current turn's work is done, not at each ticket: tickets often
   * finish in a burst (a closing hour bucket releases every batch it held, in read order), and
   * one commit of the newest checkpoint then covers them all instead of one commit, and one
   * save of the processors' state, per batch.
   */
  private advanceSoon(): void {
    if (this.advancing) return;
    this.advancing = Promise.resolve().then(() => {
      this.advancing = undefined;
      this.advance();
    });
  }

  private advance(): void {
    let checkpoint: Checkpoint | undefined;
    let sequence = 0;
    let advanced = false;
    while (this.open.length > 0 && (this.open[0] as BatchTicket).done) {
      const head = this.open.shift() as BatchTicket;
      if (head.checkpoint !== undefined) {
        checkpoint = head.checkpoint;
        sequence = head.sequence ?? 0;
      }
      advanced = true;
    }
    if (!advanced) return;
    if (checkpoint !== undefined) {
      const toCommit = checkpoint;
      const of = sequence;
      this.commitChain = this.commitChain.then(() => this.commit(toCommit, of));
    }
    if (this.open.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
