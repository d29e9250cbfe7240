/**
 * Kafka benchmarks of the two adapters against the broker of scripts/services.sh, each beside
 * Kafka's own tool measured in the same run on the same broker:
 *
 * - kafka-produce: 1,000,000 price messages through target-redpanda (default library, and
 *   kafkajs for comparison) vs ProducerPerformance (same JSON payloads, acks=all, idempotence, lz4).
 * - kafka-consume: 1,000,000 price messages through source-redpanda (decoded and validated) vs
 *   ConsumerPerformance (bytes only).
 * - kafka-e2e-latency: 1,000 msg/s from target-redpanda's write to the committed TimescaleDB row
 *   through a pipeline (source-redpanda → target-timescale); Kafka's EndToEndLatency (produce →
 *   consume of one message at a time) is the baseline, rounds alternating (QICORE_BENCH_ROUNDS,
 *   3 by default), median p99 of each, per-stage p50/p99 of every round (produce acknowledged,
 *   Kafka fetch and source, the runtime's queue, the TimescaleDB write).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type CryptoPrice,
  createRegistry,
  defineSource,
  defineTarget,
  type MarketRecord,
  MemoryStateStore,
  Pipeline,
  type SourceDefinition,
  silentLogger,
  type TargetDefinition,
} from "@qicore/core";
import { createRedpandaTarget } from "@qicore/target-redpanda";
import { timescaleTarget } from "@qicore/target-timescale";
import pg from "pg";
import { type Benchmark, type BenchResult, progress, result } from "../../../bench/lib";
import { createRedpandaSource, redpandaSource } from "../src/source";
import { distinctPrices } from "../test-support/prices";

const MESSAGES = 1_000_000;
const CHUNK = 10_000;
const PARTITIONS = 12;
const run = Date.now().toString(36);

/** Endpoints from the environment, or the services script started now. */
function services(): { brokers: string; timescaleUrl: string } {
  if (!process.env.QICORE_TEST_KAFKA_BROKERS || !process.env.QICORE_TEST_TIMESCALE_URL) {
    progress("starting Kafka and TimescaleDB (bash scripts/services.sh up kafka timescale)");
    const up = spawnSync("bash", ["scripts/services.sh", "up", "kafka", "timescale"], { stdio: "inherit" });
    if (up.status !== 0) throw new Error("scripts/services.sh up failed");
    const env = spawnSync("bash", ["scripts/services.sh", "env"], { encoding: "utf8" }).stdout;
    for (const match of env.matchAll(/^export (\w+)='([^']*)'$/gm))
      process.env[match[1] as string] = match[2];
  }
  return {
    brokers: process.env.QICORE_TEST_KAFKA_BROKERS as string,
    timescaleUrl: process.env.QICORE_TEST_TIMESCALE_URL as string,
  };
}

/** Runs one of Kafka's tool classes (scripts/services.sh kafka-class) and returns what it printed. */
function kafkaTool(mainClass: string, args: string[]): string {
  const started = spawnSync("bash", ["scripts/services.sh", "kafka-class", mainClass, ...args], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    timeout: 600_000,
  });
  if (started.status !== 0)
    throw new Error(`${mainClass} failed (exit ${started.status}): ${started.stderr.slice(-2000)}`);
  return `${started.stdout}\n${started.stderr}`;
}

/** Creates a price topic as target-redpanda would (the core's topic config), for Kafka's own tools. */
async function createTopic(brokers: string, topic: string): Promise<void> {
  const target = createRedpandaTarget({ brokers, topics: { price: topic }, partitions: PARTITIONS });
  await target.connect();
  await target.disconnect();
}

/** Ten thousand distinct prices, sent a hundred times: the content does not change the cost. */
const chunk = (): CryptoPrice[] => distinctPrices(CHUNK);

