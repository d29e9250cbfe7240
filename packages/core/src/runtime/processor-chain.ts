import type {
  ProcessorHandlers,
  ProcessorOutput,
  ProcessorRejection,
  RecordBatch,
} from "../adapters/processor-types";
import type { ProcessorDefinition } from "../adapters/types";
import type { RecordKind } from "../dsl/kinds";
import { toQiError } from "../errors/qi-error";
import type { BatchTicket } from "./ack-tracker";
import type { PipelineMetrics } from "./metrics";

/** One step of a chain: a processor instance with what it takes. */
export interface ChainStep {
  /** `<source id>/<processor id>`, as metrics name it. */
  label: string;
  definition: ProcessorDefinition;
  handlers: ProcessorHandlers;
}

/** What a chain hands on after a call. */
export interface ChainOutput {
  batches: RecordBatch[];
  rejected: ProcessorRejection[];
}

/**
 * Processing steps applied in order to one source's records on one route (or to all of a
 * source's records). Each step gets the records of the kinds it consumes; other kinds pass it.
 * Calls run one at a time, so a processor sees its inputs in read order.
 *
 * It also keeps, for at-least-once, the input batches whose effect a step still holds: a
 * batch is held while any step's `retainedFrom()` is at or before its sequence, and released
 * once the outputs that carry its effect are written.
 */
export class ProcessorChain {
  private queue: Promise<unknown> = Promise.resolve();
  /** Held input batches, oldest first. */
  private readonly held: { sequence: number; ticket: BatchTicket }[] = [];
  /** `settleHolds` calls so far; each names the outputs it was given. */
  private calls = 0;
  /** The oldest call whose outputs are not known to be written (every earlier one's are). */
  private firstUnwritten = 1;
  /** Calls after `firstUnwritten` whose outputs are written already (they were written out of order). */
  private readonly writtenCalls = new Set<number>();
  /** Holds to release once every call up to `call` has its outputs written, oldest first. */
  private readonly releases: { call: number; tickets: BatchTicket[] }[] = [];

  private readonly retaining: boolean;

  constructor(
    private readonly steps: readonly ChainStep[],
    private readonly metrics: PipelineMetrics,
  ) {
    this.retaining = this.retains;
  }

  /** Whether a step closes work by time as well as by data (has `tick`). */
  get ticks(): boolean {
    return this.steps.some((step) => typeof step.handlers.tick === "function");
  }

  /** Whether a step may hold inputs (has state that outlives a call). */
  get retains(): boolean {
    return this.steps.some((step) => typeof step.handlers.retainedFrom === "function");
  }

  /** Runs a batch through every step. */
  push(batch: RecordBatch, sequence: number): Promise<ChainOutput> {
    return this.serially(() =>
      this.run([batch], 0, (step, input) => step.handlers.process(input, input.sequence ?? sequence)),
    );
  }

  /** Lets time-driven steps hand on what is due. */
  tick(now: number): Promise<ChainOutput> {
    return this.serially(() => this.runFrom((step) => step.handlers.tick?.(now)));
  }

  /** The input ended: every step hands on what it still holds, in order. */
  flush(): Promise<ChainOutput> {
    return this.serially(() => this.runFrom((step) => step.handlers.flush?.()));
  }

  /**
   * After a call that handed on outputs under `outputs` (their deliveries' ticket): holds the
   * input batch `sequence` when a step still retains it, and releases every held batch no step
   * retains any more once the outputs of this call and of every call before it are written.
   * Not this call's alone: the candle that carries a held batch's effect may have been handed
   * on by an earlier call (a bucket closed there while an older one still held the batch) and
   * be in flight still, while this call handed on nothing (an already written bucket closed),
   * so its outputs are written at once. With `everything`, all holds go (the input ended and
   * everything was flushed).
   */
  settleHolds(
    outputs: BatchTicket,
    current?: { sequence: number; ticket: BatchTicket },
    everything = false,
  ): void {
    // Steps without state never hold a batch: nothing to keep count of.
    if (!this.retaining) return;
    const call = ++this.calls;
    const retainedFrom = everything ? Number.POSITIVE_INFINITY : this.retainedFrom();
    if (current && current.sequence >= retainedFrom) {
      current.ticket.addHold();
      this.held.push(current);
    }
    const releasing: BatchTicket[] = [];
    while (this.held.length > 0 && (this.held[0] as { sequence: number }).sequence < retainedFrom)
      releasing.push((this.held.shift() as { ticket: BatchTicket }).ticket);
    if (releasing.length > 0) this.releases.push({ call, tickets: releasing });
    outputs.whenWritten(() => this.outputsWritten(call));
  }

