import { get as httpGet, type IncomingMessage } from "node:http";
import { get as httpsGet } from "node:https";
import { parseArgs } from "node:util";
import { EXIT } from "../exit-codes";
import type { CommandIO } from "../io";
import { pipelineEndpoint } from "../watch/pipeline-endpoint";

export const tapHelp = `Usage: qicore tap [<url> | <pipeline.yaml>] [--source <id> | --target <id>] [options]

Prints records passing a stage of a running pipeline as JSON lines, without touching
delivery: the records a source's batches carry (after validation), or those a target has
written. Reads GET /tap of the metrics server \`qicore run\` serves (its URL, or the pipeline
file whose metrics section names it; default ./pipeline.yaml). The pipeline never waits for
a tap: past --rate records a second, or while this reader is behind, records are skipped
(the count goes to standard error).

Options:
  --source <id>          records of this source (default: every source)
  --target <id>          records this target wrote
  --kind <kind>          only this kind (price, ohlcv, analytics, trade, quote); repeatable
  --instrument <name>    only this series or instrument (bitcoin, binance:BTCUSDT); repeatable
  --limit <n>            stop after n records (default 100, at most 100000)
  --rate <n>             at most n records a second (default 100, at most 10000)
  --meta                 print {"stage","adapter","kind","record"} instead of the record alone

Exit codes: 0 done (limit, pipeline stopped, Ctrl-C), 1 the pipeline does not answer,
2 invalid usage or a tap the pipeline refused.`;

export async function tapCommand(args: readonly string[], io: CommandIO): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (thrown) {
    io.error(`${(thrown as Error).message}\n\n${tapHelp}`);
    return EXIT.INVALID;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(tapHelp);
    return EXIT.OK;
  }
  if (positionals.length > 1) {
    io.error(`qicore tap: unexpected argument "${positionals[1]}"\n\n${tapHelp}`);
    return EXIT.INVALID;
  }
  if (values.source !== undefined && values.target !== undefined) {
    io.error("qicore tap: give --source or --target, not both");
    return EXIT.INVALID;
  }
  const endpoint = await pipelineEndpoint(positionals[0], io);
  if (typeof endpoint === "string") {
    io.error(`qicore tap: ${endpoint}`);
    return EXIT.INVALID;
  }
  const query = new URLSearchParams();
  if (values.source !== undefined) query.set("source", values.source);
  if (values.target !== undefined) query.set("target", values.target);
  for (const kind of values.kind ?? []) query.append("kind", kind);
  for (const instrument of values.instrument ?? []) query.append("instrument", instrument);
  if (values.limit !== undefined) query.set("limit", values.limit);
  if (values.rate !== undefined) query.set("rate", values.rate);
  const url = `${endpoint.href.replace(/\/$/, "")}/tap?${query}`;

  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let records = 0;
  let skipped = 0;
  let ending = "the pipeline's server closed the tap";
  try {
    const response = await get(url, abort.signal);
    response.setEncoding("utf8");
    if (response.statusCode !== 200) {
      let text = "";
      for await (const chunk of response) text += chunk;
      io.error(`qicore tap: ${text.trim()} (HTTP ${response.statusCode})`);
      return response.statusCode === 400 ? EXIT.INVALID : EXIT.FAILED;
    }
    // One write per chunk the server sent (it sends every 250 ms), not one per record: at
    // --rate 1000 a write per line was a thousand syscalls a second on the pipeline's machine.
    reading: for await (const events of serverSentEvents(response as AsyncIterable<string>)) {
      const lines: string[] = [];
      try {
        for (const event of events) {
          if (event.event === "record" && !values.meta) {
            lines.push(recordText(event.data));
            records++;
            continue;
          }
          const data = JSON.parse(event.data) as {
            record?: unknown;
            records?: number;
            reason?: string;
            skipped?: number;
          };
          if (event.event === "record") {
            lines.push(JSON.stringify(values.meta ? data : data.record));
            records++;
          } else if (event.event === "skipped") skipped = data.records ?? skipped;
          else if (event.event === "end") {
            skipped = data.skipped ?? skipped;
            ending = data.reason === "limit" ? "limit reached" : "the pipeline stopped";
            break reading;
          }
        }
      } finally {
        if (lines.length > 0) io.out(lines.join("\n"));
      }
    }
  } catch (thrown) {
    if (!abort.signal.aborted) {
      const cause = (thrown as Error & { cause?: Error }).cause?.message ?? (thrown as Error).message;
      io.error(`qicore tap: cannot reach ${url} (${cause}): is \`qicore run\` running with a metrics port?`);
      return EXIT.FAILED;
    }
    ending = "stopped";
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  io.error(
    `qicore tap: ${records} records, ${skipped} skipped by sampling (at most ${values.rate ?? 100} a second); ${ending}`,
  );
  return EXIT.OK;
}

/**
 * GET with node:http rather than fetch: the tap runs on the pipeline's machine, and fetch's
 * web streams cost it several times the CPU per chunk.
 */
function get(url: string, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = (url.startsWith("https:") ? httpsGet : httpGet)(url, { signal }, resolve);
    request.once("error", reject);
  });
}

/** The key the record follows in a `record` event's data (the server writes it last). */
const RECORD_KEY = ',"record":';

/**
 * The record of a `record` event as JSON text, cut out of `{"stage":..,"adapter":..,"kind":..,
 * "record":<record>}` rather than parsed and written again, which cost the reader about twice
 * the pipeline's own encoding per record. Within a JSON string a quote is always escaped, so
 * the first `,"record":` is the top-level key; anything else is parsed.
 */
function recordText(data: string): string {
  const key = data.indexOf(RECORD_KEY);
  if (data.startsWith('{"stage":') && key > 0 && data.endsWith("}"))
    return data.slice(key + RECORD_KEY.length, -1);
  return JSON.stringify((JSON.parse(data) as { record?: unknown }).record);
}

/**
 * The events of a Server-Sent Events stream (`event:` and `data:` lines; comments skipped), as
 * the events each chunk of the body completes.
 */
async function* serverSentEvents(
  body: AsyncIterable<string>,
): AsyncGenerator<{ event: string; data: string }[]> {
  let text = "";
  for await (const chunk of body) {
    text += chunk;
    // Events are cut by position and the rest kept once: slicing the remainder after each event
    // copied the chunk once per record, CPU taken from the machine the pipeline runs on.
    const events: { event: string; data: string }[] = [];
    let start = 0;
    for (let boundary = text.indexOf("\n\n"); boundary >= 0; boundary = text.indexOf("\n\n", start)) {
      const block = text.slice(start, boundary);
      start = boundary + 2;
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      if (data.length > 0) events.push({ event, data: data.join("\n") });
    }
    text = text.slice(start);
    if (events.length > 0) yield events;
  }
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: "boolean", short: "h" },
      source: { type: "string" },
      target: { type: "string" },
      kind: { type: "string", multiple: true },
      instrument: { type: "string", multiple: true },
      limit: { type: "string" },
      rate: { type: "string" },
      meta: { type: "boolean" },
    },
  });
}