async function produceThroughAdapter(
  brokers: string,
  topic: string,
  prices: readonly CryptoPrice[],
  library: "platformatic" | "kafkajs" = "platformatic",
): Promise<number> {
  const target = createRedpandaTarget({ brokers, topics: { price: topic }, partitions: PARTITIONS, library });
  await target.connect();
  const started = performance.now();
  const inFlight = new Set<Promise<unknown>>();
  for (let sent = 0; sent < MESSAGES; sent += prices.length) {
    const write = target.write("price", prices).then((outcome) => {
      if (outcome.failures?.length) throw new Error(`${outcome.failures.length} records refused`);
    });
    inFlight.add(write);
    void write.finally(() => inFlight.delete(write));
    // A few writes in flight, like a pipeline with a full queue: encoding overlaps sending.
    if (inFlight.size >= 4) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  await target.disconnect();
  return MESSAGES / seconds;
}

const produce: Benchmark = {
  name: "kafka-produce",
  description: `${MESSAGES.toLocaleString("en")} price messages through target-redpanda vs Kafka's ProducerPerformance`,
  async run(): Promise<BenchResult> {
    const { brokers } = services();
    const prices = chunk();
    progress("target-redpanda: producing");
    const adapterRate = await produceThroughAdapter(brokers, `bench.produce.${run}.adapter`, prices);
    progress(`target-redpanda: ${Math.round(adapterRate)} msg/s`);
    progress("target-redpanda with library kafkajs: producing");
    const kafkajsRate = await produceThroughAdapter(
      brokers,
      `bench.produce.${run}.kafkajs`,
      prices,
      "kafkajs",
    );
    progress(`target-redpanda with library kafkajs: ${Math.round(kafkajsRate)} msg/s`);

    const folder = mkdtempSync(join(tmpdir(), "qicore-bench-"));
    const payloads = join(folder, "prices.jsonl");
    writeFileSync(payloads, prices.map((price) => JSON.stringify(price)).join("\n"));
    const topic = `bench.produce.${run}.kafka`;
    // The same topic settings as the adapter's: created by the target from the core's config.
    await createTopic(brokers, topic);
    progress("ProducerPerformance: producing");
    const output = kafkaTool("org.apache.kafka.tools.ProducerPerformance", [
      "--bootstrap-server",
      brokers,
      "--topic",
      topic,
      "--num-records",
      String(MESSAGES),
      "--payload-file",
      payloads,
      "--throughput",
      "-1",
      "--producer-props",
      "acks=all",
      "enable.idempotence=true",
      "compression.type=lz4",
    ]);
    const match = /(\d+) records sent, ([\d.]+) records\/sec/.exec(
      output
        .split("\n")
        .filter((line) => line.includes("records sent"))
        .at(-1) ?? "",
    );
    if (!match) throw new Error(`could not read ProducerPerformance's output: ${output.slice(-1000)}`);
    const kafkaRate = Number(match[2]);
    const averageBytes = Math.round(
      prices.reduce((sum, price) => sum + JSON.stringify(price).length, 0) / prices.length,
    );
    return result(
      "kafka-produce",
      "msg/s",
      adapterRate,
      { name: "Kafka ProducerPerformance", value: kafkaRate },
      {
        messages: MESSAGES,
        averageMessageBytes: averageBytes,
        partitions: PARTITIONS,
        library: "platformatic (default), on its producer thread",
        kafkajsLibraryMsgPerSec: Math.round(kafkajsRate),
        settings:
          "acks=all, idempotent, lz4, target-redpanda writes of 10,000 records with up to 4 in flight",
        kafkaSummary: output
          .split("\n")
          .filter((line) => line.includes("records sent"))
          .at(-1),
      },
    );
  },
};

const consume: Benchmark = {
  name: "kafka-consume",
  description: `${MESSAGES.toLocaleString("en")} price messages through source-redpanda (decode + validate) vs Kafka's ConsumerPerformance`,
  async run(): Promise<BenchResult> {
    const { brokers } = services();
    const topic = `bench.consume.${run}`;
    progress("filling the topic through target-redpanda");
    await produceThroughAdapter(brokers, topic, chunk());

    progress("source-redpanda: consuming");
    const source = createRedpandaSource({
      brokers,
      topics: { price: topic },
      groupId: `bench.consume.${run}.adapter`,
    });
    const controller = new AbortController();
    let received = 0;
    let firstAt = 0;
    const started = performance.now();
    for await (const batch of source.read({ signal: controller.signal })) {
      if (firstAt === 0) firstAt = performance.now();
      received += batch.records.length;
      if (received >= MESSAGES) break;
    }
    const ended = performance.now();
    await source.disconnect();
    const adapterRate = MESSAGES / ((ended - firstAt) / 1000);
    const withJoin = MESSAGES / ((ended - started) / 1000);
    progress(`source-redpanda: ${Math.round(adapterRate)} msg/s`);

    progress("ConsumerPerformance: consuming");
    const output = kafkaTool("org.apache.kafka.tools.ConsumerPerformance", [
      "--bootstrap-server",
      brokers,
      "--topic",
      topic,
      "--num-records",
      String(MESSAGES),
      "--group",
      `bench.consume.${run}.kafka`,
      "--timeout",
      "120000",
    ]);
    const lines = output.split("\n").filter((line) => /^\d{4}-\d{2}-\d{2}/.test(line.trim()));
    const fields = (lines.at(-1) ?? "").split(",").map((field) => field.trim());
    // start, end, MB, MB/s, messages, messages/s, rebalance ms, fetch ms, fetch MB/s, fetch messages/s
    const kafkaFetchRate = Number(fields[9]);
    const kafkaRate = Number(fields[5]);
    if (!Number.isFinite(kafkaFetchRate) || fields.length < 10)
      throw new Error(`could not read ConsumerPerformance's output: ${output.slice(-1000)}`);
    return result(
      "kafka-consume",
      "msg/s",
      adapterRate,
      { name: "Kafka ConsumerPerformance (fetch)", value: kafkaFetchRate },
      {
        messages: MESSAGES,
        adapterIncludingGroupJoin: Math.round(withJoin),
        kafkaIncludingGroupJoin: kafkaRate,
        note: "the adapter decodes JSON and validates each record with the core's schema; ConsumerPerformance only counts bytes",
      },
    );
  },
};

/** When each message reached a stage, by its id (carried in `attribution`). */
interface StageTimes {
  /** The source handed the record's batch to the runtime (it had been fetched and decoded). */
  read: Map<string, number>;
  /** The target's write of the record began (it had passed Kafka, the source and the runtime's queue). */
  writeStarted: Map<string, number>;
  /** Its TimescaleDB row was committed. */
  committed: Map<string, number>;
}

/** Wraps the Kafka source so the time each record's batch leaves it is known. */
function timedSource(read: Map<string, number>): SourceDefinition {
  return defineSource({
    ...redpandaSource,
    name: "timed-redpanda",
    async create(config, context) {
      const handlers = await redpandaSource.create(config, context);
      return {
        ...handlers,
        async *read(options) {
          for await (const batch of handlers.read?.(options) ?? []) {
            const now = performance.now();
            for (const record of batch.records as readonly CryptoPrice[]) read.set(record.attribution, now);
            yield batch;
          }
        },
      };
    },
  }) as SourceDefinition;
}

/** Wraps the TimescaleDB target so the time each record's write starts and its row is committed is known. */
function timedTarget({ writeStarted, committed: committedAt }: StageTimes): TargetDefinition {
  return defineTarget({
    ...timescaleTarget,
    name: "timed-timescale",
    async create(config, context) {
      const handlers = await timescaleTarget.create(config, context);
      return {
        ...handlers,
        write: async (kind, records: readonly MarketRecord[]) => {
          const started = performance.now();
          for (const record of records as readonly CryptoPrice[])
            writeStarted.set(record.attribution, started);
          const outcome = await handlers.write(kind, records);
          const now = performance.now();
          for (const record of records as readonly CryptoPrice[]) committedAt.set(record.attribution, now);
          return outcome;
        },
      };
    },
  }) as TargetDefinition;
}

const RATE = 1000;
const SECONDS = 20;
const WARM_UP_SECONDS = 3;

const LATENCY_ROUNDS = Math.max(1, Number(process.env.QICORE_BENCH_ROUNDS ?? 3));

interface LatencyRound {
  samples: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  stages: Record<string, { p50Ms: number; p99Ms: number }>;
}

const tenth = (value: number) => Math.round(value * 10) / 10;

/** One round: RATE msg/s for SECONDS through a pipeline into a schema of its own, per-record latency. */
async function pipelineLatency(brokers: string, timescaleUrl: string, label: string): Promise<LatencyRound> {
  const topic = `bench.latency.${run}.${label}`;
  const schema = `bench_latency_${run}_${label}`;
  const producer = createRedpandaTarget({ brokers, topics: { price: topic }, partitions: PARTITIONS });
  await producer.connect();
  const committedAt = new Map<string, number>();
  const writeStarted = new Map<string, number>();
  const readAt = new Map<string, number>();
  const loaded = await Pipeline.fromConfig(
    {
      name: "kafka-latency",
      sources: [
        {
          id: "kafka",
          type: "timed-redpanda",
          config: {
            brokers,
            topics: { price: topic },
            groupId: `bench.latency.${run}.${label}`,
          },
        },
      ],
      // Default options throughout (fetch wait, batching): the latency a user gets.
      targets: [{ id: "db", type: "timed-timescale", config: { connectionString: timescaleUrl, schema } }],
    },
    {
      registry: createRegistry(
        timedSource(readAt),
        timedTarget({ read: readAt, writeStarted, committed: committedAt }),
      ),
      logger: silentLogger,
      stateStore: new MemoryStateStore(),
    },
  );
  if (!loaded.ok) throw loaded.error;
  const pipeline = loaded.value;
  const started = await pipeline.start();
  if (!started.ok) throw started.error;
  await new Promise((resolve) => setTimeout(resolve, 3000));

  progress(`${label}: producing ${RATE} msg/s for ${SECONDS} s`);
  const sentAt = new Map<string, number>();
  const ackedAt = new Map<string, number>();
  const prices = distinctPrices(RATE * SECONDS, Date.UTC(2025, 0, 1));
  const perTick = RATE / 100;
  const begin = performance.now();
  const writes: Promise<unknown>[] = [];
  for (let tick = 0; tick * perTick < prices.length; tick++) {
    const due = begin + tick * 10;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const batch = prices.slice(tick * perTick, (tick + 1) * perTick).map((price, index) => ({
      ...price,
      attribution: `m${tick * perTick + index}`,
    }));
    const now = performance.now();
    for (const price of batch) sentAt.set(price.attribution, now);
    writes.push(
      producer.write("price", batch).then(() => {
        const acked = performance.now();
        for (const price of batch) ackedAt.set(price.attribution, acked);
      }),
    );
  }
  await Promise.all(writes);
  const deadline = Date.now() + 30_000;
  while (committedAt.size < prices.length && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  await pipeline.destroy();
  await producer.disconnect();
  const database = new pg.Client({ connectionString: timescaleUrl });
  await database.connect();
  const rows = (await database.query(`SELECT count(*)::int AS n FROM ${schema}.crypto_prices`)).rows[0]
    .n as number;
  await database.query(`DROP SCHEMA ${schema} CASCADE`);
  await database.end();
  if (rows !== prices.length) throw new Error(`expected ${prices.length} rows, found ${rows}`);

  const skip = RATE * WARM_UP_SECONDS;
  // Where the time goes, per stage: p50 / p99 of each, over the same messages.
  const spans = (from: Map<string, number>, to: Map<string, number>) => {
    const values: number[] = [];
    for (const id of sentAt.keys()) {
      const start = from.get(id);
      const end = to.get(id);
      if (Number(id.slice(1)) >= skip && start !== undefined && end !== undefined) values.push(end - start);
    }
    return values.sort((a, b) => a - b);
  };
  const at = (values: readonly number[], p: number) =>
    tenth(values[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? Number.NaN);
  const stage = (from: Map<string, number>, to: Map<string, number>) => {
    const values = spans(from, to);
    return { p50Ms: at(values, 50), p99Ms: at(values, 99) };
  };
  const latencies = spans(sentAt, committedAt);
  return {
    samples: latencies.length,
    p50Ms: at(latencies, 50),
    p90Ms: at(latencies, 90),
    p99Ms: at(latencies, 99),
    maxMs: tenth(latencies.at(-1) ?? Number.NaN),
    stages: {
      produceAcknowledged: stage(sentAt, ackedAt),
      kafkaFetchAndSource: stage(ackedAt, readAt),
      runtimeQueue: stage(readAt, writeStarted),
      timescaleWrite: stage(writeStarted, committedAt),
    },
  };
}

/** Kafka's EndToEndLatency (one message at a time, produce → consume) on a topic of its own. */
async function kafkaEndToEnd(brokers: string, label: string): Promise<{ p50Ms: number; p99Ms: number }> {
  const kafkaTopic = `bench.latency.${run}.${label}.kafka`;
  await createTopic(brokers, kafkaTopic);
  const output = kafkaTool("org.apache.kafka.tools.EndToEndLatency", [
    "--bootstrap-server",
    brokers,
    "--topic",
    kafkaTopic,
    "--num-records",
    "5000",
    "--producer-acks",
    "all",
    "--record-size",
    "330",
  ]);
  return {
    p50Ms: Number(/50th = ([\d.]+)/.exec(output)?.[1] ?? Number.NaN),
    p99Ms: Number(/99th = ([\d.]+)/.exec(output)?.[1] ?? Number.NaN),
  };
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const latency: Benchmark = {
  name: "kafka-e2e-latency",
  description: `end-to-end latency at ${RATE} msg/s, target-redpanda write → TimescaleDB row (pipeline source-redpanda → target-timescale), ${LATENCY_ROUNDS} rounds alternating with Kafka's EndToEndLatency`,
  async run(): Promise<BenchResult> {
    const { brokers, timescaleUrl } = services();
    const rounds: LatencyRound[] = [];
    const kafka: { p50Ms: number; p99Ms: number }[] = [];
    for (let round = 1; round <= LATENCY_ROUNDS; round++) {
      rounds.push(await pipelineLatency(brokers, timescaleUrl, `r${round}`));
      progress(`round ${round}/${LATENCY_ROUNDS}: pipeline p99 ${rounds.at(-1)?.p99Ms} ms`);
      kafka.push(await kafkaEndToEnd(brokers, `r${round}`));
      progress(`round ${round}/${LATENCY_ROUNDS}: EndToEndLatency p99 ${kafka.at(-1)?.p99Ms} ms`);
    }
    const p99s = rounds.map((entry) => entry.p99Ms);
    const kafkaP99s = kafka.map((entry) => entry.p99Ms);
    return result(
      "kafka-e2e-latency",
      "ms (p99)",
      medianOf(p99s),
      { name: "Kafka EndToEndLatency p99 (produce → consume), median of rounds", value: medianOf(kafkaP99s) },
      {
        rate: RATE,
        seconds: SECONDS,
        rounds: LATENCY_ROUNDS,
        p99Ms: { median: medianOf(p99s), min: Math.min(...p99s), max: Math.max(...p99s), rounds: p99s },
        p50Ms: rounds.map((entry) => entry.p50Ms),
        kafkaP99Ms: { median: medianOf(kafkaP99s), rounds: kafkaP99s },
        kafkaP50Ms: kafka.map((entry) => entry.p50Ms),
        perRound: rounds,
        settings:
          "producer writes 10 records every 10 ms; source, delivery and target-timescale options all default (smart batching, writeConcurrency 3); latency = row committed minus write called",
      },
    );
  },
};

export const benchmarks: Benchmark[] = [produce, consume, latency];
