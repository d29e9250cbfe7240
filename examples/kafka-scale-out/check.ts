/**
 * Runs the kafka-scale-out story with the `qicore` CLI (the built packages) against the real
 * services, as the README tells it: publish.yaml writes a backlog of synthetic prices to a fresh
 * Kafka topic, two `qicore run ingest.yaml` processes join one consumer group and split its six
 * partitions, and a second publish run resumes where the first stopped and sends the rest. It
 * checks that every published price reached TimescaleDB exactly once (one row per coin and
 * minute), that both processes wrote part of it, that both drain and exit 0 on SIGTERM, and that
 * the group committed every offset. Each run uses its own topic prefix, group and schema, and
 * removes them at the end. Exits non-zero on any mismatch. CI runs it (`pnpm examples`, after
 * `pnpm build`, with the services up).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { parse } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
const coreDir = dirname(createRequire(import.meta.url).resolve("@qicore/core/package.json"));
const qicore = join(coreDir, "dist/cli/bin.js");
const PARTITIONS = 6;
/** Prices published before the ingest processes start, and in all (PRICE_COUNT of publish.yaml). */
const BACKLOG = 6_000;
const TOTAL = 30_000;
const GROUP_TIMEOUT_MS = 60_000;
const INGEST_TIMEOUT_MS = 90_000;
const EXIT_TIMEOUT_MS = 30_000;

interface Summary {
  recordsIn: number;
  recordsOut: Record<string, number>;
  deadLetters: number;
  error?: { message: string };
}

interface IngestProcess {
  name: string;
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const brokers = process.env.QICORE_TEST_KAFKA_BROKERS;
const databaseUrl = process.env.QICORE_TEST_TIMESCALE_URL;
if (!brokers || !databaseUrl) {
  console.error(
    'kafka-scale-out example: QICORE_TEST_KAFKA_BROKERS and QICORE_TEST_TIMESCALE_URL are not set. Start the services and export their endpoints first:\n  bash scripts/services.sh up && eval "$(bash scripts/services.sh env)"',
  );
  process.exit(1);
}

// The coins come from publish.yaml itself, so the per-coin check follows edits to the story.
const publishFile = parse(readFileSync(join(here, "publish.yaml"), "utf8")) as {
  sources: { config: { coins: string[] } }[];
};
const coins = publishFile.sources[0]?.config.coins ?? [];

const failures: string[] = [];
const expect = (condition: boolean, message: string) => condition || failures.push(message);

// Unique names per run: reruns and parallel CI jobs never share a topic, group or schema.
const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
const topicPrefix = `example.scale-out.${run}.`;
const pricesTopic = `${topicPrefix}crypto-prices`;
const groupId = `example-scale-out-${run}`;
const schema = `example_scale_out_${run}`;
const publishState = join(here, ".qicore", `${topicPrefix}publish-state.json`);
const env: NodeJS.ProcessEnv = {
  ...process.env,
  KAFKA_BROKERS: brokers,
  DATABASE_URL: databaseUrl,
  TOPIC_PREFIX: topicPrefix,
  GROUP_ID: groupId,
  DB_SCHEMA: schema,
};

async function publish(count: number): Promise<Summary> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [qicore, "run", "publish.yaml", "--summary-json", "--no-progress", "--log-level", "warn"],
    { cwd: here, env: { ...env, PRICE_COUNT: String(count) }, encoding: "utf8" },
  );
  return JSON.parse(stdout) as Summary;
}

