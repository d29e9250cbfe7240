import {
  type Logger,
  type MarketRecord,
  type RecordFailure,
  type RecordKind,
  type TableModel,
  tableModel,
} from "@qicore/core/adapter";
import { type Database, inTransaction, qualifiedName, quoteIdentifier, type SqlSession } from "./database";
import { classifyFailure, databaseError, sqlState } from "./errors";
import {
  arrayType,
  columnsOf,
  copyChunks,
  type EncodedBatch,
  encodeBatch,
  sliceBatch,
  sourcesOf,
} from "./row-codec";

export interface WriterOptions {
  schema: string;
  /** Rows per upsert statement. */
  batchSize: number;
  /** Batches with more rows than this use COPY. */
  bulkThreshold: number;
  /** Rows per COPY transaction. */
  copyBatchSize: number;
  logger: Logger;
}

/** What one write did, for metrics and tests. */
export interface WriteReport {
  failures: RecordFailure[];
  /** Distinct rows sent (after merging duplicate keys). */
  rows: number;
  path: "upsert" | "copy";
}

interface KindStatements {
  model: TableModel;
  table: string;
  columnList: string;
  upsert: string;
  stageTable: string;
  createStage: string;
  mergeStage: string;
  /** After a COPY hit existing keys, this many chunks go through the staging table before COPY is tried again. */
  directCopyCooldown: number;
}

// Chunks that go through the staging table after a direct COPY met existing rows.
const STAGING_CHUNKS_AFTER_CONFLICT = 8;

/**
 * Writes records idempotently: every path ends in `INSERT ... ON CONFLICT (primary
 * key) DO UPDATE`, or a plain COPY that is only kept when no key existed, so a replay
 * leaves one row per key. Rows whose values did not change are not rewritten.
 */
export class RecordWriter {
  private readonly statements = new Map<RecordKind, KindStatements>();

  constructor(
    private readonly database: Database,
    private readonly options: WriterOptions,
  ) {}

  async write(kind: RecordKind, records: readonly MarketRecord[]): Promise<WriteReport> {
    const statements = this.statementsFor(kind);
    const batch = encodeBatch(statements.model, records);
    if (batch.size === 0) return { failures: [], rows: 0, path: "upsert" };
    const failures: RecordFailure[] = [];
    const bulk = batch.size > this.options.bulkThreshold;
    const chunkSize = bulk ? this.options.copyBatchSize : this.options.batchSize;
    for (let start = 0; start < batch.size; start += chunkSize) {
      const chunk = sliceBatch(batch, start, start + chunkSize);
      const chunkFailures = bulk
        ? await this.copyChunk(statements, chunk)
        : await this.upsert(statements, chunk);
      failures.push(...chunkFailures);
    }
    failures.sort((a, b) => a.index - b.index);
    return { failures, rows: batch.size, path: bulk ? "copy" : "upsert" };
  }

  /** Upserts rows with one statement; when the database refuses some, halves the batch to find them. */
  private async upsert(statements: KindStatements, batch: EncodedBatch): Promise<RecordFailure[]> {
    const action = `writing ${batch.size} ${statements.model.kind} records to ${statements.table}`;
    try {
      // A lost connection is thrown as retryable: the pipeline's retry loop writes the batch
      // again (upserts make that safe), with its backoff, readiness and metrics.
      await this.database.query(statements.upsert, columnsOf(statements.model, batch));
      return [];
    } catch (thrown) {
      if (classifyFailure(thrown) !== "record")
        throw databaseError(thrown, action, { table: statements.table });
      if (batch.size === 1) {
        const error = databaseError(
          thrown,
          `writing a ${statements.model.kind} record to ${statements.table}`,
          {
            table: statements.table,
          },
        );
        return sourcesOf(batch, 0).map((index) => ({ index, error }));
      }
      const middle = Math.ceil(batch.size / 2);
      const first = await this.upsert(statements, sliceBatch(batch, 0, middle));
      const second = await this.upsert(statements, sliceBatch(batch, middle, batch.size));
      return [...first, ...second];
    }
  }

