/**
 * The whole Kafka → TimescaleDB path as a user runs it: 1,000,000 price messages on a
 * 6-partition topic, consumed by `qicore run bench/kafka-to-timescale/pipeline.yaml`
 * (source-redpanda → target-timescale, default options; the built packages, as a user runs
 * them: `pnpm build` first) in a process of its own, timed from
 * its start until the group's committed offsets reach the end of the topic (offsets are
 * committed only after the rows are written, so that is after the last row). In the same run,
 * rounds alternating:
 *
 * - psql `\copy` of the same rows into the same kind of hypertable: the ceiling;
 * - replay: the same topic again from the beginning (a new group) into the full table;
 * - the peer: Kafka Connect standalone + the Debezium JDBC sink (upsert, primary key from the
 *   record value) reading the same records with a JSON schema envelope from a second topic,
 *   fresh and on replay, batch sizes 500 and 5,000. Its plugin is fetched from Maven Central
 *   into the services cache; when that fails the peer is reported as unavailable, by name.
 *
 * Each case is checked: row count, distinct keys and the exact sum of usd_price.
 *
 *     pnpm bench kafka-to-timescale
 *     QICORE_BENCH_MESSAGES=200000 QICORE_BENCH_ROUNDS=3 pnpm bench kafka-to-timescale
 *     QICORE_BENCH_CPU_PROF=/tmp/prof pnpm bench kafka-to-timescale   (node --cpu-prof of the pipeline)
 *     QICORE_BENCH_PEER=off ...                                          (skip Kafka Connect)
 *     QICORE_BENCH_PIPELINE=/tmp/other.yaml ...                         (another pipeline file)
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type CryptoPrice, type MarketRecord, tableModel } from "@qicore/core";
import { createRedpandaTarget } from "@qicore/target-redpanda";
import { createTimescaleTarget } from "@qicore/target-timescale";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { distinctPrices } from "../packages/source-redpanda/test-support/prices";
import { copyChunks, encodeBatch } from "../packages/target-timescale/src/row-codec";
import { type Benchmark, type BenchResult, progress, result } from "./lib";

const MESSAGES = Number(process.env.QICORE_BENCH_MESSAGES ?? 1_000_000);
const ROUNDS = Math.max(1, Number(process.env.QICORE_BENCH_ROUNDS ?? 3));
const PARTITIONS = 6;
const CHUNK = 10_000;
const PEER = process.env.QICORE_BENCH_PEER !== "off";
const CPU_PROFILE_DIR = process.env.QICORE_BENCH_CPU_PROF;
// Another pipeline file (QICORE_BENCH_PIPELINE) measures a setting against the defaults.
const PIPELINE_FILE = process.env.QICORE_BENCH_PIPELINE ?? "bench/kafka-to-timescale/pipeline.yaml";
const CONNECT_POM = "bench/kafka-to-timescale/connect-pom.xml";
const CONNECT_ARTIFACT = "io.debezium:debezium-connector-jdbc:3.6.0.Final";
const CONNECT_BATCH_SIZES = [500, 5000];
const run = Date.now().toString(36);
const model = tableModel("price");

function services(): { brokers: string; timescaleUrl: string; cache: string } {
  if (!process.env.QICORE_TEST_KAFKA_BROKERS || !process.env.QICORE_TEST_TIMESCALE_URL) {
    progress("starting Kafka and TimescaleDB (bash scripts/services.sh up kafka timescale)");
    const up = spawnSync("bash", ["scripts/services.sh", "up", "kafka", "timescale"], { stdio: "inherit" });
    if (up.status !== 0) throw new Error("scripts/services.sh up failed");
  }
  const env = spawnSync("bash", ["scripts/services.sh", "env"], { encoding: "utf8" }).stdout;
  for (const match of env.matchAll(/^export (\w+)='([^']*)'$/gm))
    process.env[match[1] as string] ??= match[2];
  return {
    brokers: process.env.QICORE_TEST_KAFKA_BROKERS as string,
    timescaleUrl: process.env.QICORE_TEST_TIMESCALE_URL as string,
    cache: process.env.QICORE_SERVICES_CACHE as string,
  };
}

/** Chunk `k` of the data set: ten thousand distinct prices 200 s after chunk k-1's. */
function pricesChunk(k: number): CryptoPrice[] {
  return distinctPrices(CHUNK, Date.UTC(2024, 0, 1) + k * (CHUNK / 50) * 1000);
}

