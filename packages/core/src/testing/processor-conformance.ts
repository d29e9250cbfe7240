import { describe, expect, it } from "vitest";
import type { ProcessorHandlers, ProcessorOutput, RecordBatch } from "../adapters/processor-types";
import type { ProcessorDefinition } from "../adapters/types";
import { type MarketRecord, RECORD_KIND_DEFINITIONS, type RecordKind } from "../dsl/kinds";
import { checkAdapter } from "../registry/shape";
import { type Awaitable, contextFor, resolveConfig } from "./conformance-context";
import { sampleRecords } from "./sample-records";

export interface TestProcessorOptions {
  /** The processor under test. */
  // biome-ignore lint/suspicious/noExplicitAny: the suite accepts processors of any config type.
  adapter: ProcessorDefinition<any>;
  /** The raw `config` block, as a pipeline file would give it. */
  config: unknown | (() => Awaitable<unknown>);
  /**
   * The input per kind it takes (default: 60 sample records of the kind, three coins a
   * minute apart). Give input the processor acts on, so its outputs are checked too.
   */
  input?: (kind: RecordKind) => Awaitable<readonly MarketRecord[]>;
}

/** Everything one run handed on, and what the run broke of the contract on the way. */
interface RunLog {
  outputs: RecordBatch[];
  rejected: number;
  violations: string[];
}

/**
 * Feeds `records` in batches of the given sizes (cycling), then a tick far in the future and a
 * flush, checking after each call what the processor said it holds against what it handed on.
 * A processor may hand on the effect of an earlier batch (a closed candle) only if it said,
 * before the call, that it still held that batch: the runtime acknowledges to the source every
 * batch nothing holds.
 */
async function runThrough(
  handlers: ProcessorHandlers,
  kind: RecordKind,
  records: readonly MarketRecord[],
  sizes: readonly number[],
): Promise<RunLog> {
  const log: RunLog = { outputs: [], rejected: 0, violations: [] };
  let held: number | undefined;
  let lastHeld = 0;
  let seen = 0;
  // `sequence` is the input batch of a process() call, 0 for tick() and flush(): their outputs
  // can only carry batches said to be held before the call.
  const take = (call: string, sequence: number, output: ProcessorOutput) => {
    for (const batch of output.batches ?? []) {
      const carries = batch.sequence ?? (sequence > 0 ? sequence : held);
      const unheld =
        sequence > 0
          ? carries !== undefined && carries < sequence && (held === undefined || carries < held)
          : held === undefined || (carries ?? held) < held;
      if (unheld && batch.records.length > 0)
        log.violations.push(
          `${call} handed on records carrying batch ${carries ?? "(none given)"}, which it had not said it held (retainedFrom() was ${held})`,
        );
      log.outputs.push(batch);
    }
    log.rejected += output.rejected?.length ?? 0;
    held = handlers.retainedFrom?.();
    if (held !== undefined) {
      if (held < lastHeld)
        log.violations.push(`retainedFrom() went back from ${lastHeld} to ${held} after ${call}`);
      if (held > seen)
        log.violations.push(`retainedFrom() said ${held} after ${call}, a batch it has not seen`);
      lastHeld = held;
    }
  };
  let sequence = 0;
  for (let start = 0, turn = 0; start < records.length; turn++) {
    const size = sizes[turn % sizes.length] ?? 1;
    sequence += 1;
    seen = sequence;
    const call = `process(batch ${sequence})`;
    take(
      call,
      sequence,
      await handlers.process({ kind, records: records.slice(start, start + size) }, sequence),
    );
    start += size;
  }
  const latest = records.reduce((max, record) => Math.max(max, timeOf(kind, record)), 0);
  if (handlers.tick) take("tick()", 0, await handlers.tick(latest + 86_400_000));
  if (handlers.flush) take("flush()", 0, await handlers.flush());
  if (held !== undefined) log.violations.push(`retainedFrom() still said ${held} after flush()`);
  return log;
}

function timeOf(kind: RecordKind, record: MarketRecord): number {
  const value = (record as unknown as Record<string, unknown>)[RECORD_KIND_DEFINITIONS[kind].timeField];
  const time = value instanceof Date ? value.getTime() : Date.parse(String(value));
  return Number.isFinite(time) ? time : 0;
}

/** The last record handed on per primary key (a revision replaces what came before it). */
function lastPerKey(
  outputs: readonly RecordBatch[],
  into = new Map<string, unknown>(),
): Map<string, unknown> {
  for (const batch of outputs) {
    const fields = RECORD_KIND_DEFINITIONS[batch.kind].primaryKey;
    for (const record of batch.records) {
      const value = record as unknown as Record<string, unknown>;
      into.set(`${batch.kind}|${fields.map((field) => String(value[field])).join("|")}`, record);
    }
  }
  return into;
}

/** A target's rows by key, in key order, to compare. */
const rowsOf = (table: Map<string, unknown>) => [...table].sort(([a], [b]) => a.localeCompare(b));

/** Feeds batches numbered from 1 in this run (and flushes, when the run's input ends). */
async function feed(
  handlers: ProcessorHandlers,
  kind: RecordKind,
  batches: readonly (readonly MarketRecord[])[],
  ends: boolean,
): Promise<RecordBatch[]> {
  const outputs: RecordBatch[] = [];
  for (const [index, records] of batches.entries())
    outputs.push(...((await handlers.process({ kind, records }, index + 1)).batches ?? []));
  if (ends && handlers.flush) outputs.push(...((await handlers.flush()).batches ?? []));
  return outputs;
}

