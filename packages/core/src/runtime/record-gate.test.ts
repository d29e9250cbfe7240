import { describe, expect, it } from "vitest";
import { RecordGate } from "./record-gate";

describe("RecordGate", () => {
  it("makes a source wait while the pipeline holds its capacity", async () => {
    const depths: number[] = [];
    const gate = new RecordGate(100, (size) => depths.push(size));
    expect(gate.acquire(60)).toBeUndefined();
    const waiting = gate.acquire(60);
    expect(waiting).toBeInstanceOf(Promise);
    let passed = false;
    void waiting?.then(() => {
      passed = true;
    });
    await Promise.resolve();
    expect(passed).toBe(false);
    gate.release(60);
    await waiting;
    expect(passed).toBe(true);
    expect(gate.size).toBe(60);
    expect(Math.max(...depths)).toBeLessThanOrEqual(100);
  });

  it("lets a batch larger than the capacity through when nothing else is in flight", () => {
    const gate = new RecordGate(10);
    expect(gate.acquire(50)).toBeUndefined();
    expect(gate.size).toBe(50);
  });
});