/** A decimal string as an integer count of 1e-8 (usd_price is NUMERIC(20,8)): sums stay exact. */
function scaled(decimal: string): bigint {
  const [whole = "0", fraction = ""] = decimal.split(".");
  const negative = whole.startsWith("-");
  const value = BigInt(whole.replace("-", "")) * 100_000_000n + BigInt(fraction.padEnd(8, "0").slice(0, 8));
  return negative ? -value : value;
}

interface DataSet {
  topic: string;
  envelopeTopic: string | undefined;
  tsv: string;
  expectedSum: bigint;
}

/** The envelope JsonConverter (schemas.enable=true) reads: every column as an optional string. */
function envelopeOf(record: Record<string, unknown>): string {
  const payload: Record<string, string | null> = {};
  for (const column of model.columns) {
    const value = record[column.field];
    payload[column.column] = value === undefined || value === null ? null : String(value);
  }
  return JSON.stringify({
    schema: {
      type: "struct",
      name: "crypto_price",
      optional: false,
      fields: model.columns.map((column) => ({ field: column.column, type: "string", optional: true })),
    },
    payload,
  });
}

async function prepareData(brokers: string, folder: string, withEnvelope: boolean): Promise<DataSet> {
  const topic = `bench.k2t.${run}.prices`;
  const tsv = join(folder, "prices.tsv");
  const envelopes = join(folder, "envelopes.txt");
  writeFileSync(tsv, "");
  if (withEnvelope) writeFileSync(envelopes, "");
  const producer = createRedpandaTarget({ brokers, topics: { price: topic }, partitions: PARTITIONS });
  await producer.connect();
  let expectedSum = 0n;
  const inFlight = new Set<Promise<unknown>>();
  progress(
    `producing ${MESSAGES.toLocaleString("en-US")} price messages to ${topic} (${PARTITIONS} partitions)`,
  );
  for (let k = 0; k * CHUNK < MESSAGES; k++) {
    const prices = pricesChunk(k).slice(0, Math.min(CHUNK, MESSAGES - k * CHUNK));
    for (const price of prices) expectedSum += scaled(price.usdPrice);
    const records = prices as unknown as MarketRecord[];
    appendFileSync(tsv, [...copyChunks(model, encodeBatch(model, records), CHUNK)].join(""));
    if (withEnvelope)
      appendFileSync(
        envelopes,
        prices
          .map(
            (price) =>
              `${price.coinId}|${price.lastUpdated}\t${envelopeOf(price as unknown as Record<string, unknown>)}\n`,
          )
          .join(""),
      );
    const write = producer.write("price", records).then((outcome) => {
      if (outcome?.failures?.length) throw new Error(`${outcome.failures.length} records refused`);
    });
    inFlight.add(write);
    void write.finally(() => inFlight.delete(write));
    if (inFlight.size >= 4) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await producer.disconnect();
  let envelopeTopic: string | undefined;
  if (withEnvelope) {
    envelopeTopic = `bench.k2t.${run}.envelopes`;
    await createTopic(brokers, envelopeTopic);
    progress(`producing the same records with a schema envelope to ${envelopeTopic} (kcat)`);
    const kcat = spawnSync(
      "kcat",
      [
        "-P",
        "-b",
        brokers,
        "-t",
        envelopeTopic,
        "-K",
        "\t",
        "-X",
        "topic.partitioner=murmur2_random",
        "-l",
        envelopes,
      ],
      { encoding: "utf8" },
    );
    if (kcat.status !== 0) throw new Error(`kcat could not produce the envelope topic: ${kcat.stderr}`);
  }
  return { topic, envelopeTopic, tsv, expectedSum };
}

async function createTopic(brokers: string, topic: string): Promise<void> {
  const target = createRedpandaTarget({ brokers, topics: { price: topic }, partitions: PARTITIONS });
  await target.connect();
  await target.disconnect();
}

/** A fresh hypertable as target-timescale creates it. */
async function createTable(url: string, schema: string): Promise<void> {
  const target = createTimescaleTarget({ connectionString: url, schema, timescale: "require" });
  await target.connect();
  await target.disconnect();
}

async function sql<Row>(url: string, text: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as Row[];
  } finally {
    await client.end();
  }
}

