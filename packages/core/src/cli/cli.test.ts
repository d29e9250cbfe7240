import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import type { CommandIO } from "./io";
import { main } from "./main";

function capture(
  cwd: string,
  env: Record<string, string | undefined> = {},
): CommandIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { out: (text) => stdout.push(text), error: (text) => stderr.push(text), env, cwd, stdout, stderr };
}

const folder = () => mkdtempSync(join(tmpdir(), "qicore-cli-"));

describe("qicore validate", () => {
  it("prints all three mistakes with line and column and exits 2", async () => {
    const dir = folder();
    writeFileSync(
      join(dir, "pipeline.yaml"),
      [
        "name: three-mistakes",
        "sources:",
        "  - id: gen",
        "    type: synthetic",
        "    confg: { coins: [bitcoin] }",
        "targets:",
        "  - id: out",
        "    config: { path: out.jsonl }",
        "  - id: db",
        "    type: timescael",
        "",
      ].join("\n"),
    );
    const io = capture(dir);
    const code = await main(["validate", "pipeline.yaml"], io);
    const text = io.stderr.join("\n");
    expect(code).toBe(2);
    expect(text).toMatch(
      /pipeline\.yaml:5:5\b.*sources\[0\]\.confg.*unknown key "confg".*did you mean "?config"?/,
    ); // misspelt key
    expect(text).toMatch(/pipeline\.yaml:7:\d+\b.*targets\[0\]\.type/); // missing required field
    expect(text).toMatch(/pipeline\.yaml:10:11\b.*targets\[1\]\.type.*unknown target type "timescael"/); // unknown adapter
    expect(io.stderr.join("\n")).toMatch(/3 problem\(s\)/);
  });

  it("names an unknown adapter type and lists the available ones", async () => {
    const dir = folder();
    writeFileSync(
      join(dir, "pipeline.yaml"),
      "name: unknown-type\nsources:\n  - id: gen\n    type: synthetic\ntargets:\n  - id: db\n    type: timescael\n",
    );
    const io = capture(dir);
    expect(await main(["validate", "pipeline.yaml"], io)).toBe(2);
    const text = io.stderr.join("\n");
    expect(text).toMatch(/pipeline\.yaml:7:11\b.*unknown target type "timescael"/);
    expect(text).toMatch(/Available targets: .*file.*memory/);
  });

  it("accepts a valid file and exits 0", async () => {
    const dir = folder();
    writeFileSync(
      join(dir, "p.json"),
      JSON.stringify({
        name: "ok",
        sources: [{ id: "g", type: "synthetic" }],
        targets: [{ id: "m", type: "memory" }],
      }),
    );
    const io = capture(dir);
    expect(await main(["validate", "p.json"], io)).toBe(0);
    expect(io.stdout.join("")).toContain('valid pipeline "ok"');
  });
});

describe("qicore schema / adapters / init / help", () => {
  it("prints the SQL DDL, JSON Schemas and topic configs", async () => {
    const io = capture(folder());
    expect(await main(["schema", "sql"], io)).toBe(0);
    expect(io.stdout.join("\n")).toMatch(/CREATE TABLE IF NOT EXISTS .*crypto_prices/);
    const json = capture(folder());
    expect(await main(["schema", "json", "--kind", "price"], json)).toBe(0);
    expect(JSON.parse(json.stdout.join(""))).toMatchObject({ title: expect.stringMatching(/price/i) });
    const topics = capture(folder());
    expect(await main(["schema", "topics"], topics)).toBe(0);
    expect(topics.stdout.join("\n")).toContain("crypto-prices");
    const bad = capture(folder());
    expect(await main(["schema", "json", "--kind", "tick"], bad)).toBe(2);
  });

  it("lists the built-in adapters", async () => {
    const io = capture(folder());
    expect(await main(["adapters", "--json"], io)).toBe(0);
    const names = (JSON.parse(io.stdout.join("")) as { role: string; name: string }[]).map(
      (adapter) => `${adapter.role}:${adapter.name}`,
    );
    expect(names).toEqual(expect.arrayContaining(["source:synthetic", "target:memory", "target:file"]));
  });

  it("writes a starter pipeline that validates once its target is swapped for a built-in", async () => {
    const dir = folder();
    const io = capture(dir);
    expect(await main(["init"], io)).toBe(0);
    expect(await main(["init"], capture(dir))).toBe(2); // refuses to overwrite
    const text = readFileSync(join(dir, "pipeline.yaml"), "utf8")
      .replace("type: timescale", "type: memory")
      .replace(/connectionString: .*/, "store: init");
    writeFileSync(join(dir, "pipeline.yaml"), text);
    expect(await main(["validate", "pipeline.yaml"], capture(dir))).toBe(0);
  });

  it("explains usage errors and exits 2", async () => {
    const io = capture(folder());
    expect(await main(["run"], io)).toBe(2);
    expect(await main(["frobnicate"], capture(folder()))).toBe(2);
    expect(await main(["--bogus"], capture(folder()))).toBe(2);
    const help = capture(folder());
    expect(await main(["--help"], help)).toBe(0);
    expect(help.stdout.join("")).toContain("Exit codes");
  });
});

describe("qicore run", () => {
  const bin = fileURLToPath(new URL("./bin.ts", import.meta.url));
  // The child runs the CLI from source through tsx's loader, named by absolute path (the child's cwd has no node_modules).
  const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

  it("drains on SIGTERM, exits 0, and has acknowledged exactly what was written", async () => {
    const dir = folder();
    writeFileSync(
      join(dir, "pipeline.yaml"),
      [
        "name: sigterm",
        "sources:",
        "  - id: gen",
        "    type: synthetic",
        "    config: { coins: [bitcoin, ethereum], ratePerSecond: 5000, batchSize: 50 }",
        "targets:",
        "  - id: out",
        "    type: file",
        "    config: { path: out.jsonl }",
        "delivery: { batch: { maxRecords: 200, maxWait: 100ms } }",
        "state: { store: file, path: state.json }",
        "",
      ].join("\n"),
    );
    const child = spawn(
      process.execPath,
      ["--import", tsxLoader, bin, "run", "pipeline.yaml", "--summary-json", "--log-level", "info"],
      {
        cwd: dir,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (stderr.includes("pipeline started")) {
          clearInterval(check);
          setTimeout(resolve, 800);
        }
      }, 50);
    });
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code, stderr).toBe(0);
    expect(stderr).toContain("stopping: draining in-flight batches");
    const written = readFileSync(join(dir, "out.jsonl"), "utf8").trim().split("\n").length;
    const state = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as Record<
      string,
      { next: number }
    >;
    const summary = JSON.parse(stdout) as { recordsIn: number; recordsOut: { out: number } };
    expect(written).toBeGreaterThan(0);
    expect(summary.recordsOut.out).toBe(written);
    expect(state["sigterm/gen"]?.next).toBe(written);
  }, 30_000);
});
