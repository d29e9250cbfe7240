import { QiError, silentLogger } from "@qicore/core";
import { sampleRecords } from "@qicore/core/testing";
import { describe, expect, it } from "vitest";
import { requireKafkaBrokers } from "../../../../test/services";
import { PRODUCER_LIBRARIES } from "../../test-support/libraries";
import { kafkaFailure } from "../errors";
import { createRedpandaTarget, parseRedpandaTargetConfig } from "../target";
import { createClient } from "./create";

/** What a rejected promise was rejected with. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (thrown: unknown) => thrown,
  );
}

describe.each(PRODUCER_LIBRARIES)("how producing through %s fails", (library) => {
  it("reports an unreachable cluster as a retryable NETWORK error", async () => {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const config = parseRedpandaTargetConfig({
      brokers: "127.0.0.1:1",
      retries: 1,
      connectionTimeoutMs: 500,
    });
    const client = createClient({ ...config, library }, silentLogger);
    const producer = client.producer({ idempotent: true, acks: -1, compression: "lz4", ackTimeoutMs: 1000 });
    const error = kafkaFailure(await rejection(producer.connect()), "connect");
    await producer.disconnect().catch(() => undefined);
    expect(error.category).toBe("NETWORK");
    expect(error.retryable).toBe(true);
  });

  it("refuses, by index and for good, the records of a request the broker refuses as too large; the next write goes through", async () => {
    const target = createRedpandaTarget({
      brokers: requireKafkaBrokers(),
      topicPrefix: `test.library-${library}.${Date.now().toString(36)}.`,
      library,
      // Past the adapter's own size check, so the broker (message.max.bytes ≈ 1 MiB) is the one to refuse.
      maxMessageBytes: 4_000_000,
      compression: "none",
    });
    const [record] = await sampleRecords("price", 1);
    const outcome = await target.write("price", [{ ...record, attribution: "x".repeat(1_500_000) } as never]);
    const failure = outcome.failures?.[0];
    expect(outcome.failures).toHaveLength(1);
    expect(failure?.index).toBe(0);
    expect(QiError.isInstance(failure?.error)).toBe(true);
    expect(failure?.error.retryable).toBe(false);
    expect(failure?.error.context.kafkaError).toBe("MESSAGE_TOO_LARGE");
    // The refused request is dropped, not sent again: the next write goes out (on a new producer).
    expect(await target.write("price", [record as never])).toEqual({});
    await target.disconnect();
  });
});
