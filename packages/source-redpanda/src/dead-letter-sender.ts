import { DEAD_LETTER_HEADER, isTooLarge } from "@qicore/kafka-common";
import type { HeaderValue, OutgoingMessage } from "./client/types";

/** Kafka's default max.message.bytes, assumed where the topic's own is unknown. */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
/** Room left for the record batch's and each record's framing. */
const FRAMING_BYTES = 1024;
/** What a bounded copy keeps of the value. */
const PREVIEW_BYTES = 64 * 1024;
/** What a bounded copy keeps of a key. */
const KEY_BYTES = 1024;
/** No broker refuses a message this small: below it, a refusal is not about size. */
const MIN_BUDGET_BYTES = 4096;

/**
 * Sends refused messages to the dead-letter topic so that none can block its partition: a
 * message that does not fit the topic's `max.message.bytes` goes as a bounded copy (see
 * boundedCopy) instead of failing the send, and messages go in sends that each fit.
 */
export class DeadLetterSender {
  constructor(
    private readonly send: (messages: readonly OutgoingMessage[]) => Promise<void>,
    /** The dead-letter topic's max.message.bytes. */
    private readonly limitBytes: () => number,
  ) {}

  async deliver(messages: readonly OutgoingMessage[]): Promise<{ bounded: number }> {
    const budget = Math.max(MIN_BUDGET_BYTES, this.limitBytes() - FRAMING_BYTES);
    let bounded = 0;
    const fitted = messages.map((message) => {
      if (sizeOf(message) <= budget) return message;
      bounded++;
      return boundedCopy(message, budget);
    });
    // Every message of one partition goes in one record batch, which must fit the limit too.
    let chunk: OutgoingMessage[] = [];
    let chunkBytes = 0;
    for (const message of fitted) {
      const size = sizeOf(message);
      if (chunk.length > 0 && chunkBytes + size > budget) {
        bounded += await this.sendFitting(chunk, budget);
        chunk = [];
        chunkBytes = 0;
      }
      chunk.push(message);
      chunkBytes += size;
    }
    if (chunk.length > 0) bounded += await this.sendFitting(chunk, budget);
    return { bounded };
  }

  /**
   * Sends, and if the brokers still say too large (headers larger than counted, a limit lower
   * than the topic reported), sends each message alone, as smaller and smaller bounded copies
   * where it must. The producer is not idempotent, so this cannot be mistaken for a duplicate.
   */
  private async sendFitting(messages: readonly OutgoingMessage[], budget: number): Promise<number> {
    try {
      await this.send(messages);
      return 0;
    } catch (thrown) {
      if (!isTooLarge(thrown)) throw thrown;
    }
    let bounded = 0;
    for (const message of messages) {
      let attempt = message;
      for (let smaller = Math.floor(budget / 4); ; smaller = Math.floor(smaller / 4)) {
        try {
          await this.send([attempt]);
          break;
        } catch (thrown) {
          if (!isTooLarge(thrown) || smaller < MIN_BUDGET_BYTES) throw thrown;
        }
        if (attempt === message) bounded++;
        attempt = boundedCopy(message, smaller);
      }
    }
    return bounded;
  }
}

/** Bytes a message takes before compression: key, value, header names and values. */
export function sizeOf(message: OutgoingMessage): number {
  let size = byteLength(message.key) + (message.value?.length ?? 0);
  for (const [name, value] of Object.entries(message.headers)) size += name.length + byteLength(value);
  return size;
}

/**
 * A dead letter that fits `budget` bytes: the reason and origin headers, the original key,
 * the first bytes of the value, and headers saying what was cut and how large it was. The
 * original headers are kept unless they alone are too large. Enough to find the message at
 * its origin (topic, partition, offset) and see why it was refused, which is what a dead
 * letter is for; the message itself stays in its topic for the topic's retention.
 */
export function boundedCopy(message: OutgoingMessage, budget: number): OutgoingMessage {
  const own: Record<string, HeaderValue> = {};
  const original: Record<string, HeaderValue> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (name.startsWith("qicore-dead-letter-") || name.startsWith("qicore-origin")) own[name] = value;
    else original[name] = value;
  }
  const cut: string[] = ["value"];
  const originalHeaderBytes = Object.entries(original).reduce(
    (sum, [name, value]) => sum + name.length + byteLength(value),
    0,
  );
  const keepHeaders = originalHeaderBytes <= Math.floor(budget / 8);
  if (!keepHeaders) cut.push("headers");
  let key = message.key;
  if (byteLength(key) > KEY_BYTES) {
    key = (typeof key === "string" ? Buffer.from(key) : (key as Buffer)).subarray(0, KEY_BYTES);
    cut.push("key");
  }
  const valueBytes = message.value?.length ?? 0;
  const headers: Record<string, HeaderValue> = {
    ...(keepHeaders ? original : {}),
    ...own,
    [DEAD_LETTER_HEADER.truncated]: cut.join(","),
    [DEAD_LETTER_HEADER.originalBytes]: String(valueBytes),
  };
  const room =
    budget -
    byteLength(key) -
    Object.entries(headers).reduce((sum, [n, v]) => sum + n.length + byteLength(v), 0);
  const keep = Math.max(0, Math.min(PREVIEW_BYTES, room));
  return { key, value: message.value ? message.value.subarray(0, keep) : null, headers };
}

function byteLength(value: HeaderValue | Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === "string" ? Buffer.byteLength(value) : value.length;
}