/** Row count, distinct keys and the exact sum of usd_price equal what was produced. */
async function check(url: string, table: string, data: DataSet, label: string): Promise<void> {
  const keys = model.primaryKey.join(", ");
  const [row] = await sql<{ rows: string; keys: string; sum: string | null }>(
    url,
    `SELECT count(*)::text AS rows, (SELECT count(*) FROM (SELECT DISTINCT ${keys} FROM ${table}) k)::text AS keys, sum(usd_price)::text AS sum FROM ${table}`,
  );
  const problems: string[] = [];
  if (Number(row?.rows) !== MESSAGES) problems.push(`${row?.rows} rows`);
  if (Number(row?.keys) !== MESSAGES) problems.push(`${row?.keys} distinct keys`);
  if (row?.sum == null || scaled(row.sum) !== data.expectedSum)
    problems.push(`sum(usd_price) ${row?.sum} (expected ${Number(data.expectedSum) / 1e8})`);
  if (problems.length > 0)
    throw new Error(
      `${label}: expected ${MESSAGES} rows and keys and the produced sum; found ${problems.join(", ")}`,
    );
}

async function committedTotal(admin: ReturnType<Kafka["admin"]>, groupId: string, topic: string) {
  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
  let total = 0;
  for (const entry of offsets)
    for (const partition of entry.partitions) total += Math.max(0, Number(partition.offset));
  return total;
}

/** Resolves when the group has committed every message of the topic; rejects when `exited` settles first. */
async function waitForCommitted(
  brokers: string,
  groupId: string,
  topic: string,
  exited: Promise<unknown>,
  timeoutMs = 900_000,
): Promise<void> {
  const admin = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  let ended: unknown;
  void exited.then((value) => {
    ended = value ?? "exited";
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (ended !== undefined)
        throw new Error(`the consumer exited before committing everything: ${String(ended)}`);
      if ((await committedTotal(admin, groupId, topic).catch(() => 0)) >= MESSAGES) return;
      if (Date.now() > deadline)
        throw new Error(`group ${groupId} did not commit ${MESSAGES} messages in time`);
      await new Promise((done) => setTimeout(done, 200));
    }
  } finally {
    await admin.disconnect();
  }
}

interface Timed {
  seconds: number;
  peakRssMb: number;
}

function exitOf(child: ChildProcess, output: () => string): Promise<string> {
  return new Promise((done) =>
    child.on("exit", (code, signal) => done(`exit ${code ?? signal}: ${output().slice(-3000)}`)),
  );
}

