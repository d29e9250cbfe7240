import type { Logger } from "@qicore/core/adapter";
import type { Database } from "./database";
import { createPGliteDatabase, embeddedLocation, openEmbeddedDatabase } from "./pglite-database";
import { createPostgresDatabase } from "./postgres-database";
import type { TimescaleInjection } from "./types";

export interface ConnectionSettings {
  connectionString: string;
  pool: { max: number; idleTimeoutMs: number; connectionTimeoutMs: number };
  applicationName: string;
}

/**
 * Opens the database the options name: an injected handle, pool or PGlite first, else
 * the connection string (`embedded`, `embedded:<dir>` or a PostgreSQL URL).
 */
export async function openDatabase(
  settings: ConnectionSettings,
  injection: TimescaleInjection,
  context: { logger: Logger; baseDir: string },
): Promise<{ database: Database; owned: boolean }> {
  if (injection.database) return { database: injection.database, owned: false };
  if (injection.pool) {
    return {
      database: createPostgresDatabase({ pool: injection.pool, logger: context.logger }),
      owned: true,
    };
  }
  if (injection.pglite) {
    await injection.pglite.waitReady;
    return {
      database: createPGliteDatabase({ instance: injection.pglite, location: "an injected PGlite" }),
      owned: true,
    };
  }
  const { connectionString } = settings;
  if (connectionString === "embedded" || connectionString.startsWith("embedded:")) {
    return {
      database: await openEmbeddedDatabase(embeddedLocation(connectionString, context.baseDir)),
      owned: true,
    };
  }
  return {
    database: createPostgresDatabase({
      connectionString,
      max: settings.pool.max,
      idleTimeoutMs: settings.pool.idleTimeoutMs,
      connectionTimeoutMs: settings.pool.connectionTimeoutMs,
      applicationName: settings.applicationName,
      logger: context.logger,
    }),
    owned: true,
  };
}
