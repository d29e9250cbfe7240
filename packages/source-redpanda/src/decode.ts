import { isUtf8 } from "node:buffer";
import { type MarketRecord, type RecordKind, validateParsedRecord } from "@qicore/core/adapter";
import { DEAD_LETTER_HEADER, HEADER } from "@qicore/kafka-common";
import type { ConsumedMessage, HeaderValue, OutgoingMessage } from "./client/types";

export { DEAD_LETTER_HEADER, HEADER };

/** Why a message was not turned into a record. */
export interface Rejection {
  code: "EMPTY_MESSAGE" | "DECODE_FAILED" | "KIND_MISMATCH" | "VALIDATION_FAILED";
  message: string;
}

export type Decoded = { ok: true; record: MarketRecord } | { ok: false; rejection: Rejection };

function headerText(value: HeaderValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : value.toString("utf8");
}

/**
 * Whether a header holds exactly `expected` (ASCII, like the kind names), compared byte by
 * byte so the header of every message is not decoded into a new string first.
 */
function headerEquals(value: HeaderValue, expected: string): boolean {
  if (typeof value === "string") return value === expected;
  // kafkajs gives a repeated header as an array: not one kind, so refused (as it always was).
  if (!Buffer.isBuffer(value) || value.length !== expected.length) return false;
  for (let index = 0; index < value.length; index++)
    if (value[index] !== expected.charCodeAt(index)) return false;
  return true;
}

/**
 * Decodes one message of a topic that carries `kind` records: UTF-8 JSON, validated and
 * normalised by the core's schema of the kind (so numbers, epoch times and missing
 * defaults written by other producers become the canonical form). A `qicore-kind`
 * header naming another kind is refused rather than guessed around.
 */
export function decodeMessage(kind: RecordKind, topic: string, message: ConsumedMessage): Decoded {
  const value = message.value;
  if (value === null || value.length === 0)
    return reject("EMPTY_MESSAGE", "the message has no value (a tombstone or an empty message)");
  const headerKind = message.headers[HEADER.kind];
  if (headerKind !== undefined && !headerEquals(headerKind, kind))
    return reject(
      "KIND_MISMATCH",
      `the ${HEADER.kind} header says "${headerText(headerKind)}" but topic ${topic} carries ${kind} records`,
    );
  if (!isUtf8(value)) return reject("DECODE_FAILED", "the value is not UTF-8 text");
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString("utf8"));
  } catch (thrown) {
    return reject("DECODE_FAILED", `the value is not JSON: ${(thrown as Error).message}`);
  }
  // The parsed value is ours alone, so a canonical record is kept as it is rather than copied.
  const validated = validateParsedRecord(kind, parsed);
  if (!validated.ok) return reject("VALIDATION_FAILED", validated.error.message);
  return { ok: true, record: validated.value as MarketRecord };
}

function reject(code: Rejection["code"], message: string): Decoded {
  return { ok: false, rejection: { code, message } };
}

/**
 * A refused message as a dead letter: the original key, value bytes and headers (so it can
 * be replayed as it was), plus headers saying why and where it came from.
 */
export function deadLetterMessage(
  message: ConsumedMessage,
  where: { topic: string; partition: number; sourceId: string },
  rejection: Rejection,
  failedAt: string,
): OutgoingMessage {
  const headers: Record<string, HeaderValue> = {};
  for (const [name, value] of Object.entries(message.headers)) if (value !== undefined) headers[name] = value;
  Object.assign(headers, {
    [DEAD_LETTER_HEADER.code]: rejection.code,
    [DEAD_LETTER_HEADER.category]: "VALIDATION",
    [DEAD_LETTER_HEADER.message]: rejection.message,
    [DEAD_LETTER_HEADER.sourceId]: where.sourceId,
    [DEAD_LETTER_HEADER.failedAt]: failedAt,
    [DEAD_LETTER_HEADER.attempts]: "1",
    [DEAD_LETTER_HEADER.originTopic]: where.topic,
    [DEAD_LETTER_HEADER.originPartition]: String(where.partition),
    [DEAD_LETTER_HEADER.originOffset]: message.offset,
    [DEAD_LETTER_HEADER.origin]: JSON.stringify({
      topic: where.topic,
      partition: where.partition,
      offset: message.offset,
      timestamp: message.timestamp,
    }),
  });
  return { key: message.key, value: message.value, headers };
}
