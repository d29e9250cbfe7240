import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineTarget } from "../adapters/define";
import { ADAPTER_CONTRACT_VERSION } from "../adapters/types";
import { createRegistry, defaultRegistry } from "./registry";
import { coreSatisfies } from "./shape";

const target = defineTarget({
  name: "sink",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: z.object({}),
  capabilities: { kinds: ["price"] },
  create: () => ({ write: async () => undefined }),
});

/** Writes an installed package `name` into `<dir>/node_modules` whose entry exports `source`. */
function installPackage(dir: string, name: string, body: string): void {
  const folder = join(dir, "node_modules", ...name.split("/"));
  mkdirSync(join(folder, "dist"), { recursive: true });
  writeFileSync(
    join(folder, "package.json"),
    JSON.stringify({
      name,
      type: "module",
      exports: { ".": { types: "./dist/index.d.ts", import: "./dist/index.js" } },
    }),
  );
  writeFileSync(join(folder, "dist", "index.js"), body);
}

const adapterModule = (name: string, extra = "") => `
import { z } from "zod";
export const source = {
  role: "source", name: "${name}", contractVersion: ${ADAPTER_CONTRACT_VERSION}, coreVersion: "^0.1.0",
  configSchema: z.object({}), capabilities: { kinds: ["price"] },
  create: () => ({ async *read() {} }),
  ${extra}
};
`;

describe("AdapterRegistry", () => {
  it("knows the built-ins and explicitly registered adapters, without globals", () => {
    const registry = createRegistry(target);
    expect(registry.get("target", "sink")).toBe(target);
    expect(registry.list().map((adapter) => `${adapter.role}:${adapter.name}`)).toEqual([
      "processor:candles",
      "processor:consolidate",
      "processor:dedupe",
      "processor:filter",
      "processor:quarantine",
      "processor:resample",
      "processor:select",
      "source:synthetic",
      "target:file",
      "target:memory",
      "target:sink",
    ]);
    expect(defaultRegistry().get("target", "sink")).toBeUndefined();
  });

  it("refuses a second, different adapter under a taken name", () => {
    const registry = createRegistry(target);
    expect(registry.register(target).ok).toBe(true); // the same definition again is harmless
    const impostor = { ...target, create: () => ({ write: async () => undefined }) };
    const result = registry.register(impostor);
    expect(result.ok ? "" : result.error.message).toMatch(/a target named "sink" is already registered/);
  });

  it("shape-checks adapters and says what is wrong", () => {
    const registry = createRegistry();
    const broken = registry.register({
      ...target,
      name: "Bad Name",
      capabilities: { kinds: ["tick"] },
    } as never);
    expect(broken.ok).toBe(false);
    if (!broken.ok) {
      expect(broken.error.code).toBe("ADAPTER_INVALID");
      expect(broken.error.message).toMatch(/name must be a lowercase name/);
      expect(broken.error.message).toMatch(/unknown kinds tick/);
    }
  });

  it("refuses adapters built for another contract or core version", () => {
    const registry = createRegistry();
    const oldContract = registry.register({ ...target, contractVersion: 99 });
    expect(oldContract.ok ? "" : oldContract.error.message).toMatch(/contract v99, this core implements v1/);
    const futureCore = registry.register({ ...target, coreVersion: "^7.0.0" });
    expect(futureCore.ok ? "" : futureCore.error.code).toBe("ADAPTER_INCOMPATIBLE");
    expect(futureCore.ok ? "" : futureCore.error.message).toMatch(
      /supports @qicore\/core \^7\.0\.0, but 0\.1\.0 is installed/,
    );
  });

  it("keeps an adapter built for ^0.1.0 working on later 0.x cores, not on 1.0", () => {
    expect(coreSatisfies("^0.1.0", "0.1.7")).toBe(true);
    expect(coreSatisfies("^0.1.0", "0.2.0")).toBe(true);
    expect(coreSatisfies("^0.1.0", "0.9.3")).toBe(true);
    expect(coreSatisfies("^0.1.0", "1.0.0")).toBe(false);
    expect(coreSatisfies("^0.3.0", "0.2.0")).toBe(false);
    expect(coreSatisfies("^1.2.0", "1.9.0")).toBe(true);
    expect(coreSatisfies("^1.2.0", "2.0.0")).toBe(false);
  });

  it("loads a third-party adapter by package name from the pipeline's folder", async () => {
    const dir = mkdtempSync(join(tmpdir(), "qicore-registry-"));
    // The package imports zod from the project: link the workspace's copy into the temp project.
    installPackage(dir, "zod", `export * from "${import.meta.resolve("zod")}";`);
    installPackage(dir, "@acme/qicore-source-ticks", adapterModule("ticks"));
    const registry = createRegistry();
    const result = await registry.resolve("source", "@acme/qicore-source-ticks", { baseDir: dir });
    expect(result.ok ? result.value.name : result.error.message).toBe("ticks");
    expect(registry.get("source", "@acme/qicore-source-ticks")?.name).toBe("ticks");
  });

  it("explains a package that is not installed, and a module that exports no adapter", async () => {
    const dir = mkdtempSync(join(tmpdir(), "qicore-registry-"));
    const registry = createRegistry();
    const missing = await registry.resolve("source", "@acme/not-installed", { baseDir: dir });
    expect(missing.ok ? "" : missing.error.message).toMatch(
      /could not be found\. Available sources: synthetic/,
    );
    writeFileSync(join(dir, "not-an-adapter.mjs"), "export const answer = 42;\n");
    const wrong = await registry.resolve("source", "./not-an-adapter.mjs", { baseDir: dir });
    expect(wrong.ok ? "" : wrong.error.code).toBe("ADAPTER_INVALID");
    expect(wrong.ok ? "" : wrong.error.message).toMatch(/is not a QiCore adapter/);
  });

  it("names the wrong role when a module exports a target where a source is wanted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "qicore-registry-"));
    installPackage(dir, "zod", `export * from "${import.meta.resolve("zod")}";`);
    writeFileSync(join(dir, "package.json"), '{"type":"module"}');
    writeFileSync(join(dir, "sink.mjs"), adapterModule("sinky").replace('role: "source"', 'role: "target"'));
    const registry = createRegistry();
    const result = await registry.resolve("source", "./sink.mjs", { baseDir: dir });
    expect(result.ok ? "" : result.error.message).toMatch(/target "sinky"/);
  });

  it("lists the available adapters when a type is unknown", async () => {
    const registry = createRegistry(target);
    // A project with nothing installed: what is listed is what the registry knows.
    const result = await registry.resolve("target", "timescael", {
      baseDir: mkdtempSync(join(tmpdir(), "qicore-empty-")),
    });
    expect(result.ok ? "" : result.error.message).toMatch(
      /unknown target type "timescael"\. Available targets: file, memory, sink/,
    );
  });
});
