import type { MarketRecord, RecordKind } from "../dsl/kinds";
import type { QiError } from "../errors/qi-error";

/** Records of one kind, in the order their source read them. */
export interface RecordBatch {
  kind: RecordKind;
  records: readonly MarketRecord[];
  /**
   * In a processor's output: the oldest input batch these records carry the effect of (a
   * candle closed now was built from trades of earlier batches), so a stateful step after it
   * holds the right inputs. The call's own sequence when absent (0 for `tick` and `flush`).
   */
  sequence?: number;
}

/** A record a processor sends to the dead-letter destination instead of on, with why. */
export interface ProcessorRejection {
  kind: RecordKind;
  record: unknown;
  error: QiError;
}

/**
 * What a processor hands on after a call: records for the next processor (or the route's
 * targets), records it drops on purpose (counted), records it refuses (dead-lettered).
 */
export interface ProcessorOutput {
  batches?: readonly RecordBatch[];
  /** Records left out on purpose (a filter, a duplicate); counted in the metrics. */
  dropped?: number;
  rejected?: readonly ProcessorRejection[];
}

/**
 * The working part of a processor. The runtime calls it for one source's records on one
 * route, one call at a time, in read order, and hands the outputs on before the next call.
 *
 * At-least-once with state: a processor that keeps records' effects (an open candle bucket)
 * says, through `retainedFrom`, the oldest input it still needs; the runtime acknowledges an
 * input batch to its source only once nothing retains it and everything derived from it was
 * written. After a crash the source reads those inputs again and the processor rebuilds the
 * same state, so the outputs are the same (targets upsert by key).
 */
export interface ProcessorHandlers {
  /** Takes records of a kind it consumes; `sequence` numbers the input batches (1, 2, 3 ...). */
  process(batch: RecordBatch, sequence: number): ProcessorOutput | Promise<ProcessorOutput>;
  /**
   * Called about once a second with the wall clock, for processors that close work by time
   * as well as by data (a candle bucket of a quiet market).
   */
  tick?(now: number): ProcessorOutput | Promise<ProcessorOutput>;
  /** The input stream ended (a bounded run, a stop): hand on everything still held. */
  flush?(): ProcessorOutput | Promise<ProcessorOutput>;
  /**
   * The sequence of the oldest input batch whose effect is still held and not yet handed on
   * (undefined: none). A stateless processor needs no such method.
   */
  retainedFrom?(): number | undefined;
  /**
   * State to keep with the source's checkpoint of input batch `sequence`, saved before that
   * checkpoint is committed (everything derived from batches up to `sequence` is written; the
   * last checkpoint saved before was of batch `since`, 0 in a new run). A processor whose
   * outputs a replay could get wrong needs it: a replay from a checkpoint also reads the
   * tail of a candle bucket that began before it, and a candle of that tail alone must not
   * replace the bucket's written one. JSON-serialisable.
   */
  snapshot?(sequence: number, since: number): unknown;
  /**
   * Before the first input of a run, where the pipeline keeps checkpoints: what `snapshot`
   * returned when the checkpoint the run resumes from was saved (undefined on a first run).
   * A processor may keep what `snapshot` needs only once this was called.
   */
  restore?(state: unknown): void;
}
