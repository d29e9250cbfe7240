import { z } from "zod";
import { defineSource } from "../adapters/define";
import { ADAPTER_CONTRACT_VERSION, type SourceBatch } from "../adapters/types";
import { memoryStore, memoryTarget } from "../builtin/memory-target";
import type { ResolvedPipeline, ResolvedSource, ResolvedTarget } from "../config/types";
import type { MarketRecord, RecordKind } from "../dsl/kinds";
import type { PipelineTestCase } from "./test-file";

/** Id of the memory target a test's dead letters go to (not a valid id in pipeline files). */
export const DEAD_LETTER_TARGET = "(dead letters)";

/** Records per batch the test input is read in: small enough that holds across batches are exercised. */
const BATCH = 100;

let runs = 0;

/** A bounded source reading a test's records of each kind, in the order given. */
function inputSource(source: ResolvedSource, input: PipelineTestCase["input"][string] | undefined) {
  const batches: { kind: RecordKind; records: unknown[] }[] = [];
  for (const [kind, given] of Object.entries(input ?? {}) as [
    RecordKind,
    NonNullable<typeof input>[RecordKind],
  ][]) {
    if (!given) continue;
    const list = Array.isArray(given) ? given : given.records;
    const defaults = Array.isArray(given) ? {} : (given.defaults ?? {});
    const records = list.map((record) => ({ ...defaults, ...record }));
    for (let start = 0; start < records.length; start += BATCH)
      batches.push({ kind, records: records.slice(start, start + BATCH) });
  }
  return defineSource({
    name: `${source.definition.name} (test input)`,
    contractVersion: ADAPTER_CONTRACT_VERSION,
    coreVersion: ">=0.0.0",
    configSchema: z.strictObject({}),
    capabilities: { kinds: source.kinds, bounded: true },
    create: () => ({
      async *read(): AsyncIterable<SourceBatch> {
        for (const [index, batch] of batches.entries())
          yield { kind: batch.kind, records: batch.records as MarketRecord[], checkpoint: index + 1 };
      },
    }),
  });
}

function memoryTargetFor(id: string, store: string): ResolvedTarget {
  return { id, type: "memory", definition: memoryTarget, config: memoryTarget.configSchema.parse({ store }) };
}

/**
 * The loaded pipeline with its sources reading the test's records and its targets writing to
 * memory, its processors and routes as they are: what the test checks is the pipeline's own
 * shaping of the data. Dead letters go to a memory target of their own.
 */
export function testPipeline(pipeline: ResolvedPipeline, testCase: PipelineTestCase) {
  const run = ++runs;
  const storeOf = (id: string) => `qicore-test-${process.pid}-${run}-${id}`;
  const routes = pipeline.routes.filter(
    (route) =>
      !testCase.route ||
      (route.from === testCase.route.from && (!testCase.route.to || route.to.includes(testCase.route.to))),
  );
  const used = new Set(routes.map((route) => route.from));
  const { metrics: _served, ...rest } = pipeline;
  const config: ResolvedPipeline = {
    ...rest,
    sources: pipeline.sources
      .filter((source) => used.has(source.id))
      .map(({ schedule: _everyMs, ...source }) => ({
        ...source,
        definition: inputSource(source, testCase.input[source.id]),
        config: {},
      })),
    targets: [
      ...pipeline.targets.map((target) => memoryTargetFor(target.id, storeOf(target.id))),
      memoryTargetFor(DEAD_LETTER_TARGET, storeOf("dead-letters")),
    ],
    routes: testCase.route?.to
      ? routes.map((route) => ({ ...route, to: [testCase.route?.to as string] }))
      : routes,
    delivery: { ...pipeline.delivery, deadLetter: { target: DEAD_LETTER_TARGET } },
  };
  return {
    config,
    written: (targetId: string) => memoryStore(storeOf(targetId)),
    deadLetters: () => memoryStore(storeOf("dead-letters")).deadLetters,
  };
}
