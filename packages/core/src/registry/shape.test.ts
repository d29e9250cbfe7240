import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ADAPTER_CONTRACT_VERSION } from "../adapters/types";
import { adapterShapeProblems } from "./shape";

const target = {
  role: "target",
  name: "readable",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: z.object({}),
  capabilities: { kinds: ["price"] },
  create: () => ({ write: async () => {} }),
};

describe("adapter shape: the reader capability", () => {
  it("accepts a target with openReader, and one without", () => {
    expect(adapterShapeProblems({ ...target, openReader: () => ({}) })).toEqual([]);
    expect(adapterShapeProblems(target)).toEqual([]);
  });

  it("refuses an openReader that is not a function, or on a source", () => {
    const problem = "openReader, when present, must be a function of a target";
    expect(adapterShapeProblems({ ...target, openReader: "yes" })).toContain(problem);
    expect(adapterShapeProblems({ ...target, role: "source", openReader: () => ({}) })).toContain(problem);
  });
});
