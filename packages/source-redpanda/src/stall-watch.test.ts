import { createMemoryLogger } from "@qicore/core/testing";
import { describe, expect, it } from "vitest";
import { StallWatch } from "./stall-watch";

const standing = (partition: number, offset: string, lag: number) => ({
  topic: "prices",
  partition,
  offset,
  lag,
});

describe("StallWatch", () => {
  it("reports a partition whose offset has not moved for the timeout while messages wait, once, and when it moves again", () => {
    const logger = createMemoryLogger();
    const watch = new StallWatch(10_000, logger, "g");
    watch.observe([standing(0, "5", 3), standing(1, "7", 2)], 0);
    expect(watch.observe([standing(0, "5", 3), standing(1, "9", 0)], 9_000)).toEqual([]);
    const stalled = watch.observe([standing(0, "5", 4), standing(1, "9", 0)], 12_000);
    expect(stalled).toEqual([{ topic: "prices", partition: 0, offset: "5", lag: 4, since: 0, seconds: 12 }]);
    watch.observe([standing(0, "5", 4), standing(1, "9", 0)], 20_000);
    const warnings = logger.lines.filter((line) => line.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toBe(
      "partition prices/0 has made no progress for 12 s at offset 5 (4 messages waiting)",
    );
    expect(warnings[0]?.fields).toMatchObject({ topic: "prices", partition: 0, offset: "5", lag: 4 });

    expect(watch.observe([standing(0, "6", 3), standing(1, "9", 0)], 21_000)).toEqual([]);
    expect(watch.stalled).toEqual([]);
    expect(logger.lines.at(-1)).toMatchObject({
      level: "info",
      message: "partition is moving again",
      fields: { partition: 0, offset: "6", stalledSeconds: 21 },
    });
  });

  it("does not report a partition with nothing to read, however long it stays", () => {
    const watch = new StallWatch(1000, createMemoryLogger(), "g");
    watch.observe([standing(0, "5", 0)], 0);
    expect(watch.observe([standing(0, "5", 0)], 60_000)).toEqual([]);
  });

  it("forgets partitions this member no longer holds", () => {
    const watch = new StallWatch(1000, createMemoryLogger(), "g");
    watch.observe([standing(0, "5", 1)], 0);
    watch.observe([], 500);
    // Held again later: the clock starts over.
    expect(watch.observe([standing(0, "5", 1)], 1_200)).toEqual([]);
    expect(watch.observe([standing(0, "5", 1)], 2_300)).toHaveLength(1);
  });
});
