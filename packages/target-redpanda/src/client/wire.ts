import type { HeaderValue, TopicMessages } from "./types";

/**
 * A produce request as it crosses from the target's thread to the producer thread: every
 * key and value copied into one buffer (transferred, not cloned, so the hand-over costs one
 * memcpy), headers as a small table of the distinct header sets (the encoder shares one
 * header object between the messages of a kind and source).
 */
export interface WireBatch {
  topics: string[];
  headerSets: [string, HeaderValue][][];
  body: Uint8Array;
  count: number;
}

/** One message read back from a WireBatch; key and value are views into its body. */
export interface WireMessage {
  topic: string;
  key: Buffer | undefined;
  value: Buffer;
  headerSet: number;
}

// Per message: topic index (u16), key length (i32, -1 for none), value length (u32), header set (u32).
const FIXED_BYTES = 2 + 4 + 4 + 4;

export function packBatch(batch: readonly TopicMessages[]): WireBatch {
  const headerIndex = new Map<object, number>();
  const headerSets: [string, HeaderValue][][] = [];
  let size = 0;
  let count = 0;
  for (const { messages } of batch)
    for (const message of messages) {
      size +=
        FIXED_BYTES + message.value.length + (message.key === null ? 0 : Buffer.byteLength(message.key));
      count++;
    }
  const body = Buffer.allocUnsafe(size);
  let offset = 0;
  batch.forEach(({ messages }, topicIndex) => {
    for (const message of messages) {
      let set = headerIndex.get(message.headers);
      if (set === undefined) {
        set = headerSets.length;
        headerIndex.set(message.headers, set);
        headerSets.push(Object.entries(message.headers));
      }
      offset = body.writeUInt16LE(topicIndex, offset);
      if (message.key === null) offset = body.writeInt32LE(-1, offset);
      else {
        const keyBytes = body.write(message.key, offset + 4);
        body.writeInt32LE(keyBytes, offset);
        offset += 4 + keyBytes;
      }
      offset = body.writeUInt32LE(message.value.length, offset);
      offset += message.value.copy(body, offset);
      offset = body.writeUInt32LE(set, offset);
    }
  });
  return { topics: batch.map(({ topic }) => topic), headerSets, body, count };
}

export function* unpackBatch(wire: WireBatch): Generator<WireMessage> {
  const body = Buffer.from(wire.body.buffer, wire.body.byteOffset, wire.body.byteLength);
  let offset = 0;
  for (let index = 0; index < wire.count; index++) {
    const topic = wire.topics[body.readUInt16LE(offset)] as string;
    const keyLength = body.readInt32LE(offset + 2);
    offset += 6;
    let key: Buffer | undefined;
    if (keyLength >= 0) {
      key = body.subarray(offset, offset + keyLength);
      offset += keyLength;
    }
    const valueLength = body.readUInt32LE(offset);
    offset += 4;
    const value = body.subarray(offset, offset + valueLength);
    offset += valueLength;
    const headerSet = body.readUInt32LE(offset);
    offset += 4;
    yield { topic, key, value, headerSet };
  }
}
