/**
 * The CLI knows the adapters a project has installed, not only the built-ins: `validate`'s
 * "unknown type" message, `adapters` and `schema pipeline` (the editor schema `init` writes)
 * all find them, and `init`'s own file validates against that schema.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ADAPTER_CONTRACT_VERSION } from "../adapters/types";
import type { CommandIO } from "./io";
import { main } from "./main";

const zodUrl = pathToFileURL(createRequire(import.meta.url).resolve("zod")).href;
const binary = new URL("./bin.ts", import.meta.url).pathname;
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

function capture(cwd: string): CommandIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    out: (text) => stdout.push(text),
    error: (text) => stderr.push(text),
    env: {},
    cwd,
    stdout,
    stderr,
  };
}

/** Writes an installed package into the project's node_modules: its manifest and an entry that exports a target. */
function installPackage(project: string, name: string, type: string, manifest: Record<string, unknown> = {}) {
  const dir = join(project, "node_modules", ...name.split("/"));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name, version: "1.0.0", type: "module", exports: "./index.mjs", ...manifest }),
  );
  writeFileSync(
    join(dir, "index.mjs"),
    `import { z } from ${JSON.stringify(zodUrl)};
const ADAPTER_CONTRACT_VERSION = ${ADAPTER_CONTRACT_VERSION};
export const adapter = {
  role: "target", name: ${JSON.stringify(type)}, description: "installed for the test",
  contractVersion: ADAPTER_CONTRACT_VERSION, coreVersion: ">=0.0.0",
  configSchema: z.strictObject({ connectionString: z.string().describe("where to write"), interval: z.union([z.string(), z.number()]).optional() }),
  capabilities: { kinds: ["price"] },
  create: () => ({ async write() {} }),
};
`,
  );
}

