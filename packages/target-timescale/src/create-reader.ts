import { type Logger, silentLogger } from "@qicore/core/adapter";
import type { TimescaleConfig } from "./config";
import { openDatabase } from "./connection";
import type { Database } from "./database";
import { createReader } from "./reader";
import { describeLocation, parseTimescaleConfig, splitOptions } from "./target";
import type { TimescaleInjection, TimescaleOptions, TimescaleReader } from "./types";

/**
 * A reader on its own, for dashboards, scripts and the MCP server. Opens the database
 * on first use and creates no tables; `close()` releases what it opened.
 *
 *     const reader = createTimescaleReader({ connectionString: process.env.DATABASE_URL });
 *     const history = await reader.getPriceHistory("bitcoin", new Date("2024-01-01"), new Date());
 *     if (history.ok) console.table(history.value);
 */
export function createTimescaleReader(options: TimescaleOptions = {}): TimescaleReader {
  const { config, injection } = splitOptions(options);
  return openTimescaleReader(parseTimescaleConfig(config), injection, {
    logger: options.logger ?? silentLogger,
    baseDir: options.baseDir ?? process.cwd(),
  });
}

/**
 * A reader of a validated config: what `createTimescaleReader` and the target's reader
 * capability (`openReader`, which the MCP server uses) share. It never migrates.
 */
export function openTimescaleReader(
  parsed: TimescaleConfig,
  injection: TimescaleInjection,
  environment: { logger: Logger; baseDir: string },
): TimescaleReader {
  const config: TimescaleConfig = { ...parsed, migrate: false };
  const { pglite, database: injected } = injection;
  let opening: Promise<{ database: Database; owned: boolean }> | undefined;
  const open = () => {
    opening ??= openDatabase(config, injection, environment).catch((thrown) => {
      opening = undefined;
      throw thrown;
    });
    return opening;
  };
  const database: Database = {
    get engine() {
      return config.connectionString.startsWith("embedded") || pglite ? "pglite" : "postgres";
    },
    get location() {
      return injected?.location ?? describeLocation(config.connectionString, injection);
    },
    query: async (text, params) => (await open()).database.query(text, params),
    withSession: async (work) => (await open()).database.withSession(work),
    close: async () => {},
  };
  const reader = createReader(database, {
    schema: config.schema,
    maxRows: config.maxRows,
    timescale: config.timescale,
  });
  return {
    ...reader,
    async close() {
      const current = opening;
      opening = undefined;
      const state = await current?.catch(() => undefined);
      if (state?.owned) await state.database.close();
    },
  };
}
