/**
 * One small interface over the two ways QiCore talks to Postgres: a node-postgres
 * pool (a server) and PGlite (Postgres compiled to WebAssembly, in-process). The
 * writer, the migrations and the reader only use this, so the same SQL runs on both.
 */

export interface QueryResult<Row> {
  rows: Row[];
  /** Rows inserted, updated or returned by the statement. */
  rowCount: number;
}

/** A connection held for a sequence of statements (a transaction, a COPY). */
export interface SqlSession {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
  /**
   * Loads rows with COPY in Postgres' text format. `target` is the table and column list
   * (`"public"."t" ("a", "b")`); `chunks` are lines ending in `\n`.
   */
  copyFrom(target: string, chunks: Iterable<string>): Promise<void>;
}

export type DatabaseEngine = "postgres" | "pglite";

export interface Database {
  readonly engine: DatabaseEngine;
  /** Where the database is, passwords masked; for log lines and errors. */
  readonly location: string;
  /** Runs one statement on any connection. */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
  /**
   * Holds one connection for `work`. A connection that failed with a connection
   * error is discarded rather than returned to the pool.
   */
  withSession<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
  /** Closes what this object opened; an injected pool or PGlite is left open for its owner. */
  close(): Promise<void>;
}

/** Runs `work` in a transaction on `session`, rolling back when it throws. */
export async function inTransaction<T>(session: SqlSession, work: () => Promise<T>): Promise<T> {
  await session.query("BEGIN");
  try {
    const result = await work();
    await session.query("COMMIT");
    return result;
  } catch (thrown) {
    // The connection may already be gone; the original error is the one that matters.
    await session.query("ROLLBACK").catch(() => undefined);
    throw thrown;
  }
}

/** Quotes a validated SQL name (see SQL_IDENTIFIER); refuses anything else. */
export function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) {
    throw new Error(`refusing to use ${JSON.stringify(name)} as a SQL name`);
  }
  return `"${name}"`;
}

/** `"schema"."table"`. */
export function qualifiedName(schema: string, table: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
}