  /** The outputs of `call` are written: releases the holds every call up to theirs allows. */
  private outputsWritten(call: number): void {
    this.writtenCalls.add(call);
    while (this.writtenCalls.delete(this.firstUnwritten)) this.firstUnwritten++;
    while (this.releases.length > 0 && (this.releases[0] as { call: number }).call < this.firstUnwritten)
      for (const ticket of (this.releases.shift() as { tickets: BatchTicket[] }).tickets)
        ticket.releaseHold();
  }

  /** Whether a step keeps state with the source's checkpoints (has `snapshot`). */
  get snapshots(): boolean {
    return this.steps.some((step) => typeof step.handlers.snapshot === "function");
  }

  /** Each step's state to keep with the checkpoint of batch `sequence` (null for a step without). */
  snapshot(sequence: number, since: number): unknown[] {
    return this.steps.map((step) => step.handlers.snapshot?.(sequence, since) ?? null);
  }

  /** Gives each step what `snapshot` returned for it when the resumed checkpoint was saved. */
  restore(states: readonly unknown[] | undefined): void {
    this.steps.forEach((step, index) => {
      const state = states?.[index];
      step.handlers.restore?.(state === null ? undefined : state);
    });
  }

  private retainedFrom(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const step of this.steps) {
      const retained = step.handlers.retainedFrom?.();
      if (retained !== undefined && retained < oldest) oldest = retained;
    }
    return oldest;
  }

  /** Calls `call` on every step in turn, each step's outputs (and its own call's) going to the next. */
  private async runFrom(call: (step: ChainStep) => ProcessorOutput | Promise<ProcessorOutput> | undefined) {
    const output: ChainOutput = { batches: [], rejected: [] };
    for (let index = 0; index < this.steps.length; index++) {
      const step = this.steps[index] as ChainStep;
      const own = await this.call(step, () => call(step));
      output.rejected.push(...own.rejected);
      // What this step hands on still goes through the steps after it.
      const downstream = await this.run(own.batches, index + 1, (next, input) =>
        next.handlers.process(input, input.sequence ?? 0),
      );
      output.batches.push(...downstream.batches);
      output.rejected.push(...downstream.rejected);
    }
    return output;
  }

  private async run(
    batches: readonly RecordBatch[],
    from: number,
    call: (step: ChainStep, input: RecordBatch) => ProcessorOutput | Promise<ProcessorOutput>,
  ): Promise<ChainOutput> {
    let current = [...batches];
    const rejected: ProcessorRejection[] = [];
    for (const step of this.steps.slice(from)) {
      const next: RecordBatch[] = [];
      for (const batch of current) {
        if (batch.records.length === 0) continue;
        if (!takes(step, batch.kind)) {
          next.push(batch);
          continue;
        }
        const output = await this.call(step, () => call(step, batch), batch.records.length);
        next.push(...output.batches);
        rejected.push(...output.rejected);
      }
      current = next;
    }
    return { batches: merge(current), rejected };
  }

  private async call(
    step: ChainStep,
    run: () => ProcessorOutput | Promise<ProcessorOutput> | undefined,
    recordsIn = 0,
  ): Promise<ChainOutput> {
    let output: ProcessorOutput | undefined;
    try {
      output = await run();
    } catch (thrown) {
      throw toQiError(thrown, {
        code: "INTERNAL",
        message: `processor ${step.label} (${step.definition.name}) failed`,
        category: "SYSTEM",
      });
    }
    const batches = [...(output?.batches ?? [])];
    const rejected = [...(output?.rejected ?? [])];
    this.metrics.countProcessed(step.label, {
      in: recordsIn,
      out: batches.reduce((total, batch) => total + batch.records.length, 0),
      dropped: output?.dropped ?? 0,
      rejected: rejected.length,
    });
    return { batches, rejected };
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work, work);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

function takes(step: ChainStep, kind: RecordKind): boolean {
  return step.definition.capabilities.kinds.includes(kind);
}

/** Consecutive batches of one kind become one, so targets get fewer, larger writes. */
function merge(batches: RecordBatch[]): RecordBatch[] {
  const merged: RecordBatch[] = [];
  for (const batch of batches) {
    const last = merged[merged.length - 1];
    if (last && last.kind === batch.kind && last.sequence === batch.sequence)
      merged[merged.length - 1] = { ...last, records: [...last.records, ...batch.records] };
    else merged.push(batch);
  }
  return merged;
}
