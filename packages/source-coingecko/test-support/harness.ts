import type { Checkpoint, SourceBatch, SourceHandlers } from "@qicore/core";
import { createMemoryLogger } from "@qicore/core/testing";
import { type Clock, systemClock } from "../src/clock";
import { type CoinGeckoConfigInput, coingeckoConfigSchema } from "../src/config";
import { RateBudgets } from "../src/rate-budget";
import { createCoinGeckoSource } from "../src/source";
import {
  type FakeCoinGecko,
  type FakeCoinGeckoOptions,
  startFakeCoinGecko,
} from "../src/testing/fake-coingecko";

export interface Harness {
  server: FakeCoinGecko;
  handlers: SourceHandlers;
  logger: ReturnType<typeof createMemoryLogger>;
  budgets: RateBudgets;
  /** Text written to the fake standard error (progress bars). */
  stderr: string[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  server?: FakeCoinGeckoOptions;
  /** An already running server (several sources on one server). */
  existingServer?: FakeCoinGecko;
  /** The source's config; `baseUrl` defaults to the fake server's. */
  config: CoinGeckoConfigInput;
  clock?: Clock;
  budgets?: RateBudgets;
  env?: Record<string, string | undefined>;
  tty?: boolean;
}

/** A fake CoinGecko and a source instance reading it, with a memory logger and private rate budgets. */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const clock = options.clock ?? systemClock;
  const server = options.existingServer ?? (await startFakeCoinGecko({ clock, ...options.server }));
  const budgets = options.budgets ?? new RateBudgets();
  const stderr: string[] = [];
  const definition = createCoinGeckoSource({
    clock,
    budgets,
    env: options.env ?? {},
    stderr: { isTTY: options.tty ?? false, columns: 200, write: (text: string) => stderr.push(text) },
  });
  const config = coingeckoConfigSchema.parse({ baseUrl: server.url, ...options.config });
  const logger = createMemoryLogger();
  const abort = new AbortController();
  const handlers = await definition.create(config, {
    id: "cg",
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
    stderr,
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
