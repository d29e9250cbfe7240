#!/usr/bin/env node
// Packs every package the way `npm publish` would, installs the tarballs into an empty
// temporary project with npm, and checks there that each one imports, that its types
// compile, and that the `qicore` binary runs: what `npm install @qicore/...` gives users.
// Then a newcomer's project: `npm init` (CommonJS, the default), the core's tarball, and a
// third-party adapter written from docs/writing-an-adapter.md (./newcomer): it loads by path,
// validates against the editor schema and passes the conformance suite.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "qicore-pack-"));
const tarballs = join(work, "tarballs");
const project = join(work, "project");
const run = (command, args, cwd) =>
  execFileSync(command, args, { cwd, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });

const packages = readdirSync(join(root, "packages"))
  .map((folder) => join(root, "packages", folder))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) }))
  .filter(({ manifest }) => !manifest.private);

console.log(`packing ${packages.map(({ manifest }) => manifest.name).join(", ")}`);
const files = packages.map(({ dir }) => {
  const output = run("pnpm", ["pack", "--pack-destination", tarballs], dir).trim().split("\n");
  return output[output.length - 1].trim();
});

run("mkdir", ["-p", project]);
writeFileSync(
  join(project, "package.json"),
  JSON.stringify({ name: "pack-check", private: true, type: "module" }),
);
console.log("installing the tarballs into an empty project with npm");
run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...files], project);

const imports = packages.map(({ manifest }, index) => `import * as package${index} from "${manifest.name}";`);
writeFileSync(
  join(project, "check.ts"),
  `${imports.join("\n")}
import { ok, type Result, type CryptoPrice } from "@qicore/core";
import { testTarget } from "@qicore/core/testing";
const result: Result<number> = ok(1);
const price: Pick<CryptoPrice, "usdPrice"> = { usdPrice: "1.5" };
console.log(result.ok, price.usdPrice, typeof testTarget, ${packages.map((_, index) => `Object.keys(package${index}).length`).join(", ")});
`,
);
writeFileSync(
  join(project, "tsconfig.json"),
  JSON.stringify({
    compilerOptions: {
      strict: true,
      module: "NodeNext",
      moduleResolution: "NodeNext",
      target: "ES2022",
      noEmit: true,
      skipLibCheck: false,
      types: [],
    },
    files: ["check.ts"],
  }),
);
console.log("type-checking imports of every package (skipLibCheck off)");
run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], project);

writeFileSync(
  join(project, "check.mjs"),
  `${imports.join("\n")}\nconsole.log("imported ${packages.length} packages");\n`,
);
console.log(run(process.execPath, ["check.mjs"], project).trim());
console.log(
  `qicore --version: ${run(join(project, "node_modules/.bin/qicore"), ["--version"], project).trim()}`,
);

// The dashboard's page is built into dist/ui, apart from its code: served from the tarball, it is there.
writeFileSync(
  join(project, "dashboard.mjs"),
  `import { createConsoleLogger, MemoryStateStore, Pipeline } from "@qicore/core";
import { startDashboard } from "@qicore/dashboard";
const logger = createConsoleLogger({ level: "silent" });
const loaded = await Pipeline.fromConfig(
  { name: "pack-check", sources: [{ id: "gen", type: "synthetic", config: { count: 1 } }], targets: [{ id: "mem", type: "memory" }] },
  { logger, stateStore: new MemoryStateStore() },
);
if (!loaded.ok) throw loaded.error;
const started = await startDashboard({ pipeline: loaded.value, logger, port: 0 });
if (!started.ok) throw started.error;
try {
  for (const [path, expected] of [["", "<title>QiCore dashboard</title>"], ["app.js", "qicoreDashboard"], ["style.css", "{"]]) {
    const response = await fetch(started.value.url + path);
    const text = await response.text();
    if (response.status !== 200 || !text.includes(expected)) throw new Error(\`/\${path}: HTTP \${response.status}, \${text.slice(0, 200)}\`);
  }
} finally {
  await started.value.close();
  await loaded.value.destroy();
}
console.log("the dashboard serves its page, script and style from the tarball");
`,
);
console.log(run(process.execPath, ["dashboard.mjs"], project).trim());

// A newcomer's project, from nothing: what `npm init -y` writes is CommonJS.
const newcomer = join(work, "newcomer");
run("mkdir", ["-p", newcomer]);
run("npm", ["init", "-y"], newcomer);
const manifest = JSON.parse(readFileSync(join(newcomer, "package.json"), "utf8"));
if (manifest.type !== "commonjs" && manifest.type !== undefined)
  throw new Error(`npm init wrote "type": ${manifest.type}; this check is about a CommonJS project`);
const coreTarball = files[packages.findIndex(({ manifest: each }) => each.name === "@qicore/core")];
const toolVersions = ["zod@^4", "tsx@^4", "vitest@^4", "ajv@^8", "ajv-formats@^3", "yaml@^2"];
console.log("newcomer: npm init -y, then npm install @qicore/core and the tools the guide names");
run(
  "npm",
  ["install", "--no-audit", "--no-fund", "--loglevel=error", coreTarball, ...toolVersions],
  newcomer,
);
cpSync(join(import.meta.dirname, "newcomer"), newcomer, { recursive: true });
const qicore = join(newcomer, "node_modules/.bin/qicore");
console.log(`newcomer: ${run(qicore, ["validate", "pipeline.yaml"], newcomer).trim()}`);
writeFileSync(
  join(newcomer, "pipeline.schema.json"),
  run(qicore, ["schema", "pipeline", "--load", "./klines-source.ts"], newcomer),
);
console.log(`newcomer: ${run(process.execPath, ["validate-schema.cjs"], newcomer).trim()}`);
const summary = JSON.parse(
  run(qicore, ["run", "pipeline.yaml", "--summary-json", "--no-progress", "--log-level", "warn"], newcomer),
);
if (summary.state !== "stopped" || summary.recordsOut.out !== 48)
  throw new Error(
    `newcomer: qicore run wrote ${JSON.stringify(summary.recordsOut)} (expected 48 candles), state ${summary.state}`,
  );
console.log(`newcomer: qicore run pipeline.yaml wrote ${summary.recordsOut.out} candles`);
// Embedding from CommonJS: require() of the ES module build (Node 20.19+ loads it).
run(
  process.execPath,
  [
    "-e",
    "const { Pipeline } = require('@qicore/core'); if (typeof Pipeline !== 'function') process.exit(1);",
  ],
  newcomer,
);
console.log("newcomer: require('@qicore/core') works from CommonJS");
const tests = run(join(newcomer, "node_modules/.bin/vitest"), ["run", "--reporter=dot"], newcomer);
console.log(
  `newcomer: the conformance suite passes: ${tests
    .trim()
    .split("\n")
    .filter((line) => /Tests/.test(line))
    .join(" ")}`,
);

rmSync(work, { recursive: true, force: true });
console.log("pack check passed");
