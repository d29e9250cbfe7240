import type { Checkpoint, Logger, StateStore } from "@qicore/core/adapter";
import { type Database, qualifiedName } from "./database";
import { databaseError } from "./errors";
import { STATE_TABLE } from "./migrations";
import { retryTransient, type TransientRetryPolicy } from "./retry";

/**
 * Source checkpoints in the `qicore_state` table, next to the data they describe, so
 * a checkpoint and the rows it covers live (and are backed up) together.
 */
export function createStateStore(
  database: Database,
  schema: string,
  retry: TransientRetryPolicy,
  logger: Logger,
): StateStore {
  const table = qualifiedName(schema, STATE_TABLE);
  return {
    async load(pipelineName, sourceId) {
      const action = `loading the checkpoint of ${pipelineName}/${sourceId} from ${table}`;
      try {
        const result = await retryTransient(
          action,
          () =>
            database.query<{ checkpoint: Checkpoint }>(
              `SELECT checkpoint FROM ${table} WHERE pipeline = $1 AND source_id = $2`,
              [pipelineName, sourceId],
            ),
          retry,
          logger,
        );
        const row = result.rows[0];
        return row === undefined || row.checkpoint === null ? undefined : row.checkpoint;
      } catch (thrown) {
        throw databaseError(thrown, action, { pipeline: pipelineName, sourceId }, "STATE_STORE_FAILED");
      }
    },
    async save(pipelineName, sourceId, checkpoint) {
      const action = `saving the checkpoint of ${pipelineName}/${sourceId} to ${table}`;
      try {
        await retryTransient(
          action,
          () =>
            database.query(
              `INSERT INTO ${table} (pipeline, source_id, checkpoint, updated_at) VALUES ($1, $2, $3::jsonb, now())
               ON CONFLICT (pipeline, source_id) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, updated_at = EXCLUDED.updated_at`,
              [pipelineName, sourceId, JSON.stringify(checkpoint ?? null)],
            ),
          retry,
          logger,
        );
      } catch (thrown) {
        throw databaseError(thrown, action, { pipeline: pipelineName, sourceId }, "STATE_STORE_FAILED");
      }
    },
  };
}
