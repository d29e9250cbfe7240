import { QiError } from "@qicore/core";
import { sampleRecords } from "@qicore/core/testing";
import { createRedpandaTarget } from "@qicore/target-redpanda";
import { describe, expect, it } from "vitest";
import { requireKafkaBrokers, requireKafkaSasl } from "../../../test/services";
import { createRedpandaSource } from "./source";

const unique = (label: string) => `test.${label}.${Date.now().toString(36)}`;

describe("source-redpanda through a listener that requires SASL", () => {
  it("consumes with SCRAM-SHA-512 what was written, as a group member that commits", async () => {
    const { brokers, username, password } = requireKafkaSasl();
    const prefix = `${unique("sasl-source")}.`;
    const records = await sampleRecords("price", 60);
    const target = createRedpandaTarget({
      brokers: requireKafkaBrokers(),
      topicPrefix: prefix,
      partitions: 3,
    });
    expect(await target.write("price", records)).toEqual({});
    await target.disconnect();

    const source = createRedpandaSource({
      brokers,
      sasl: { mechanism: "scram-sha-512", username, password },
      topics: { price: `${prefix}crypto-prices` },
      groupId: unique("sasl-group"),
    });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 30_000);
    const received: unknown[] = [];
    let lag: number | undefined;
    try {
      for await (const batch of source.read({ signal: controller.signal })) {
        received.push(...batch.records);
        await source.commit(batch.checkpoint);
        if (received.length >= records.length) break;
      }
      lag = (await source.lag()).total;
    } finally {
      clearTimeout(timer);
      await source.disconnect();
    }
    expect(received.map((record) => JSON.stringify(record)).sort()).toEqual(
      records.map((record) => JSON.stringify(record)).sort(),
    );
    // The commits went through the SASL connection: nothing is left behind for the group.
    expect(lag).toBe(0);
  });

  it("fails a wrong password as a permanent SECURITY error, without the password in it", async () => {
    const { brokers, username } = requireKafkaSasl();
    const password = "wrong-password-0815";
    const source = createRedpandaSource({
      brokers,
      sasl: { mechanism: "plain", username, password },
      topics: { price: `${unique("sasl-refused")}.crypto-prices` },
      groupId: unique("sasl-refused-group"),
      retries: 1,
    });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 30_000);
    let thrown: unknown;
    try {
      for await (const _batch of source.read({ signal: controller.signal })) break;
    } catch (error) {
      thrown = error;
    } finally {
      clearTimeout(timer);
      await source.disconnect().catch(() => undefined);
    }
    expect(QiError.isInstance(thrown)).toBe(true);
    const error = thrown as QiError;
    expect(error.category).toBe("SECURITY");
    expect(error.retryable).toBe(false);
    expect(JSON.stringify({ message: error.message, context: error.context })).not.toContain(password);
  });
});