/** `qicore run` of the bench pipeline in its own process, until its group committed the whole topic. */
async function qicoreRun(
  brokers: string,
  url: string,
  data: DataSet,
  schema: string,
  label: string,
): Promise<Timed> {
  const groupId = `bench.k2t.${run}.${label}`;
  const rssFile = join(tmpdir(), `qicore-bench-rss-${run}-${label}`);
  const profile = CPU_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${resolve(CPU_PROFILE_DIR)}`] : [];
  const started = performance.now();
  const child = spawn(
    "/usr/bin/time",
    [
      "-f",
      "%M",
      "-o",
      rssFile,
      process.execPath,
      ...profile,
      "packages/core/bin/qicore.js",
      "run",
      PIPELINE_FILE,
      "--no-progress",
      "--log-level",
      "warn",
    ],
    {
      env: {
        ...process.env,
        PIPELINE_NAME: `k2t-${label.replace(/[^a-z0-9]/g, "-")}`,
        KAFKA_BROKERS: brokers,
        TOPIC: data.topic,
        GROUP_ID: groupId,
        DATABASE_URL: url,
        DB_SCHEMA: schema,
      },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = exitOf(child, () => stderr);
  await waitForCommitted(brokers, groupId, data.topic, exited);
  const seconds = (performance.now() - started) / 1000;
  // The node process under /usr/bin/time: SIGTERM lets qicore run drain and exit.
  const node = spawnSync("pgrep", ["-P", String(child.pid)], { encoding: "utf8" }).stdout.trim();
  if (node) process.kill(Number(node), "SIGTERM");
  await exited;
  const peakRssMb = Math.round(Number(readFileSync(rssFile, "utf8").trim().split("\n").at(-1)) / 102.4) / 10;
  rmSync(rssFile, { force: true });
  return { seconds, peakRssMb };
}

function psqlCopy(url: string, data: DataSet, schema: string): number {
  const columns = model.columns.map((column) => column.column).join(", ");
  const started = performance.now();
  const copy = spawnSync(
    "psql",
    [url, "-v", "ON_ERROR_STOP=1", "-c", `\\copy ${schema}.${model.table} (${columns}) FROM '${data.tsv}'`],
    { encoding: "utf8" },
  );
  if (copy.status !== 0) throw new Error(`psql \\copy failed: ${copy.stderr}`);
  return (performance.now() - started) / 1000;
}

// --- the peer: Kafka Connect standalone + the Debezium JDBC sink ---------------------------

/** The plugin folder in the services cache, fetched from Maven Central when the pom changed. */
function connectPlugin(cache: string): string {
  const folder = join(cache, "kafka-connect");
  const plugin = join(folder, "plugins", "debezium-connector-jdbc");
  const pom = readFileSync(CONNECT_POM, "utf8");
  const sha = createHash("sha256").update(pom).digest("hex");
  const marker = join(folder, "plugin.pom-sha256");
  if (existsSync(marker) && readFileSync(marker, "utf8").trim() === sha && existsSync(plugin)) return plugin;
  progress(`fetching ${CONNECT_ARTIFACT} from Maven Central into ${folder}`);
  mkdirSync(join(folder, "build"), { recursive: true });
  writeFileSync(join(folder, "build", "pom.xml"), pom);
  rmSync(`${plugin}.partial`, { recursive: true, force: true });
  const fetched = spawnSync(
    "mvn",
    [
      "-B",
      "--no-transfer-progress",
      "-f",
      join(folder, "build", "pom.xml"),
      `-Dmaven.repo.local=${join(cache, "maven-repository")}`,
      "dependency:copy-dependencies",
      "-DincludeScope=runtime",
      `-DoutputDirectory=${plugin}.partial`,
    ],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (fetched.status !== 0) {
    const reason = fetched.stdout
      .split("\n")
      .filter((line) => line.startsWith("[ERROR]") || line.startsWith("[WARNING]"))
      .slice(0, 3)
      .join(" ");
    throw new Error(
      `could not fetch ${CONNECT_ARTIFACT} from Maven Central (mvn exit ${fetched.status}): ${reason}`,
    );
  }
  rmSync(plugin, { recursive: true, force: true });
  mkdirSync(join(folder, "plugins"), { recursive: true });
  renameSync(`${plugin}.partial`, plugin);
  writeFileSync(marker, `${sha}\n`);
  return plugin;
}

let restPort = 18_300 + Math.floor(Math.random() * 500);

/** Kafka Connect standalone with one Debezium JDBC sink task until its group committed the topic. */
async function connectRun(
  brokers: string,
  url: string,
  plugin: string,
  topic: string,
  schema: string,
  batchSize: number,
  label: string,
): Promise<Timed> {
  const folder = mkdtempSync(join(tmpdir(), "qicore-bench-connect-"));
  const name = `bench-k2t-${run}-${label}`;
  const port = restPort++;
  const database = new URL(url);
  writeFileSync(
    join(folder, "worker.properties"),
    [
      `bootstrap.servers=${brokers}`,
      "key.converter=org.apache.kafka.connect.storage.StringConverter",
      "value.converter=org.apache.kafka.connect.json.JsonConverter",
      "value.converter.schemas.enable=true",
      `offset.storage.file.filename=${join(folder, "offsets")}`,
      "offset.flush.interval.ms=1000",
      `plugin.path=${resolve(plugin, "..")}`,
      `listeners=http://127.0.0.1:${port}`,
      `consumer.max.poll.records=${Math.max(500, batchSize)}`,
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(folder, "sink.properties"),
    [
      `name=${name}`,
      "connector.class=io.debezium.connector.jdbc.JdbcSinkConnector",
      "tasks.max=1",
      `topics=${topic}`,
      // stringtype=unspecified: the envelope's strings are cast by the server to numeric and timestamptz.
      `connection.url=jdbc:postgresql://${database.host}${database.pathname}?stringtype=unspecified`,
      `connection.username=${decodeURIComponent(database.username) || "postgres"}`,
      `connection.password=${decodeURIComponent(database.password)}`,
      "insert.mode=upsert",
      "primary.key.mode=record_value",
      `primary.key.fields=${model.primaryKey.join(",")}`,
      "schema.evolution=none",
      `collection.name.format=${schema}.${model.table}`,
      `batch.size=${batchSize}`,
      ...(batchSize >= 5000 ? ["use.reduction.buffer=true"] : []),
      "",
    ].join("\n"),
  );
  const rssFile = join(folder, "rss");
  const started = performance.now();
  const child = spawn(
    "/usr/bin/time",
    [
      "-f",
      "%M",
      "-o",
      rssFile,
      "bash",
      "scripts/services.sh",
      "kafka-class",
      "org.apache.kafka.connect.cli.ConnectStandalone",
      join(folder, "worker.properties"),
      join(folder, "sink.properties"),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output = (output + chunk).slice(-20_000);
  });
  child.stderr?.on("data", (chunk) => {
    output = (output + chunk).slice(-20_000);
  });
  const exited = exitOf(child, () => output);
  const failed = taskFailure(port, name, exited);
  try {
    await waitForCommitted(brokers, `connect-${name}`, topic, Promise.race([exited, failed]));
  } finally {
    // The worker's command line names this run's folder (its properties files), not the connector.
    const java = spawnSync("pgrep", ["-f", folder], { encoding: "utf8" }).stdout.trim().split("\n");
    for (const pid of java) if (pid && Number(pid) !== child.pid) process.kill(Number(pid), "SIGTERM");
    await exited;
  }
  const seconds = (performance.now() - started) / 1000;
  const peakRssMb = Math.round(Number(readFileSync(rssFile, "utf8").trim().split("\n").at(-1)) / 102.4) / 10;
  rmSync(folder, { recursive: true, force: true });
  return { seconds, peakRssMb };
}

