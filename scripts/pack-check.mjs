#!/usr/bin/env node
// Packs every package the way `npm publish` would, installs the tarballs into an empty
// temporary project with npm, and checks there that each one imports, that its types
// compile, and that the `qicore` binary runs: what `npm install @qicore/...` gives users.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
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
rmSync(work, { recursive: true, force: true });
console.log("pack check passed");