/** A project with one conventional @qicore package and one third-party package that declares its adapter. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "qicore-installed-"));
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "user-project", dependencies: { "acme-qicore-sqlite": "1.0.0" } }),
  );
  installPackage(dir, "@qicore/target-warehouse", "warehouse");
  installPackage(dir, "acme-qicore-sqlite", "sqlite", { qicore: { adapters: { target: ["sqlite"] } } });
  return dir;
}

const pipelineWith = (type: string) =>
  `name: installed\nsources:\n  - id: gen\n    type: synthetic\n    config: { coins: [bitcoin], count: 1 }\ntargets:\n  - id: db\n    type: ${type}\n    config: { connectionString: x }\n`;

describe("adapters installed in the project", () => {
  it("validate names them, with a did-you-mean, when a type is unknown", async () => {
    const dir = project();
    writeFileSync(join(dir, "pipeline.yaml"), pipelineWith("warehous"));
    const io = capture(dir);
    expect(await main(["validate", "pipeline.yaml"], io)).toBe(2);
    const text = io.stderr.join("\n");
    expect(text).toContain('unknown target type "warehous"; did you mean warehouse?');
    expect(text).toMatch(/Available targets: file, memory, sqlite, warehouse/);
  });

  it("validate loads a declared third-party package by its adapter's type", async () => {
    const dir = project();
    writeFileSync(join(dir, "pipeline.yaml"), pipelineWith("sqlite"));
    const io = capture(dir);
    expect(await main(["validate", "pipeline.yaml"], io), io.stderr.join("\n")).toBe(0);
  });

  it("adapters lists them", async () => {
    const io = capture(project());
    expect(await main(["adapters", "--json"], io)).toBe(0);
    const names = (JSON.parse(io.stdout.join("")) as { role: string; name: string }[])
      .filter((entry) => entry.role === "target")
      .map((entry) => entry.name);
    expect(names).toEqual(expect.arrayContaining(["file", "memory", "sqlite", "warehouse"]));
  });

  it("schema pipeline offers their types and options, and accepts --load", async () => {
    const dir = project();
    writeFileSync(
      join(dir, "extra-source.mjs"),
      `import { z } from ${JSON.stringify(zodUrl)};
const ADAPTER_CONTRACT_VERSION = ${ADAPTER_CONTRACT_VERSION};
export default { role: "source", name: "extra", contractVersion: ADAPTER_CONTRACT_VERSION, coreVersion: ">=0.0.0",
  configSchema: z.strictObject({ symbol: z.string() }), capabilities: { kinds: ["price"] }, create: () => ({ async *read() {} }) };
`,
    );
    const io = capture(dir);
    expect(await main(["schema", "pipeline", "--load", "./extra-source.mjs"], io), io.stderr.join("\n")).toBe(
      0,
    );
    const text = io.stdout.join("");
    expect(text).toContain("#/$defs/target-warehouse-config");
    expect(text).toContain("#/$defs/target-sqlite-config");
    expect(text).toContain("#/$defs/source-extra-config");
  });

  it("schema refuses an argument it does not take instead of ignoring it", async () => {
    const io = capture(project());
    expect(await main(["schema", "pipeline", "extra"], io)).toBe(2);
    expect(io.stderr.join("\n")).toContain('qicore schema: unexpected argument "extra"');
  });

  it("init writes a pipeline that validates against the editor schema it writes beside it (Ajv strict)", async () => {
    const dir = project();
    // init's pipeline names the timescale target: install one under that name.
    installPackage(dir, "@qicore/target-timescale", "timescale");
    const io = capture(dir);
    expect(await main(["init"], io), io.stderr.join("\n")).toBe(0);
    const pipeline = readFileSync(join(dir, "pipeline.yaml"), "utf8");
    expect(pipeline).toContain("# yaml-language-server: $schema=./pipeline.schema.json");
    const schema = JSON.parse(readFileSync(join(dir, "pipeline.schema.json"), "utf8")) as object;
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    expect(validate(parse(pipeline)), JSON.stringify(validate.errors)).toBe(true);
    // ... and the schema does check the installed adapter's options.
    const wrong = parse(pipeline) as { targets: { config: Record<string, unknown> }[] };
    (wrong.targets[0] as { config: Record<string, unknown> }).config = { conectionString: "x" };
    expect(validate(wrong)).toBe(false);
  });
});

describe("a missing pipeline file argument", () => {
  it("says the file is missing and how to make one", async () => {
    const io = capture(mkdtempSync(join(tmpdir(), "qicore-empty-")));
    expect(await main(["validate"], io)).toBe(2);
    expect(io.stderr.join("\n")).toMatch(
      /no pipeline file given, and there is no pipeline\.yaml in .* \(write one with: qicore init\)/,
    );
  });

  it("defaults to ./pipeline.yaml when there is one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "qicore-default-"));
    writeFileSync(
      join(dir, "pipeline.yaml"),
      "name: default-file\nsources:\n  - id: gen\n    type: synthetic\n    config: { coins: [bitcoin], count: 1 }\ntargets:\n  - id: out\n    type: memory\n",
    );
    const io = capture(dir);
    expect(await main(["validate"], io), io.stderr.join("\n")).toBe(0);
    expect(io.stdout.join("\n")).toContain('pipeline.yaml: valid pipeline "default-file"');
  });
});

describe("a broken adapter file", () => {
  it("reports a missing import inside an existing file as that, with the package that is missing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "qicore-broken-"));
    writeFileSync(join(dir, "broken.mjs"), 'import "left-pad-that-is-not-installed";\nexport default {};\n');
    const io = capture(dir);
    expect(await main(["adapters", "--load", "./broken.mjs"], io)).toBe(2);
    const text = io.stderr.join("\n");
    expect(text).toContain("Cannot find package 'left-pad-that-is-not-installed'");
    expect(text).not.toContain("could not be found");
    expect(text).not.toContain("install one");
  });

  it("gives a syntax error's file and line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "qicore-syntax-"));
    writeFileSync(join(dir, "syntax.mjs"), "export const fine = 1;\nexport const broken = ;\n");
    // The real CLI under Node: inside vitest, modules are parsed by vite, not by Node.
    const run = spawnSync(
      process.execPath,
      ["--import", tsxLoader, binary, "adapters", "--load", "./syntax.mjs"],
      {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, VITEST: undefined } as never,
      },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`SyntaxError: Unexpected token ';' (at ${join(dir, "syntax.mjs")}:2)`);
  });
});