/**
 * Resolves with the trace of a failed task of the connector: Kafka Connect keeps running when
 * its task fails, so without this the benchmark would wait for commits that never come.
 */
async function taskFailure(port: number, name: string, exited: Promise<unknown>): Promise<string> {
  let running = true;
  void exited.then(() => {
    running = false;
  });
  while (running) {
    await new Promise((done) => setTimeout(done, 1000));
    const status = (await fetch(`http://127.0.0.1:${port}/connectors/${name}/status`)
      .then((response) => (response.ok ? response.json() : undefined))
      .catch(() => undefined)) as { tasks?: { state: string; trace?: string }[] } | undefined;
    const task = status?.tasks?.find((each) => each.state === "FAILED");
    if (task) return `Kafka Connect task failed: ${(task.trace ?? "").split("\n").slice(0, 3).join(" ")}`;
  }
  return new Promise<string>(() => undefined);
}

// --- statistics ---------------------------------------------------------------------------

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function summary(rates: readonly number[]) {
  return {
    median: Math.round(median(rates)),
    min: Math.round(Math.min(...rates)),
    max: Math.round(Math.max(...rates)),
    rounds: rates.map(Math.round),
  };
}

/** The packages `qicore run` loads, as a user gets them: built. A build older than its sources would measure old code. */
function checkBuilt(): void {
  for (const name of ["core", "kafka-common", "source-redpanda", "target-timescale"]) {
    const built = join("packages", name, "dist");
    if (!existsSync(built)) throw new Error(`packages/${name} is not built: run pnpm build first`);
    const builtAt = statSync(join(built, name === "core" ? "cli/bin.js" : "index.js")).mtimeMs;
    const sources = readdirSync(join("packages", name, "src"), { recursive: true }) as string[];
    const newer = sources.find(
      (file) =>
        file.endsWith(".ts") &&
        !file.endsWith(".test.ts") &&
        statSync(join("packages", name, "src", file)).mtimeMs > builtAt,
    );
    if (newer) throw new Error(`packages/${name}/src/${newer} is newer than its build: run pnpm build first`);
  }
}

