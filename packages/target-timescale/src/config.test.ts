import { readFile } from "node:fs/promises";
import { QiError } from "@qicore/core";
import { createMemoryLogger } from "@qicore/core/testing";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createTimescaleReader,
  createTimescaleTarget,
  parseTimescaleConfig,
  timescaleConfigSchema,
  timescaleTarget,
  toPostgresInterval,
} from "./index";
import { splitOptions } from "./target";

describe("timescale target config", () => {
  it("fills in defaults: embedded database, public schema, pool and batch sizes", () => {
    const config = parseTimescaleConfig({});
    expect(config).toMatchObject({
      connectionString: "embedded",
      schema: "public",
      timescale: "auto",
      pool: { max: 10, idleTimeoutMs: 30_000, connectionTimeoutMs: 10_000 },
      batchSize: 2_000,
      bulkThreshold: 500,
      copyBatchSize: 50_000,
      compression: { enabled: true, after: "7 days" },
      retention: { enabled: false, after: "365 days" },
      candles: { enabled: true, refreshEvery: "30 minutes" },
      maxRows: 10_000,
    });
    expect(config.chunkInterval).toBeUndefined();
  });

  it("takes three writes at once on a server and one on embedded PGlite, at most pool.max", () => {
    const server = "postgres://localhost:5432/db";
    expect(createTimescaleTarget({ connectionString: server }).writeConcurrency).toBe(3);
    expect(createTimescaleTarget({ connectionString: server, pool: { max: 2 } }).writeConcurrency).toBe(2);
    expect(createTimescaleTarget({ connectionString: server, writeConcurrency: 5 }).writeConcurrency).toBe(5);
    expect(createTimescaleTarget({ connectionString: "embedded" }).writeConcurrency).toBe(1);
    expect(() => parseTimescaleConfig({ writeConcurrency: 4, pool: { max: 3 } })).toThrow(
      /writeConcurrency: 4 writes in flight need as many connections; pool.max is 3/,
    );
  });

  it("normalises time spans to Postgres intervals and refuses anything else", () => {
    expect(toPostgresInterval("7d")).toBe("7 days");
    expect(toPostgresInterval("12 H")).toBe("12 hours");
    expect(toPostgresInterval("1 month")).toBe("1 months");
    expect(toPostgresInterval("1 day'; DROP TABLE x; --")).toBeUndefined();
    expect(toPostgresInterval("0d")).toBeUndefined();
    expect(parseTimescaleConfig({ chunkInterval: "6h" }).chunkInterval).toBe("6 hours");
    expect(() => parseTimescaleConfig({ retention: { after: "forever" } })).toThrow(
      /retention\.after: expected a time span/,
    );
  });

  it("refuses schema names that would need quoting and unknown options, listing every problem", () => {
    try {
      parseTimescaleConfig({
        schema: 'x"; DROP SCHEMA public; --',
        connectionString: "mysql://db",
        batchSzie: 5,
      });
      expect.unreachable();
    } catch (thrown) {
      expect(QiError.isInstance(thrown)).toBe(true);
      const error = thrown as QiError;
      expect(error.code).toBe("CONFIG_INVALID");
      expect(error.context.problems).toHaveLength(3);
      expect(error.message).toMatch(/schema: a SQL name/);
      expect(error.message).toMatch(/connectionString: expected a PostgreSQL URL/);
      expect(error.message).toMatch(/batchSzie/);
    }
  });

  it("accepts a pg Pool or pool settings under `pool`", () => {
    const pool = new pg.Pool({ connectionString: "postgres://localhost/none" });
    expect(splitOptions({ pool }).injection.pool).toBe(pool);
    expect(splitOptions({ pool }).config.pool).toBeUndefined();
    const settings = splitOptions({ pool: { max: 3 } });
    expect(settings.injection.pool).toBeUndefined();
    expect(settings.config.pool).toEqual({ max: 3 });
    return pool.end();
  });

  it("is a target of every record kind, idempotent, whose config schema is what pipeline files are checked with", () => {
    expect(timescaleTarget.role).toBe("target");
    expect(timescaleTarget.capabilities).toEqual({
      kinds: ["price", "ohlcv", "analytics", "trade", "quote"],
      idempotent: true,
      deadLetter: false,
    });
    expect(
      timescaleTarget.configSchema.safeParse({ connectionString: "embedded:.qicore/data" }).success,
    ).toBe(true);
    expect(timescaleTarget.configSchema.safeParse({ schema: "Bad-Name" }).success).toBe(false);
  });

  it("never puts the password of a connection string in errors or log lines", async () => {
    const logger = createMemoryLogger();
    const target = createTimescaleTarget({
      connectionString: "postgres://qicore:S3cretPassw0rd@127.0.0.1:1/market",
      logger,
      retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 1 },
      pool: { connectionTimeoutMs: 2_000 },
    });
    const failure = await target.connect().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(QiError.isInstance(failure)).toBe(true);
    const error = failure as QiError;
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/127\.0\.0\.1:1\/market/);
    const everything = JSON.stringify([error.toJSON(), error.message, logger.lines]);
    expect(everything).not.toContain("S3cretPassw0rd");
    expect(logger.lines.some((line) => line.level === "warn")).toBe(true);
    const health = await target.healthCheck();
    expect(health.status).toBe("unhealthy");
    expect(JSON.stringify(health)).not.toContain("S3cretPassw0rd");
    await target.disconnect();
  });
});

describe("reader errors", () => {
  it("are Results naming the database without its password, retryable when the server is unreachable", async () => {
    const reader = createTimescaleReader({
      connectionString: "postgres://reader:An0therS3cret@127.0.0.1:1/market",
      pool: { connectionTimeoutMs: 2_000 },
    });
    const latest = await reader.getLatestPrices();
    const health = await reader.healthCheck();
    await reader.close();
    expect(latest.ok).toBe(false);
    if (latest.ok) return;
    expect(latest.error.code).toBe("READ_FAILED");
    expect(latest.error.retryable).toBe(true);
    expect(latest.error.message).toMatch(/latest prices/);
    expect(JSON.stringify([latest.error.toJSON(), latest.error.message])).not.toContain("An0therS3cret");
    expect(health.status).toBe("unhealthy");
    expect(health.message).toMatch(/127\.0\.0\.1:1\/market/);
    expect(JSON.stringify(health)).not.toContain("An0therS3cret");
  });
});

describe("README", () => {
  it("documents every option of the config schema", async () => {
    const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
    const schema = z.toJSONSchema(timescaleConfigSchema, { io: "input" }) as {
      properties: Record<string, { properties?: Record<string, unknown> }>;
    };
    const documented = [...readme.matchAll(/^\| `([a-zA-Z.]+)` \|/gm)].map((match) => match[1]);
    const options = Object.entries(schema.properties).flatMap(([name, property]) =>
      property.properties ? Object.keys(property.properties).map((inner) => `${name}.${inner}`) : [name],
    );
    expect(documented.sort()).toEqual(options.sort());
  });
});
