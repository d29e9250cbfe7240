import type { SqlSession } from "./database";

/**
 * What the database can do:
 * - `timescale`: TimescaleDB under the Timescale License: hypertables, compression,
 *   policies, continuous aggregates.
 * - `apache`: TimescaleDB's Apache-2 edition (Debian's build, for one): hypertables and
 *   time_bucket only.
 * - `postgres`: no TimescaleDB: plain tables, date_bin for candles.
 */
export type EditionName = "timescale" | "apache" | "postgres";

export interface Edition {
  name: EditionName;
  /** TimescaleDB version, when the extension is there. */
  timescaleVersion?: string;
  /** Server version, e.g. `17.5`. */
  postgresVersion: string;
  /** Why TimescaleDB is not used, when it is not. */
  reason?: string;
}

export type TimescaleMode = "auto" | "require" | "off";

/**
 * Finds out what the database offers, creating the timescaledb extension when it is
 * available but not yet created (and `mode` allows). Runs inside the migration
 * transaction; a failed CREATE EXTENSION is rolled back to a savepoint.
 */
export async function detectEdition(
  session: SqlSession,
  mode: TimescaleMode,
  createExtension = true,
): Promise<Edition> {
  const server = await session.query<{ version: string }>(
    "SELECT current_setting('server_version') AS version",
  );
  const postgresVersion = (server.rows[0]?.version ?? "unknown").split(" ")[0] ?? "unknown";
  if (mode === "off") {
    return { name: "postgres", postgresVersion, reason: "the target's `timescale` option is off" };
  }
  let version = await installedVersion(session);
  let reason: string | undefined;
  if (version === undefined) {
    const available = await session.query("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'");
    if (available.rows.length === 0) {
      reason = "the timescaledb extension is not installed on this server";
    } else if (!createExtension) {
      reason = "the timescaledb extension is available but not created in this database";
    } else {
      await session.query("SAVEPOINT qicore_timescaledb");
      try {
        await session.query("CREATE EXTENSION IF NOT EXISTS timescaledb");
        await session.query("RELEASE SAVEPOINT qicore_timescaledb");
        version = await installedVersion(session);
      } catch (thrown) {
        await session.query("ROLLBACK TO SAVEPOINT qicore_timescaledb");
        reason = `CREATE EXTENSION timescaledb failed: ${thrown instanceof Error ? thrown.message : String(thrown)}`;
      }
    }
  }
  if (version === undefined) return { name: "postgres", postgresVersion, reason: reason ?? "unknown" };
  const license = await session.query<{ license: string | null }>(
    "SELECT current_setting('timescaledb.license', true) AS license",
  );
  const name: EditionName = license.rows[0]?.license === "apache" ? "apache" : "timescale";
  return { name, timescaleVersion: version, postgresVersion };
}

async function installedVersion(session: SqlSession): Promise<string | undefined> {
  const result = await session.query<{ version: string }>(
    "SELECT extversion AS version FROM pg_extension WHERE extname = 'timescaledb'",
  );
  return result.rows[0]?.version;
}

/** One line saying what the edition offers, for the log. */
export function describeEdition(edition: Edition): string {
  if (edition.name === "postgres") {
    return `PostgreSQL ${edition.postgresVersion} without TimescaleDB (${edition.reason ?? "not available"})`;
  }
  const license = edition.name === "apache" ? "Apache-2 edition" : "Timescale License";
  return `PostgreSQL ${edition.postgresVersion} with TimescaleDB ${edition.timescaleVersion} (${license})`;
}
