import { QiError, silentLogger } from "@qicore/core";
import { sampleRecords } from "@qicore/core/testing";
import { describe, expect, it } from "vitest";
import { requireKafkaBrokers, requireKafkaSasl, requireKcat } from "../../../../test/services";
import { kcatConsume } from "../../test-support/kcat";
import { PRODUCER_LIBRARIES } from "../../test-support/libraries";
import { kafkaFailure } from "../errors";
import { createRedpandaTarget, parseRedpandaTargetConfig } from "../target";
import { createClient } from "./create";

const MECHANISMS = ["plain", "scram-sha-256", "scram-sha-512"] as const;

describe.each(PRODUCER_LIBRARIES)("SASL authentication when producing through %s", (library) => {
  for (const mechanism of MECHANISMS)
    it(`writes through a listener that requires SASL ${mechanism}`, async () => {
      const { brokers, username, password } = requireKafkaSasl();
      const prefix = `test.sasl-${library}-${mechanism}.${Date.now().toString(36)}.`;
      const target = createRedpandaTarget({
        brokers,
        sasl: { mechanism, username, password },
        topicPrefix: prefix,
        library,
      });
      const records = await sampleRecords("price", 50);
      expect(await target.write("price", records)).toEqual({});
      await target.disconnect();
      // Read back through the plaintext listener of the same broker.
      const stored = kcatConsume(requireKcat(), requireKafkaBrokers(), `${prefix}crypto-prices`);
      expect(stored.map((message) => message.payload).sort()).toEqual(
        records.map((record) => JSON.stringify(record)).sort(),
      );
    });

  it("reports a wrong password as a permanent SECURITY error that does not print the password", async () => {
    const { brokers, username } = requireKafkaSasl();
    const password = "not-the-password-4711";
    const config = parseRedpandaTargetConfig({
      brokers,
      sasl: { mechanism: "scram-sha-512", username, password },
      retries: 2,
      connectionTimeoutMs: 2000,
    });
    const client = createClient({ ...config, library }, silentLogger);
    const producer = client.producer({ idempotent: true, acks: -1, compression: "lz4", ackTimeoutMs: 5000 });
    const thrown = await producer.connect().then(
      () => undefined,
      (error: unknown) => error,
    );
    await producer.disconnect().catch(() => undefined);
    expect(thrown).toBeDefined();
    const error = kafkaFailure(thrown, "connect");
    expect(QiError.isInstance(error)).toBe(true);
    expect(error.category).toBe("SECURITY");
    expect(error.retryable).toBe(false);
    expect(JSON.stringify({ message: error.message, context: error.context })).not.toContain(password);
  });
});
