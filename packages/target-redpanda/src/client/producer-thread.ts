/**
 * The producer thread: a @platformatic/kafka producer fed by the target's thread through
 * a MessagePort. Record encoding into Kafka's wire format is the costly half of producing;
 * here it runs beside the pipeline instead of competing with it for one core.
 */
import { parentPort, workerData } from "node:worker_threads";
import {
  type CompressionAlgorithmValue,
  type MessageToProduce,
  murmur2,
  Producer,
  type ProducerOptions,
} from "@platformatic/kafka";
// Types only: the thread loads no more than @platformatic/kafka (and, from the TypeScript
// sources, it could not resolve a workspace package's source entry).
import type { PlatformaticConnectionOptions } from "@qicore/kafka-common";
import type { Compression, HeaderValue, ProducerSettings } from "./types";
import { unpackBatch, type WireBatch } from "./wire";

/** What the target's thread asks. */
export type ThreadRequest =
  | { id: number; type: "connect" }
  | { id: number; type: "send"; batch: WireBatch }
  | { id: number; type: "close" };

/** A failure as it crosses back: what the error mapping reads of a kafkajs error. */
export interface ThreadError {
  name: string;
  message: string;
  type?: string;
  retriable?: boolean;
}

export type ThreadReply = { id: number; error?: ThreadError };

export interface ThreadSetup {
  /** The connection block as @platformatic/kafka's options, built on the target's thread. */
  connection: PlatformaticConnectionOptions;
  /** The connection block's `retries`. */
  retries: number;
  settings: ProducerSettings;
}

type Headers = Map<Buffer, Buffer>;
type Message = MessageToProduce<Buffer | undefined, Buffer, Buffer, Buffer>;

const COMPRESSION: Record<Compression, CompressionAlgorithmValue> = {
  none: "none",
  gzip: "gzip",
  snappy: "snappy",
  lz4: "lz4",
  zstd: "zstd",
};

/** Java-compatible murmur2 for keyed messages, round robin for keyless ones (as kafkajs' default). */
function javaCompatiblePartitioner(): (message: Message, key: Buffer | undefined) => number {
  let next = 0;
  return (_message, key) => (key ? murmur2(key) & 0x7fffffff : next++ & 0x7fffffff);
}

export function producerOptions({
  connection,
  retries,
  settings,
}: ThreadSetup): ProducerOptions<Buffer | undefined, Buffer, Buffer, Buffer> {
  return {
    ...connection,
    // The broker's wait for the acknowledgements `acks` asks for (the produce request's timeout).
    timeout: settings.ackTimeoutMs,
    // The library turns 0 or 1 retries of an idempotent producer into retrying forever;
    // two keeps a dead cluster failing the write, and the pipeline's delivery.retry waits
    // the outage out (one owner for retries, reported by readiness).
    retries: settings.idempotent ? Math.max(2, retries) : retries,
    retryDelay: 300,
    idempotent: settings.idempotent,
    acks: settings.acks,
    compression: COMPRESSION[settings.compression],
    partitioner: javaCompatiblePartitioner(),
    autocreateTopics: false,
  };
}

const asBuffer = (value: HeaderValue | Uint8Array): Buffer =>
  typeof value === "string"
    ? Buffer.from(value)
    : Buffer.from(value.buffer, value.byteOffset, value.byteLength);

/** The batch as the library's messages; messages of one header set share one header map. */
export function toMessages(batch: WireBatch): Message[] {
  const headerMaps: Headers[] = batch.headerSets.map(
    (set) => new Map(set.map(([name, value]) => [Buffer.from(name), asBuffer(value)])),
  );
  const messages: Message[] = new Array(batch.count);
  let index = 0;
  for (const message of unpackBatch(batch))
    messages[index++] = {
      topic: message.topic,
      key: message.key,
      value: message.value,
      headers: headerMaps[message.headerSet],
    };
  return messages;
}

interface PlatformaticError {
  message?: string;
  code?: string;
  apiId?: string;
  canRetry?: boolean;
  errors?: unknown[];
  cause?: unknown;
}

/**
 * A @platformatic/kafka failure (its MultipleErrors nest the attempts and their causes)
 * reshaped as the error mapping reads kafkajs errors: `type` is Kafka's error name, connection
 * trouble is named like kafkajs' connection errors, the message is the deepest one's.
 */
export function threadError(thrown: unknown): ThreadError {
  let current = thrown as PlatformaticError | undefined;
  let message = current?.message ?? String(thrown);
  let type: string | undefined;
  let connection = false;
  let retriable: boolean | undefined;
  for (let depth = 0; depth < 8 && current && typeof current === "object"; depth++) {
    if (current.message) message = current.message;
    type ??= current.apiId;
    if (current.code === "PLT_KFK_AUTHENTICATION") type ??= "SASL_AUTHENTICATION_FAILED";
    if (current.code === "PLT_KFK_NETWORK" || current.code === "PLT_KFK_TIMEOUT") connection = true;
    if (current.canRetry !== undefined) retriable = current.canRetry;
    current = (current.errors?.at(-1) ?? current.cause) as PlatformaticError | undefined;
  }
  return {
    name: connection ? "KafkaJSConnectionError" : "KafkaError",
    message,
    ...(type ? { type } : {}),
    ...(retriable !== undefined ? { retriable } : {}),
  };
}

function serve(): void {
  const port = parentPort;
  if (!port) return;
  const producer = new Producer(producerOptions(workerData as ThreadSetup));
  const answer = (id: number, work: Promise<unknown>) =>
    work.then(
      () => port.postMessage({ id } satisfies ThreadReply),
      (thrown: unknown) => port.postMessage({ id, error: threadError(thrown) } satisfies ThreadReply),
    );
  port.on("message", (request: ThreadRequest) => {
    if (request.type === "send")
      void answer(request.id, producer.send({ messages: toMessages(request.batch) }));
    // Connections open on first use; asking for metadata now makes an unreachable cluster fail here.
    else if (request.type === "connect") void answer(request.id, producer.metadata({ topics: [] }));
    else void answer(request.id, producer.close()).finally(() => port.close());
  });
}

serve();
