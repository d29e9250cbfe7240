import type { IncomingMessage, ServerResponse } from "node:http";
import { isRecordKind, type RecordKind } from "../dsl/kinds";
import type { Pipeline } from "./pipeline";
import { openTap, openTaps, type TapFilter } from "./tap";

/** Taps open at once on one pipeline; a further `GET /tap` gets 503. */
export const MAX_TAPS = 8;
const LIMITS = { limit: { default: 100, max: 100_000 }, rate: { default: 100, max: 10_000 } } as const;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/;
const PARAMETERS = new Set(["source", "target", "stage", "kind", "instrument", "limit", "rate"]);
/** A comment line this often keeps proxies and idle timeouts from closing a quiet tap. */
const HEARTBEAT_MS = 15_000;
/**
 * Tapped records are written together this often (a reader sees them at most this late). Each
 * write wakes the reader, and on a busy machine a waking process takes the CPU from the
 * pipeline: 4 a second, not 10, for a live tail a person reads.
 */
const WRITE_INTERVAL_MS = 250;

export interface TapRequest {
  filter: TapFilter;
  limit: number;
  rate: number;
}

/**
 * Reads `GET /tap?source=<id>|target=<id>|stage=source|target&kind=..&instrument=..&limit=..&rate=..`
 * (kind and instrument may repeat); returns the problem as text when the query is not one.
 */
export function parseTapQuery(query: URLSearchParams, pipeline: Pipeline): TapRequest | string {
  for (const key of query.keys()) if (!PARAMETERS.has(key)) return `unknown parameter "${key}"`;
  for (const key of ["source", "target", "stage", "limit", "rate"]) {
    if (query.getAll(key).length > 1) return `"${key}" may be given once`;
  }
  const source = query.get("source");
  const target = query.get("target");
  if (source !== null && target !== null) return "give source or target, not both";
  const stageText = query.get("stage") ?? (target !== null ? "target" : "source");
  if (stageText !== "source" && stageText !== "target") return `stage must be source or target`;
  const adapter = source ?? target ?? undefined;
  if (adapter !== undefined) {
    const ids = (stageText === "source" ? pipeline.config.sources : pipeline.config.targets).map(
      (spec) => spec.id,
    );
    if (!ids.includes(adapter))
      return `the pipeline has no ${stageText} "${adapter.slice(0, 100)}"; its ${stageText}s: ${ids.join(", ")}`;
  }
  const kinds: RecordKind[] = [];
  for (const kind of query.getAll("kind")) {
    if (!isRecordKind(kind)) return `unknown kind "${kind.slice(0, 50)}"`;
    kinds.push(kind);
  }
  const instruments = query.getAll("instrument");
  if (instruments.length > 100) return "at most 100 instruments";
  for (const instrument of instruments) {
    if (!NAME.test(instrument)) return `"${instrument.slice(0, 100)}" is not an instrument or series name`;
  }
  const limit = boundedInteger(query.get("limit"), LIMITS.limit);
  if (typeof limit === "string") return `limit ${limit}`;
  const rate = boundedInteger(query.get("rate"), LIMITS.rate);
  if (typeof rate === "string") return `rate ${rate}`;
  return {
    filter: {
      stage: stageText,
      ...(adapter !== undefined ? { adapter } : {}),
      ...(kinds.length > 0 ? { kinds } : {}),
      ...(instruments.length > 0 ? { instruments } : {}),
    },
    limit,
    rate,
  };
}

/**
 * Streams tapped records as Server-Sent Events: `record` events (`{stage, adapter, kind,
 * record}`), `skipped` events (how many matching records sampling left out so far) and one
 * `end` event when the limit is reached or the pipeline stops. A slow reader is not waited
 * for: while the socket is full, records are skipped.
 */
export function streamTap(
  pipeline: Pipeline,
  request: TapRequest,
  incoming: IncomingMessage,
  response: ServerResponse,
): void {
  if (openTaps(pipeline.metrics) >= MAX_TAPS) {
    response
      .writeHead(503, { "content-type": "text/plain" })
      .end(`${MAX_TAPS} taps are open on this pipeline; close one\n`);
    return;
  }
  response.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    connection: "keep-alive",
  });
  response.write(`: tapping ${request.filter.stage}s of pipeline ${pipeline.name}\n\n`);
  let sent = 0;
  let reportedSkipped = 0;
  let ended = false;
  let waiting = false;
  // Records are written at most every WRITE_INTERVAL_MS, in one chunk: a write per record (or per
  // batch the runtime offers, hundreds a second) costs a syscall here and a wake-up in the reader,
  // CPU a pipeline on the same machine then lacks.
  let pending = "";
  let writeTimer: NodeJS.Timeout | undefined;
  const writePending = () => {
    writeTimer = undefined;
    if (pending === "" || response.writableEnded) return;
    const room = response.write(pending);
    pending = "";
    // A full socket pauses the tap (its records are skipped, not held) until it drains.
    if (!room && !waiting) {
      waiting = true;
      tap.pause();
      response.once("drain", () => {
        waiting = false;
        tap.resume();
      });
    }
  };
  const tap = openTap(pipeline.metrics, {
    filter: request.filter,
    maxPerSecond: request.rate,
    onRecords: (records) => {
      for (const record of records) {
        if (ended) return;
        pending += `event: record\ndata: ${JSON.stringify(record)}\n\n`;
        sent++;
        if (sent >= request.limit) return end("limit");
      }
      writeTimer ??= setTimeout(writePending, WRITE_INTERVAL_MS);
    },
  });
  // The count goes out with the next records' write rather than waking the reader on its own.
  const reportSkipped = () => {
    if (tap.skipped === reportedSkipped || ended) return;
    reportedSkipped = tap.skipped;
    pending += `event: skipped\ndata: ${JSON.stringify({ records: tap.skipped })}\n\n`;
    writeTimer ??= setTimeout(writePending, WRITE_INTERVAL_MS);
  };
  let ticks = 0;
  const timer = setInterval(() => {
    watchEnd();
    reportSkipped();
    if (++ticks % (HEARTBEAT_MS / 1000) === 0 && !ended) response.write(": still tapping\n\n");
  }, 1000);
  timer.unref();
  const end = (reason: "limit" | "pipeline stopped") => {
    if (ended) return;
    reportSkipped();
    clearTimeout(writeTimer);
    writePending();
    ended = true;
    clearInterval(timer);
    tap.close();
    response.end(`event: end\ndata: ${JSON.stringify({ reason, records: sent, skipped: tap.skipped })}\n\n`);
  };
  // `done` of a pipeline not started yet resolves at once: wait for it only once it runs. A tap
  // opened between initialize() and start() learns of the run on a later tick, so it still ends.
  let watching = false;
  const watchEnd = () => {
    if (watching || ended) return;
    const { status } = pipeline;
    if (status === "stopped" || status === "failed") {
      watching = true;
      end("pipeline stopped");
    } else if (status === "running" || status === "stopping") {
      watching = true;
      void pipeline.done.then(() => end("pipeline stopped"));
    }
  };
  watchEnd();
  incoming.once("close", () => {
    ended = true;
    clearTimeout(writeTimer);
    clearInterval(timer);
    tap.close();
  });
}

function boundedInteger(text: string | null, bounds: { default: number; max: number }): number | string {
  if (text === null) return bounds.default;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1 || value > bounds.max)
    return `must be a whole number from 1 to ${bounds.max}`;
  return value;
}