/**
 * What a run stopped after `stopAfter` batches and a second run resumed from the last
 * checkpoint the runtime could commit write together, as a target keeps rows by key. The
 * checkpoint is of the batch before the oldest one still held (as the runtime acknowledges),
 * and its state is what `snapshot` said then, through JSON as a state store keeps it.
 */
async function writtenAcrossRestart(
  create: () => Promise<ProcessorHandlers>,
  kind: RecordKind,
  batches: readonly (readonly MarketRecord[])[],
  stopAfter: number,
): Promise<Map<string, unknown>> {
  const first = await create();
  first.restore?.(undefined);
  const table = lastPerKey(await feed(first, kind, batches.slice(0, stopAfter), false));
  const held = first.retainedFrom?.();
  const checkpoint = held === undefined ? stopAfter : held - 1;
  const saved = JSON.parse(JSON.stringify(first.snapshot?.(checkpoint, 0) ?? null)) as unknown;
  const second = await create();
  second.restore?.(saved ?? undefined);
  return lastPerKey(await feed(second, kind, batches.slice(checkpoint), true), table);
}

/**
 * The conformance suite every processor runs against itself (the built-ins and third
 * parties'). Call it at the top level of a vitest test file. Each check fails for the bug it
 * names; the suite's own tests run it against processors with those bugs.
 */
export function testProcessor(options: TestProcessorOptions): void {
  const { adapter } = options;
  let instances = 0;
  // Each instance in a pipeline of its own: processors that share state within a pipeline
  // (a group's board of latest values) must not see another run's records.
  const create = async (): Promise<ProcessorHandlers> =>
    adapter.create(await resolveConfig(adapter, options.config), {
      ...contextFor(`${adapter.name}-conformance`),
      pipelineName: `conformance-${++instances}`,
    });
  const inputOf = async (kind: RecordKind) => [...(await (options.input?.(kind) ?? sampleRecords(kind, 60)))];
  const emits = new Set<RecordKind>(adapter.capabilities.emits ?? adapter.capabilities.kinds);

  describe(`processor "${adapter.name}" conformance`, () => {
    it("is a well-formed processor for this core", () => {
      expect(checkAdapter(adapter, "the processor under test")).toBeNull();
      expect(adapter.role).toBe("processor");
    });

    for (const kind of adapter.capabilities.kinds) {
      it(`hands on only the kinds it declares, each a valid record, from ${kind} input`, async () => {
        const log = await runThrough(await create(), kind, await inputOf(kind), [10]);
        for (const batch of log.outputs) {
          expect(emits.has(batch.kind), `it handed on ${batch.kind}, which it does not declare`).toBe(true);
          for (const record of batch.records) {
            const parsed = RECORD_KIND_DEFINITIONS[batch.kind].schema.safeParse(record);
            expect(parsed.success, `not a valid ${batch.kind}: ${JSON.stringify(record)}`).toBe(true);
          }
        }
      });

      it(`leaves the ${kind} records it is given unchanged`, async () => {
        const input = await inputOf(kind);
        const copy = structuredClone(input);
        await runThrough(await create(), kind, input, [7]);
        expect(input).toEqual(copy);
      });

      it(`accepts an empty ${kind} batch`, async () => {
        const output = await (await create()).process({ kind, records: [] }, 1);
        expect((output.batches ?? []).flatMap((batch) => batch.records)).toEqual([]);
      });

      it(`says which ${kind} input it holds, and holds nothing after a flush`, async () => {
        const log = await runThrough(await create(), kind, await inputOf(kind), [1, 4, 9]);
        expect(log.violations, log.violations.join("; ")).toEqual([]);
      });

      it(`resumes after a restart from its last checkpoint as if it had not stopped, on ${kind} input`, async () => {
        const handlers = await create();
        // Keeping state with checkpoints takes both halves: saving it, and taking it back.
        expect(typeof handlers.restore, "snapshot() and restore() come together").toBe(
          typeof handlers.snapshot,
        );
        // A processor that holds nothing rebuilds nothing after a restart.
        if (!handlers.snapshot && !handlers.retainedFrom) return;
        const input = await inputOf(kind);
        const batches: MarketRecord[][] = [];
        for (let start = 0; start < input.length; start += 7) batches.push(input.slice(start, start + 7));
        handlers.restore?.(undefined);
        const uninterrupted = rowsOf(lastPerKey(await feed(handlers, kind, batches, true)));
        expect(uninterrupted.length, "the input gives outputs to compare").toBeGreaterThan(0);
        for (let stopAfter = 1; stopAfter < batches.length; stopAfter++)
          expect(
            rowsOf(await writtenAcrossRestart(create, kind, batches, stopAfter)),
            `stopped after batch ${stopAfter} of ${batches.length}`,
          ).toEqual(uninterrupted);
      });

      it(`gives the same results however its ${kind} input is batched`, async () => {
        const input = await inputOf(kind);
        const whole = await runThrough(await create(), kind, input, [input.length || 1]);
        const pieces = await runThrough(await create(), kind, input, [1, 5, 2, 11]);
        expect(lastPerKey(pieces.outputs)).toEqual(lastPerKey(whole.outputs));
        expect(pieces.rejected).toBe(whole.rejected);
      });
    }
  });
}
