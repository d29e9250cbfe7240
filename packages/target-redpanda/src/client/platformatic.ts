import { Worker } from "node:worker_threads";
import zlib from "node:zlib";
import type { Logger } from "@qicore/core/adapter";
import { type ConnectionConfig, platformaticConnectionOptions } from "@qicore/kafka-common";
import { createKafkajsClient } from "./kafkajs";
import type { ThreadError, ThreadReply, ThreadRequest, ThreadSetup } from "./producer-thread";
import type { KafkaClient, KafkaProducer, ProducerSettings, TopicMessages } from "./types";
import { packBatch } from "./wire";

/** zstd needs zlib's zstd bindings (Node 22.15+); on older runtimes kafkajs' zstd codec is used. */
export const platformaticSupportsZstd =
  typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === "function";

/**
 * The seam's producer implemented with @platformatic/kafka 1.x running on a thread of its
 * own (see producer-thread.ts): its record encoding costs a fraction of kafkajs', and on
 * its own thread it does not compete with the pipeline for a core. Topic administration
 * stays with kafkajs: it is off the hot path and its behaviour on KRaft brokers is what
 * the topic checks were written against.
 */
export function createPlatformaticClient(connection: ConnectionConfig, logger: Logger): KafkaClient {
  const kafkajs = createKafkajsClient(connection, logger);
  let warnedZstd = false;
  return {
    producer: (settings) => {
      if (settings.compression === "zstd" && !platformaticSupportsZstd) {
        if (!warnedZstd)
          logger.info(
            "target-redpanda: zstd needs Node 22.15 or later with library 'platformatic'; producing through kafkajs instead",
          );
        warnedZstd = true;
        return kafkajs.producer(settings);
      }
      return new ThreadedProducer(threadSetup(connection, settings));
    },
    admin: () => kafkajs.admin(),
  };
}

/**
 * What the thread is told, as plain data: @platformatic/kafka's connection options are built
 * here, as fresh objects, because other libraries hang functions on the objects they are given
 * (kafkajs does on `sasl`), and a function cannot cross to a thread.
 */
export function threadSetup(connection: ConnectionConfig, settings: ProducerSettings): ThreadSetup {
  return {
    connection: platformaticConnectionOptions(connection),
    retries: connection.retries,
    settings: { ...settings },
  };
}

/**
 * Starts the producer thread: the built script beside this file, or, when running from the
 * TypeScript sources (this repository's tests), the .ts file through tsx's loader.
 */
export function startThread(setup: ThreadSetup): Worker {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return new Worker(new URL("./producer-thread.js", here), { workerData: setup });
  const script = new URL("./producer-thread.ts", here).href;
  const boot = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(script)}); })`;
  return new Worker(boot, { eval: true, workerData: setup });
}

/** The producer as the pipeline's thread sees it: requests to the producer thread, answered by id. */
export class ThreadedProducer implements KafkaProducer {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

  /** `startWorker` starts a thread; tests pass one that keeps a handle on it. */
  constructor(
    private readonly setup: ThreadSetup,
    private readonly startWorker: (setup: ThreadSetup) => Worker = startThread,
  ) {}

  connect(): Promise<void> {
    return this.request({ id: 0, type: "connect" });
  }

  async disconnect(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    try {
      await this.request({ id: 0, type: "close" });
    } finally {
      this.worker = undefined;
      await worker.terminate();
    }
  }

  send(batch: readonly TopicMessages[]): Promise<void> {
    const wire = packBatch(batch);
    return this.request({ id: 0, type: "send", batch: wire }, [wire.body.buffer as ArrayBuffer]);
  }

  private request(request: ThreadRequest, transfer: ArrayBuffer[] = []): Promise<void> {
    const worker = this.start();
    const id = ++this.nextId;
    // Referenced while it has work in hand: an awaited write keeps the process alive.
    if (this.pending.size === 0) worker.ref();
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id }, transfer);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = this.startWorker(this.setup);
    worker.on("message", (reply: ThreadReply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.error) waiting.reject(asError(reply.error));
      else waiting.resolve();
    });
    // A thread that dies (out of memory, a bug) fails what it had in hand; the next request starts another.
    const failAll = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const [id, waiting] of this.pending) {
        this.pending.delete(id);
        waiting.reject(error);
      }
    };
    worker.on("error", failAll);
    worker.on("exit", (code) => failAll(new Error(`the producer thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }
}

function asError(shape: ThreadError): Error {
  return Object.assign(new Error(shape.message), shape);
}