  /**
   * Loads a chunk with COPY in one transaction: straight into the table while the keys
   * are new (as fast as COPY gets), else into a temporary staging table merged with
   * `INSERT ... SELECT ... ON CONFLICT DO UPDATE`. Refused data falls back to upserts,
   * which isolate the bad records.
   */
  private async copyChunk(statements: KindStatements, batch: EncodedBatch): Promise<RecordFailure[]> {
    const action = `copying ${batch.size} ${statements.model.kind} records to ${statements.table}`;
    try {
      await this.database.withSession((session) => this.copyInSession(session, statements, batch));
      return [];
    } catch (thrown) {
      if (classifyFailure(thrown) !== "record")
        throw databaseError(thrown, action, { table: statements.table });
      this.options.logger.debug(
        "COPY refused some data; writing this chunk with upserts to find the records",
        {
          table: statements.table,
          rows: batch.size,
          sqlState: sqlState(thrown),
        },
      );
      const failures: RecordFailure[] = [];
      for (let start = 0; start < batch.size; start += this.options.batchSize) {
        failures.push(
          ...(await this.upsert(statements, sliceBatch(batch, start, start + this.options.batchSize))),
        );
      }
      return failures;
    }
  }

  private async copyInSession(
    session: SqlSession,
    statements: KindStatements,
    batch: EncodedBatch,
  ): Promise<void> {
    if (statements.directCopyCooldown === 0) {
      try {
        await inTransaction(session, () =>
          session.copyFrom(
            `${statements.table} (${statements.columnList})`,
            copyChunks(statements.model, batch),
          ),
        );
        return;
      } catch (thrown) {
        // 23505: some keys exist already; merge this chunk and the next few through the staging table.
        if (sqlState(thrown) !== "23505") throw thrown;
        statements.directCopyCooldown = STAGING_CHUNKS_AFTER_CONFLICT;
      }
    } else {
      statements.directCopyCooldown--;
    }
    await inTransaction(session, async () => {
      await session.query(statements.createStage);
      await session.copyFrom(
        `${statements.stageTable} (${statements.columnList})`,
        copyChunks(statements.model, batch),
      );
      await session.query(statements.mergeStage);
    });
  }

  private statementsFor(kind: RecordKind): KindStatements {
    const cached = this.statements.get(kind);
    if (cached) return cached;
    const model = tableModel(kind);
    const table = qualifiedName(this.options.schema, model.table);
    const columns = model.columns.map((column) => quoteIdentifier(column.column));
    const columnList = columns.join(", ");
    const keys = new Set(model.primaryKey);
    const valueColumns = model.columns
      .filter((column) => !keys.has(column.column))
      .map((c) => quoteIdentifier(c.column));
    const conflict = `ON CONFLICT (${model.primaryKey.map(quoteIdentifier).join(", ")}) DO UPDATE SET ${valueColumns
      .map((column) => `${column} = EXCLUDED.${column}`)
      .join(
        ", ",
      )} WHERE (${valueColumns.map((column) => `${table}.${column}`).join(", ")}) IS DISTINCT FROM (${valueColumns
      .map((column) => `EXCLUDED.${column}`)
      .join(", ")})`;
    const unnest = model.columns
      .map((column, position) => `$${position + 1}::${arrayType(column)}`)
      .join(", ");
    // One temporary table per connection and target table, emptied at each commit.
    const stageTable = quoteIdentifier(`qicore_stage_${model.table}_${this.options.schema}`.slice(0, 63));
    const built: KindStatements = {
      model,
      table,
      columnList,
      upsert: `INSERT INTO ${table} (${columnList}) SELECT * FROM unnest(${unnest}) ${conflict}`,
      stageTable,
      createStage: `CREATE TEMPORARY TABLE IF NOT EXISTS ${stageTable} (LIKE ${table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`,
      mergeStage: `INSERT INTO ${table} (${columnList}) SELECT ${columnList} FROM ${stageTable} ${conflict}`,
      directCopyCooldown: 0,
    };
    this.statements.set(kind, built);
    return built;
  }
}
