import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type Logger, redactSecrets } from "@qicore/core/adapter";
import pg from "pg";
import { from as copyFromStdin } from "pg-copy-streams";
import type { Database, QueryResult, SqlSession } from "./database";
import { classifyFailure } from "./errors";

export interface PostgresDatabaseOptions {
  /** A pool the caller owns; left open on close. */
  pool?: pg.Pool;
  /** Used when no pool is given. */
  connectionString?: string;
  max?: number;
  idleTimeoutMs?: number;
  connectionTimeoutMs?: number;
  applicationName?: string;
  logger: Logger;
}

/** host:port/database of a URL, for log lines; never the user or password. */
export function describeConnectionString(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    return `postgres://${url.hostname}${url.port ? `:${url.port}` : ""}${url.pathname}`;
  } catch {
    return redactSecrets(connectionString);
  }
}

function toResult<Row>(result: pg.QueryResult): QueryResult<Row> {
  return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
}

/** A Database over a node-postgres pool, created from a URL or injected. */
export function createPostgresDatabase(options: PostgresDatabaseOptions): Database {
  const owned = options.pool === undefined;
  const pool =
    options.pool ??
    new pg.Pool({
      connectionString: options.connectionString,
      max: options.max ?? 10,
      idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
      application_name: options.applicationName ?? "qicore-target-timescale",
      keepAlive: true,
    });
  const location = options.connectionString
    ? describeConnectionString(options.connectionString)
    : "an injected pg Pool";
  // An idle connection that the server closes (restart, pg_terminate_backend) makes the
  // pool emit "error"; without a listener Node would end the process. The listener stays for
  // the pool's whole life: the server can close connections while `pool.end()` is still
  // closing them (a database dropped or restarted as the pipeline stops).
  let closing = false;
  const onPoolError = (error: Error) => {
    if (closing)
      options.logger.debug("a database connection was closed by the server while the pool closed", {
        database: location,
        error: redactSecrets(error.message),
      });
    else
      options.logger.warn("an idle database connection was closed; the pool will open a new one", {
        database: location,
        error: redactSecrets(error.message),
      });
  };
  if (owned) pool.on("error", onPoolError);

  return {
    engine: "postgres",
    location,
    async query<Row>(text: string, params: readonly unknown[] = []) {
      return toResult<Row>(await pool.query(text, params as unknown[]));
    },
    async withSession<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken: Error | undefined;
      // While checked out a client has no pool listener; a dropped connection emits "error" here.
      const onClientError = (error: Error) => {
        broken = error;
      };
      client.on("error", onClientError);
      const session: SqlSession = {
        async query<Row>(text: string, params: readonly unknown[] = []) {
          return toResult<Row>(await client.query(text, params as unknown[]));
        },
        async copyFrom(target, chunks) {
          const stream = client.query(copyFromStdin(`COPY ${target} FROM STDIN`));
          await pipeline(Readable.from(chunks, { objectMode: false }), stream);
        },
      };
      try {
        return await work(session);
      } catch (thrown) {
        // A dropped connection can surface as a stream error ("premature close") rather
        // than the server's message; the connection's own error says what happened.
        if (broken && classifyFailure(thrown) !== "transient") throw broken;
        if (classifyFailure(thrown) === "transient") broken ??= thrown as Error;
        throw thrown;
      } finally {
        client.removeListener("error", onClientError);
        // Releasing with an error destroys the connection instead of pooling it.
        client.release(broken ?? false);
      }
    },
    async close() {
      if (!owned) return;
      closing = true;
      await pool.end();
    },
  };
}
