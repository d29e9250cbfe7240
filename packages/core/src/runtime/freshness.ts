import { RECORD_KIND_DEFINITIONS, RECORD_KINDS, type RecordKind } from "../dsl/kinds";
import { AGGREGATE_EXCHANGE } from "../dsl/records";
import { tableModel } from "../dsl/table-model";
import type { PipelineMetrics } from "./metrics";

/**
 * Kinds whose records name an instrument, with the field that times them (the kind's own
 * `timeField`): what readiness's freshness and the data-age metric follow. Taken from the
 * record definitions, so a new kind is followed without the runtime knowing it.
 */
const TIME_FIELD_BY_KIND = new Map<RecordKind, string>(
  RECORD_KINDS.filter((kind) => tableModel(kind).columns.some((column) => column.field === "instrument")).map(
    (kind) => [kind, RECORD_KIND_DEFINITIONS[kind].timeField],
  ),
);

/**
 * The series a record belongs to for freshness: its instrument, prefixed by its venue unless it
 * is an aggregate across venues (`bitcoin` for CoinGecko, `binance:BTCUSDT` for an exchange).
 */
export function seriesOf(record: { instrument?: unknown; exchangeId?: unknown }): string | undefined {
  if (typeof record.instrument !== "string") return undefined;
  const venue = record.exchangeId;
  return typeof venue === "string" && venue !== AGGREGATE_EXCHANGE
    ? `${venue}:${record.instrument}`
    : record.instrument;
}

/** Notes the newest time of every series in records that reached all their targets. */
export function noteFreshness(metrics: PipelineMetrics, kind: RecordKind, records: readonly unknown[]): void {
  const timeField = TIME_FIELD_BY_KIND.get(kind);
  if (timeField === undefined) return;
  for (const record of records as readonly Record<string, unknown>[]) {
    const series = seriesOf(record);
    const time = record[timeField];
    if (series !== undefined && typeof time === "string") metrics.noteNewest(series, time);
  }
}
