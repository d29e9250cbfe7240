import { describe, expect, it } from "vitest";
import { readOnce, recordsOf, startHarness } from "./test-support/harness";

describe("smoke", () => {
  it("reads", async () => {
    const harness = await startHarness({
      config: {
        coins: ["bitcoin", "ethereum"],
        once: true,
        callsPerMinute: 1000,
        streams: {
          prices: true,
          ohlcv: { days: 1 },
          analytics: true,
          history: { from: new Date(Date.now() - 200 * 86400000).toISOString().slice(0, 10) },
        },
      },
    });
    try {
      await harness.handlers.connect?.();
      const batches = await readOnce(harness.handlers);
      console.log(batches.map((b) => [b.kind, b.records.length, JSON.stringify(b.origin)]));
      console.log(
        recordsOf(batches, "price")[0],
        recordsOf(batches, "ohlcv").slice(-2),
        recordsOf(batches, "analytics"),
      );
      console.log(harness.server.requests.map((r) => `${r.path} ${r.status}`));
      console.log(harness.logger.lines);
      const again = await readOnce(harness.handlers, batches.at(-1)?.checkpoint);
      console.log(again.map((b) => [b.kind, b.records.length]));
      expect(batches.length).toBeGreaterThan(0);
    } finally {
      await harness.close();
    }
  });
});
