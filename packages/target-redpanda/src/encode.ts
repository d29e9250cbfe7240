import {
  type DeadLetter,
  type MarketRecord,
  type QiError,
  qiError,
  type RecordFailure,
  type RecordKind,
} from "@qicore/core/adapter";
import {
  DEAD_LETTER_CONTENT_TYPE,
  DEAD_LETTER_HEADER,
  HEADER,
  JSON_CONTENT_TYPE,
} from "@qicore/kafka-common";
import type { HeaderValue, OutgoingMessage, TopicMessages, TopicToCreate } from "./client/types";
import { ADAPTER_NAME } from "./errors";
import { exchangeTopic, type TopicPlan } from "./topics";

/** Messages of one write, grouped by topic, with the records that could not become messages. */
export interface EncodedWrite {
  topics: TopicMessages[];
  /** For each topic's messages, the index of the record each one came from. */
  indexes: number[][];
  /** Topics the messages go to that may need creating (per-exchange topics). */
  topicPlans: TopicToCreate[];
  failures: RecordFailure[];
  bytes: number;
}

export interface RecordEncoderOptions {
  plans: Record<RecordKind, TopicPlan>;
  exchangeKinds: readonly RecordKind[];
  /** `<pipeline>/<target id>`, sent in the producer header of dead letters. */
  producer: string;
  maxMessageBytes: number;
}

/**
 * Turns records into Kafka messages: the canonical JSON of the record (the core's output
 * schema) as the value, the kind's key field (the coin) as the key, and headers saying
 * kind, schema, version, content type and source (five small headers: kafkajs encodes
 * every header of every message, so each one costs throughput). Header objects are shared
 * between messages with the same kind and source, which kafkajs only reads.
 */
export class RecordEncoder {
  private readonly headers = new Map<string, Record<string, HeaderValue>>();

  constructor(private readonly options: RecordEncoderOptions) {}

  encode(kind: RecordKind, records: readonly MarketRecord[]): EncodedWrite {
    const plan = this.options.plans[kind];
    const byExchange = this.options.exchangeKinds.includes(kind);
    const keyField = plan.keyField;
    const grouped = new Map<string, { messages: OutgoingMessage[]; indexes: number[] }>();
    const failures: RecordFailure[] = [];
    let bytes = 0;
    records.forEach((record, index) => {
      const fields = record as unknown as Record<string, unknown>;
      const value = Buffer.from(JSON.stringify(record));
      if (value.length > this.options.maxMessageBytes) {
        failures.push({ index, error: tooLarge(kind, value.length, this.options.maxMessageBytes, index) });
        return;
      }
      const key = keyField === null ? null : String(fields[keyField]);
      const topic = byExchange ? `${plan.topic.topic}.${String(fields.exchangeId)}` : plan.topic.topic;
      let group = grouped.get(topic);
      if (!group) {
        group = { messages: [], indexes: [] };
        grouped.set(topic, group);
      }
      group.messages.push({ key, value, headers: this.headersFor(kind, plan, String(fields.source ?? "")) });
      group.indexes.push(index);
      bytes += value.length + (key?.length ?? 0);
    });
    const topics = [...grouped].map(([topic, { messages }]) => ({ topic, messages }));
    const indexes = [...grouped.values()].map((group) => group.indexes);
    const topicPlans = byExchange
      ? topics.map(({ topic }) => exchangeTopic(plan, topic.slice(plan.topic.topic.length + 1)))
      : [];
    return { topics, indexes, topicPlans, failures, bytes };
  }