async function runBenchmark(): Promise<BenchResult[]> {
  checkBuilt();
  const { brokers, timescaleUrl, cache } = services();
  const folder = mkdtempSync(join(tmpdir(), "qicore-bench-k2t-"));
  const schemas: string[] = [];
  let plugin: string | undefined;
  let peerUnavailable: string | undefined;
  if (PEER) {
    try {
      plugin = connectPlugin(cache);
    } catch (thrown) {
      peerUnavailable = `Kafka Connect peer unavailable: ${(thrown as Error).message}`;
      progress(peerUnavailable);
    }
  }
  const table = (schema: string) => {
    schemas.push(schema);
    return `${schema}.${model.table}`;
  };
  try {
    const data = await prepareData(brokers, folder, plugin !== undefined);
    const rates = { psql: [] as number[], fresh: [] as number[], replay: [] as number[] };
    const rss = { fresh: [] as number[], replay: [] as number[] };
    const peer: Record<string, { fresh: number[]; replay: number[]; rss: number[] }> = {};
    for (let round = 1; round <= ROUNDS; round++) {
      const psqlSchema = `bench_k2t_${run}_psql_${round}`;
      const psqlTable = table(psqlSchema);
      await createTable(timescaleUrl, psqlSchema);
      progress(`round ${round}/${ROUNDS}: psql \\copy`);
      rates.psql.push(MESSAGES / psqlCopy(timescaleUrl, data, psqlSchema));
      await check(timescaleUrl, psqlTable, data, "psql \\copy");
      await sql(timescaleUrl, `DROP SCHEMA ${psqlSchema} CASCADE`);
      progress(`  ${Math.round(rates.psql.at(-1) as number)} rows/s`);

      const schema = `bench_k2t_${run}_qicore_${round}`;
      const qicoreTable = table(schema);
      progress(`round ${round}/${ROUNDS}: qicore run, fresh table`);
      const fresh = await qicoreRun(brokers, timescaleUrl, data, schema, `fresh${round}`);
      await check(timescaleUrl, qicoreTable, data, "qicore run (fresh)");
      rates.fresh.push(MESSAGES / fresh.seconds);
      rss.fresh.push(fresh.peakRssMb);
      progress(`  ${Math.round(MESSAGES / fresh.seconds)} rows/s, peak RSS ${fresh.peakRssMb} MiB`);
      progress(`round ${round}/${ROUNDS}: qicore run, replay into the full table`);
      const replay = await qicoreRun(brokers, timescaleUrl, data, schema, `replay${round}`);
      await check(timescaleUrl, qicoreTable, data, "qicore run (replay)");
      rates.replay.push(MESSAGES / replay.seconds);
      rss.replay.push(replay.peakRssMb);
      progress(`  ${Math.round(MESSAGES / replay.seconds)} rows/s, peak RSS ${replay.peakRssMb} MiB`);
      await sql(timescaleUrl, `DROP SCHEMA ${schema} CASCADE`);

      if (plugin && data.envelopeTopic) {
        for (const batchSize of CONNECT_BATCH_SIZES) {
          const entry = peer[`batch${batchSize}`] ?? { fresh: [], replay: [], rss: [] };
          peer[`batch${batchSize}`] = entry;
          const connectSchema = `bench_k2t_${run}_connect_${batchSize}_${round}`;
          const connectTable = table(connectSchema);
          await createTable(timescaleUrl, connectSchema);
          for (const phase of ["fresh", "replay"] as const) {
            progress(
              `round ${round}/${ROUNDS}: Kafka Connect + Debezium JDBC sink, batch ${batchSize}, ${phase}`,
            );
            const timed = await connectRun(
              brokers,
              timescaleUrl,
              plugin,
              data.envelopeTopic,
              connectSchema,
              batchSize,
              `${batchSize}-${phase}${round}`,
            );
            await check(timescaleUrl, connectTable, data, `Kafka Connect (batch ${batchSize}, ${phase})`);
            entry[phase].push(MESSAGES / timed.seconds);
            entry.rss.push(timed.peakRssMb);
            progress(`  ${Math.round(MESSAGES / timed.seconds)} rows/s, peak RSS ${timed.peakRssMb} MiB`);
          }
          await sql(timescaleUrl, `DROP SCHEMA ${connectSchema} CASCADE`);
        }
      }
    }

    const psql = { name: "psql \\copy (same rows, same hypertable)", value: median(rates.psql) };
    const peerSummary = Object.fromEntries(
      Object.entries(peer).map(([key, entry]) => [
        key,
        { fresh: summary(entry.fresh), replay: summary(entry.replay), peakRssMb: Math.max(...entry.rss) },
      ]),
    );
    const bestPeer = (phase: "fresh" | "replay") =>
      Math.max(...Object.values(peer).map((entry) => median(entry[phase])));
    const details = {
      messages: MESSAGES,
      partitions: PARTITIONS,
      rounds: ROUNDS,
      pipeline: `${PIPELINE_FILE} (default options)`,
      timing:
        "qicore run started → the group's committed offsets reach the end of the topic (after the last row)",
      psql: summary(rates.psql),
      fresh: { ...summary(rates.fresh), peakRssMb: rss.fresh },
      replay: { ...summary(rates.replay), peakRssMb: rss.replay },
      peer: peerUnavailable ?? peerSummary,
    };
    const withRss = (entry: BenchResult, peak: number): BenchResult => ({ ...entry, peakRssMb: peak });
    const results = [
      withRss(
        result("kafka-to-timescale", "rows/s", median(rates.fresh), psql, details),
        Math.max(...rss.fresh),
      ),
      withRss(
        result("kafka-to-timescale-replay", "rows/s", median(rates.replay), psql, details),
        Math.max(...rss.replay),
      ),
    ];
    if (Object.keys(peer).length > 0) {
      results.push(
        withRss(
          result(
            "kafka-to-timescale-vs-connect",
            "rows/s",
            median(rates.fresh),
            { name: "Kafka Connect + Debezium JDBC sink (best batch size), fresh", value: bestPeer("fresh") },
            details,
          ),
          Math.max(...rss.fresh),
        ),
        withRss(
          result(
            "kafka-to-timescale-replay-vs-connect",
            "rows/s",
            median(rates.replay),
            {
              name: "Kafka Connect + Debezium JDBC sink (best batch size), replay",
              value: bestPeer("replay"),
            },
            details,
          ),
          Math.max(...rss.replay),
        ),
      );
    }
    return results;
  } finally {
    for (const schema of schemas)
      await sql(timescaleUrl, `DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    rmSync(folder, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = {
  name: "kafka-to-timescale",
  description: `${MESSAGES.toLocaleString("en-US")} price messages, ${PARTITIONS} partitions: qicore run (source-redpanda → target-timescale, defaults) vs psql \\copy, replay, and Kafka Connect + Debezium JDBC sink`,
  run: runBenchmark,
};
