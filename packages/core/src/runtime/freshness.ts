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

/**
 * The Prometheus labels of a series (`qicore_data_age_seconds`): the venue and the instrument as
 * two labels, since a series is identified by both (`exchange="binance",instrument="BTCUSDT"`;
 * a cross-venue CoinGecko price is `exchange="aggregate",instrument="bitcoin"`). Exchange ids
 * never hold a colon, so the first one in a series name separates them.
 */
export function seriesLabels(series: string): { exchange: string; instrument: string } {
  const colon = series.indexOf(":");
  return colon < 0
    ? { exchange: AGGREGATE_EXCHANGE, instrument: series }
    : { exchange: series.slice(0, colon), instrument: series.slice(colon + 1) };
}

/**
 * Series names by venue and instrument, so that noting a record does not build a new string
 * (and hash it) per record: this runs for every record a pipeline delivers. Bounded, since
 * a stream of ever new symbols must not grow it without end.
 */
const seriesNames = new Map<string, Map<string, string>>();
const MAX_SERIES_NAMES = 100_000;
let seriesNameCount = 0;

function seriesName(venue: unknown, instrument: string): string {
  // An aggregate price's series is named by its instrument alone: nothing to build or look up.
  if (typeof venue !== "string" || venue === AGGREGATE_EXCHANGE) return instrument;
  const venueKey = venue;
  let byInstrument = seriesNames.get(venueKey);
  if (byInstrument === undefined) {
    byInstrument = new Map();
    seriesNames.set(venueKey, byInstrument);
  }
  let name = byInstrument.get(instrument);
  if (name === undefined) {
    if (seriesNameCount >= MAX_SERIES_NAMES) {
      seriesNames.clear();
      seriesNameCount = 0;
      return seriesName(venue, instrument);
    }
    name = `${venueKey}:${instrument}`;
    byInstrument.set(instrument, name);
    seriesNameCount++;
  }
  return name;
}

/** Notes the newest time of every series in records that reached all their targets. */
export function noteFreshness(metrics: PipelineMetrics, kind: RecordKind, records: readonly unknown[]): void {
  const timeField = TIME_FIELD_BY_KIND.get(kind);
  if (timeField === undefined) return;
  // Records of one series often come in runs (a stream's batch): its name is found once a run.
  let lastVenue: unknown;
  let lastInstrument: unknown;
  let lastName = "";
  for (const record of records as readonly Record<string, unknown>[]) {
    const instrument = record.instrument;
    const time = record[timeField];
    if (typeof instrument !== "string" || typeof time !== "string") continue;
    const venue = record.exchangeId;
    if (instrument !== lastInstrument || venue !== lastVenue) {
      lastName = seriesName(venue, instrument);
      lastInstrument = instrument;
      lastVenue = venue;
    }
    metrics.noteNewest(lastName, time);
  }
}
