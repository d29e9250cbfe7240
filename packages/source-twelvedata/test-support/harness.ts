import type { Checkpoint, SourceBatch, SourceHandlers } from "@qicore/core";
import { createMemoryLogger } from "@qicore/core/testing";
import { type Clock, systemClock } from "../src/clock";
import { type TwelveDataConfigInput, twelvedataConfigSchema } from "../src/config";
import { CreditBudgets } from "../src/credit-budget";
import { createTwelveDataSource } from "../src/source";
import {
  type FakeTwelveData,
  type FakeTwelveDataOptions,
  startFakeTwelveData,
} from "../src/testing/fake-twelvedata";

export const TEST_KEY = "td-test-key-5f2a9c";

export interface Harness {
  server: FakeTwelveData;
  handlers: SourceHandlers;
  logger: ReturnType<typeof createMemoryLogger>;
  budgets: CreditBudgets;
  close(): Promise<void>;
}

export interface HarnessOptions {
  server?: FakeTwelveDataOptions;
  /** An already running stand-in (several sources on one server). */
  existingServer?: FakeTwelveData;
  /** The source's config; `baseUrl` defaults to the stand-in's, the key to TEST_KEY (from the environment). */
  config: TwelveDataConfigInput;
  clock?: Clock;
  budgets?: CreditBudgets;
  env?: Record<string, string | undefined>;
  id?: string;
}

/** A Twelve Data stand-in and a source instance reading it, with a memory logger and private budgets. */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const clock = options.clock ?? systemClock;
  const server =
    options.existingServer ??
    (await startFakeTwelveData({ clock, keys: { [TEST_KEY]: "basic" }, ...options.server }));
  const budgets = options.budgets ?? new CreditBudgets();
  const definition = createTwelveDataSource({
    clock,
    budgets,
    env: options.env ?? { TWELVEDATA_API_KEY: TEST_KEY },
  });
  const config = twelvedataConfigSchema.parse({ baseUrl: server.url, ...options.config });
  const logger = createMemoryLogger();
  const abort = new AbortController();
  const handlers = await definition.create(config, {
    id: options.id ?? "td",
    pipelineName: "test",
    logger,
    baseDir: process.cwd(),
    signal: abort.signal,
  });
  return {
    server,
    handlers,
    logger,
    budgets,
    close: async () => {
      abort.abort();
      if (!options.existingServer) await server.close();
    },
  };
}

/** Every batch of one read(). */
export async function readOnce(
  handlers: SourceHandlers,
  checkpoint?: Checkpoint,
  signal: AbortSignal = new AbortController().signal,
): Promise<SourceBatch[]> {
  const batches: SourceBatch[] = [];
  const read = handlers.read as NonNullable<SourceHandlers["read"]>;
  for await (const batch of read({ signal, ...(checkpoint !== undefined ? { checkpoint } : {}) }))
    batches.push(batch);
  return batches;
}

/** The records of some batches, of one kind. */
export function recordsOf(
  batches: readonly SourceBatch[],
  kind: SourceBatch["kind"],
): Record<string, unknown>[] {
  return batches
    .filter((batch) => batch.kind === kind)
    .flatMap((batch) => batch.records as Record<string, unknown>[]);
}

/** The checkpoint of the last batch that has one. */
export function lastCheckpoint(batches: readonly SourceBatch[]): Checkpoint | undefined {
  return [...batches].reverse().find((batch) => batch.checkpoint !== undefined)?.checkpoint;
}