function startIngest(name: string): IngestProcess {
  const child = spawn(
    process.execPath,
    [
      qicore,
      "run",
      "ingest.yaml",
      "--summary-json",
      "--no-progress",
      "--log-level",
      "info",
      "--log-format",
      "json",
    ],
    { cwd: here, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { name, child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** The prices partitions a process reported in its last "partitions assigned" log line. */
function lastAssignment(ingest: IngestProcess): number[] {
  let found: number[] = [];
  for (const line of ingest.stderr().split("\n")) {
    if (!line.includes('"partitions assigned"')) continue;
    found = (JSON.parse(line) as { partitions: string[] }).partitions
      .filter((partition) => partition.startsWith(`${pricesTopic}:`))
      .map((partition) => Number(partition.slice(pricesTopic.length + 1)));
  }
  return found;
}

/** Both members hold prices partitions, every partition exactly once. */
function groupIsSplit(first: number[], second: number[]): boolean {
  const all = new Set([...first, ...second]);
  return (
    first.length > 0 &&
    second.length > 0 &&
    all.size === PARTITIONS &&
    all.size === first.length + second.length
  );
}

function summaryOf(ingest: IngestProcess): Summary | undefined {
  try {
    return JSON.parse(ingest.stdout()) as Summary;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The promise's value, or "timeout"; the timer is unref'd so it never holds the process open. */
const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T | "timeout"> =>
  Promise.race([
    promise,
    new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), ms).unref()),
  ]);

const kafka = new Kafka({
  clientId: "kafka-scale-out-check",
  brokers: brokers.split(","),
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
const database = new pg.Client({ connectionString: databaseUrl });
const ingests: IngestProcess[] = [];
const startedAt = Date.now();

const rowCount = async (): Promise<number> => {
  try {
    const result = await database.query(`SELECT count(*)::int AS n FROM "${schema}".crypto_prices`);
    return result.rows[0].n as number;
  } catch {
    return 0; // no ingest process has created the table yet
  }
};

/** Fails with the process's log when an ingest process has exited before it was told to. */
function exitedEarly(): boolean {
  const early = ingests.find((ingest) => ingest.child.exitCode !== null);
  if (early)
    failures.push(
      `${early.name} exited early with code ${early.child.exitCode}:\n${early.stderr().slice(-2000)}`,
    );
  return early !== undefined;
}

async function scaleOut(): Promise<void> {
  // Step 1: publish a backlog; the target creates the topic with six partitions.
  const backlog = await publish(BACKLOG);
  expect(backlog.error === undefined, `publishing failed: ${backlog.error?.message}`);
  expect(
    backlog.recordsIn === BACKLOG && backlog.recordsOut.kafka === BACKLOG,
    `publish read ${backlog.recordsIn} and sent ${backlog.recordsOut.kafka} records; expected ${BACKLOG}`,
  );
  if (failures.length > 0) return;

  // Step 2: two ingest processes join one group. The broker may assign every partition to the
  // first to join (and it may ingest the backlog alone) until the second joins and the group
  // rebalances; wait for that before publishing the rest.
  const [first, second] = [startIngest("ingest-1"), startIngest("ingest-2")];
  ingests.push(first, second);
  const groupDeadline = Date.now() + GROUP_TIMEOUT_MS;
  while (!groupIsSplit(lastAssignment(first), lastAssignment(second))) {
    if (exitedEarly()) return;
    if (Date.now() > groupDeadline) {
      failures.push(
        `after ${GROUP_TIMEOUT_MS / 1000} s the group had not split the partitions: ${JSON.stringify([lastAssignment(first), lastAssignment(second)])}`,
      );
      return;
    }
    await sleep(100);
  }
  const split = [lastAssignment(first), lastAssignment(second)];
  console.log(
    `the group split ${pricesTopic}: ingest-1 holds partitions ${split[0]?.join(",")}, ingest-2 ${split[1]?.join(",")}`,
  );

  // Step 3: publish the rest; the second run resumes from the first one's checkpoint.
  const rest = await publish(TOTAL);
  expect(
    rest.error === undefined && rest.recordsIn === TOTAL - BACKLOG,
    `the second publish run sent ${rest.recordsIn} records (expected the remaining ${TOTAL - BACKLOG}): ${rest.error?.message ?? ""}`,
  );
  const offsets = await admin.fetchTopicOffsets(pricesTopic);
  const perPartition = offsets.map((entry) => Number(entry.high) - Number(entry.low));
  const inTopic = perPartition.reduce((sum, messages) => sum + messages, 0);
  expect(offsets.length === PARTITIONS, `${pricesTopic} has ${offsets.length} partitions, not ${PARTITIONS}`);
  expect(inTopic === TOTAL, `${pricesTopic} holds ${inTopic} messages, not ${TOTAL}`);
  // Messages are keyed by coin: a partition no coin hashes to stays empty, and its holder idle.
  expect(
    perPartition.every((messages) => messages > 0),
    `some partitions hold no messages (${perPartition.join(" / ")}); choose coins that hash to every partition`,
  );
  console.log(`published ${inTopic} prices: ${perPartition.join(" / ")} messages per partition`);

  let rows = 0;
  let lastReport = 0;
  const deadline = Date.now() + INGEST_TIMEOUT_MS;
  while (rows < TOTAL && Date.now() < deadline && !exitedEarly()) {
    await sleep(250);
    rows = await rowCount();
    if (Date.now() - lastReport > 5_000 || rows >= TOTAL) {
      console.log(`  ${rows} of ${TOTAL} rows in ${schema}.crypto_prices`);
      lastReport = Date.now();
    }
  }
  expect(rows === TOTAL, `${rows} of ${TOTAL} rows arrived (waited up to ${INGEST_TIMEOUT_MS / 1000} s)`);

  // Step 4: stop both; each drains (writes and commits what it read) and exits 0.
  for (const ingest of ingests) ingest.child.kill("SIGTERM");
  let readTotal = 0;
  for (const ingest of ingests) {
    const code = await withTimeout(ingest.exited, EXIT_TIMEOUT_MS);
    if (code === "timeout") {
      failures.push(`${ingest.name} did not exit within ${EXIT_TIMEOUT_MS / 1000} s of SIGTERM`);
      continue;
    }
    expect(code === 0, `${ingest.name} exited with code ${code}:\n${ingest.stderr().slice(-2000)}`);
    const summary = summaryOf(ingest);
    if (!summary) {
      failures.push(`${ingest.name} printed no JSON summary: ${ingest.stdout().slice(0, 500)}`);
      continue;
    }
    readTotal += summary.recordsIn;
    expect(summary.error === undefined, `${ingest.name} failed: ${summary.error?.message}`);
    expect(summary.deadLetters === 0, `${ingest.name} dead-lettered ${summary.deadLetters} records`);
    expect(summary.recordsIn > 0, `${ingest.name} read no records: the group did not split the work`);
    expect(
      (summary.recordsOut.db ?? 0) === summary.recordsIn,
      `${ingest.name} read ${summary.recordsIn} records but wrote ${summary.recordsOut.db ?? 0}`,
    );
    console.log(`  ${ingest.name}: read and wrote ${summary.recordsIn} prices, drained and exited 0`);
  }
  // At-least-once: a rebalance may hand a few batches to both members, never fewer than all.
  expect(readTotal >= TOTAL, `the two processes read ${readTotal} records, fewer than ${TOTAL}`);

  // Step 5: every price exactly once, every offset committed.
  const table = await database.query(
    `SELECT count(*)::int AS n, count(DISTINCT (coin_id, exchange_id, last_updated))::int AS keys
       FROM "${schema}".crypto_prices`,
  );
  const { n, keys } = table.rows[0] as { n: number; keys: number };
  expect(n === TOTAL && keys === TOTAL, `${n} rows with ${keys} distinct keys; expected ${TOTAL}`);
  const byCoin = await database.query(
    `SELECT coin_id, count(DISTINCT last_updated)::int AS minutes
       FROM "${schema}".crypto_prices GROUP BY coin_id ORDER BY coin_id`,
  );
  const perCoin = TOTAL / coins.length;
  expect(
    byCoin.rows.length === coins.length &&
      byCoin.rows.every((row: { minutes: number }) => row.minutes === perCoin),
    `expected ${perCoin} minutes for each of ${coins.join(", ")}; found ${JSON.stringify(byCoin.rows)}`,
  );
  const committed = (await admin.fetchOffsets({ groupId, topics: [pricesTopic] }))[0]?.partitions ?? [];
  // An empty partition has nothing to commit: its offset stays -1 (none).
  const behind = committed.filter((entry) => {
    const end = Number(offsets.find((partition) => partition.partition === entry.partition)?.high);
    return Number(entry.offset) !== end && !(end === 0 && entry.offset === "-1");
  });
  expect(
    committed.length === PARTITIONS && behind.length === 0,
    `the group did not commit every offset: committed ${JSON.stringify(committed)}, log ends ${JSON.stringify(offsets)}`,
  );
}

try {
  await admin.connect();
  await database.connect();
  await scaleOut();
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  if (failures.length > 0) {
    console.error(`kafka-scale-out example FAILED:\n- ${failures.join("\n- ")}`);
    process.exitCode = 1;
  } else {
    console.log(
      `kafka-scale-out example: ${TOTAL} prices published to Kafka in two runs, ingested by two processes in one consumer group, each row exactly once, every offset committed (${seconds} s) — OK`,
    );
  }
} finally {
  for (const ingest of ingests) if (ingest.child.exitCode === null) ingest.child.kill("SIGKILL");
  await database.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await database.end().catch(() => undefined);
  const topics = (await admin.listTopics().catch(() => [] as string[])).filter((topic) =>
    topic.startsWith(topicPrefix),
  );
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
  rmSync(publishState, { force: true });
}