  private headersFor(kind: RecordKind, plan: TopicPlan, source: string): Record<string, HeaderValue> {
    const cacheKey = `${kind}\u0000${source}`;
    let headers = this.headers.get(cacheKey);
    if (!headers) {
      headers = Object.freeze({
        [HEADER.contentType]: Buffer.from(JSON_CONTENT_TYPE),
        [HEADER.kind]: Buffer.from(kind),
        [HEADER.schema]: Buffer.from(plan.schemaId),
        [HEADER.schemaVersion]: Buffer.from(String(plan.schemaVersion)),
        [HEADER.source]: Buffer.from(source),
      });
      // Sources are few (one per provider); the bound only guards against unexpected variety.
      if (this.headers.size < 1000) this.headers.set(cacheKey, headers);
    }
    return headers;
  }
}

function tooLarge(kind: RecordKind, size: number, limit: number, index: number): QiError {
  return qiError(
    "MESSAGE_TOO_LARGE",
    `${ADAPTER_NAME}: ${kind} record ${index} is ${size} bytes as JSON, more than maxMessageBytes (${limit})`,
    { category: "VALIDATION", context: { kind, index, size, limit } },
  );
}

/** How much of a record a bounded dead letter keeps. */
const RECORD_PREVIEW_CHARS = 64 * 1024;

/**
 * A dead letter as a message: the whole letter as JSON (record, reason, source, target,
 * origin, time, attempts), keyed like the record when it has the kind's key field, with
 * headers that say why and where from so it can be triaged without parsing the value.
 *
 * A letter larger than `maxBytes` (a record refused for its size) would be refused by the
 * brokers too and fail the run; it is sent as a bounded copy instead: the letter without its
 * record, plus the record's first characters (`recordPreview`) and its size (`recordBytes`).
 */
export function encodeDeadLetter(
  letter: DeadLetter,
  plans: Record<RecordKind, TopicPlan>,
  producer: string,
  maxBytes = Number.POSITIVE_INFINITY,
): OutgoingMessage {
  const keyField = letter.kind === "unknown" ? null : plans[letter.kind].keyField;
  const record = letter.record as Record<string, unknown> | null;
  const keyValue = keyField && record && typeof record === "object" ? record[keyField] : undefined;
  const headers: Record<string, HeaderValue> = {
    [HEADER.contentType]: DEAD_LETTER_CONTENT_TYPE,
    [HEADER.kind]: letter.kind,
    [HEADER.producer]: producer,
    [DEAD_LETTER_HEADER.code]: letter.reason.code,
    [DEAD_LETTER_HEADER.category]: letter.reason.category,
    [DEAD_LETTER_HEADER.message]: letter.reason.message,
    [DEAD_LETTER_HEADER.sourceId]: letter.sourceId,
    [DEAD_LETTER_HEADER.failedAt]: letter.failedAt,
    [DEAD_LETTER_HEADER.attempts]: String(letter.attempts),
  };
  if (letter.targetId) headers[DEAD_LETTER_HEADER.targetId] = letter.targetId;
  const origin = letter.origin;
  if (origin) {
    if (origin.topic !== undefined) headers[DEAD_LETTER_HEADER.originTopic] = String(origin.topic);
    if (origin.partition !== undefined)
      headers[DEAD_LETTER_HEADER.originPartition] = String(origin.partition);
    if (origin.offset !== undefined) headers[DEAD_LETTER_HEADER.originOffset] = String(origin.offset);
    headers[DEAD_LETTER_HEADER.origin] = JSON.stringify(origin);
  }
  let value = Buffer.from(JSON.stringify(letter));
  if (value.length > maxBytes) {
    const record = JSON.stringify(letter.record) ?? "null";
    const { record: _record, ...rest } = letter;
    value = Buffer.from(
      JSON.stringify({
        ...rest,
        recordPreview: record.slice(0, Math.min(RECORD_PREVIEW_CHARS, Math.floor(maxBytes / 4))),
        recordBytes: Buffer.byteLength(record),
      }),
    );
    headers[DEAD_LETTER_HEADER.truncated] = "record";
    headers[DEAD_LETTER_HEADER.originalBytes] = String(Buffer.byteLength(record));
  }
  return { key: typeof keyValue === "string" ? keyValue : null, value, headers };
}
