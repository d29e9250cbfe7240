/**
 * kcat (Debian's librdkafka command-line client) for cross-client checks: a non-JavaScript
 * client reads what the target wrote and writes what the source must read.
 */
import { execFileSync } from "node:child_process";

export interface KcatMessage {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
  headers: Record<string, string>;
}

interface KcatJson {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
  headers?: string[];
}

/** Every message of a topic, from the beginning to the current end of each partition. */
export function kcatConsume(kcat: string, brokers: string, topic: string): KcatMessage[] {
  const output = execFileSync(kcat, ["-C", "-b", brokers, "-t", topic, "-o", "beginning", "-e", "-J", "-q"], {
    encoding: "utf8",
    maxBuffer: 512 * 1024 * 1024,
    timeout: 60_000,
  });
  return output
    .split("\n")
    .filter((line) => line.trim().length > 0)
    .map((line) => {
      const parsed = JSON.parse(line) as KcatJson;
      const headers: Record<string, string> = {};
      const list = parsed.headers ?? [];
      for (let index = 0; index + 1 < list.length; index += 2)
        headers[list[index] as string] = list[index + 1] as string;
      return {
        topic: parsed.topic,
        partition: parsed.partition,
        offset: parsed.offset,
        key: parsed.key,
        payload: parsed.payload,
        headers,
      };
    });
}

export interface KcatProduceOptions {
  /** librdkafka codec: none, gzip, snappy, lz4, zstd. */
  compression?: string;
  /** Headers every message of this call carries, `name=value`. */
  headers?: Record<string, string>;
}

/**
 * Produces keyed messages with the Java-compatible murmur2 partitioner (as kafkajs and
 * the Java client), one message per line: key, a tab, the value.
 */
export function kcatProduce(
  kcat: string,
  brokers: string,
  topic: string,
  messages: readonly { key: string; value: string }[],
  options: KcatProduceOptions = {},
): void {
  const input = messages
    .map((message) => {
      if (/[\t\n]/.test(message.key) || message.value.includes("\n"))
        throw new Error("kcatProduce: keys may not hold tabs or newlines, values no newlines");
      return `${message.key}\t${message.value}`;
    })
    .join("\n");
  const headerArguments = Object.entries(options.headers ?? {}).flatMap(([name, value]) => [
    "-H",
    `${name}=${value}`,
  ]);
  execFileSync(
    kcat,
    [
      "-P",
      "-b",
      brokers,
      "-t",
      topic,
      "-K",
      "\t",
      "-X",
      "topic.partitioner=murmur2_random",
      "-z",
      options.compression ?? "none",
      ...headerArguments,
    ],
    { input: `${input}\n`, timeout: 60_000 },
  );
}
