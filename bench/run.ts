/**
 * `pnpm bench` runs every benchmark; `pnpm bench <name>` runs those whose name
 * starts with <name>. Each prints its figure beside a baseline measured in the same
 * run and writes bench-results/<name>.json.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Benchmark, describeResult, writeResult } from "./lib";

function benchmarkFiles(): string[] {
  const files = readdirSync("bench")
    .filter((file) => file.endsWith(".bench.ts"))
    .map((file) => join("bench", file));
  for (const pkg of readdirSync("packages")) {
    const folder = join("packages", pkg, "bench");
    if (!existsSync(folder)) continue;
    files.push(
      ...readdirSync(folder)
        .filter((file) => file.endsWith(".bench.ts"))
        .map((file) => join(folder, file)),
    );
  }
  return files.sort();
}

async function main(): Promise<number> {
  const filter = process.argv[2];
  const benchmarks: Benchmark[] = [];
  for (const file of benchmarkFiles()) {
    const module = (await import(pathToFileURL(resolve(file)).href)) as {
      benchmark?: Benchmark;
      benchmarks?: Benchmark[];
    };
    benchmarks.push(...(module.benchmarks ?? (module.benchmark ? [module.benchmark] : [])));
  }
  const selected = filter ? benchmarks.filter((benchmark) => benchmark.name.startsWith(filter)) : benchmarks;
  if (selected.length === 0) {
    console.error(
      `no benchmark matches "${filter}"; available: ${benchmarks.map((benchmark) => benchmark.name).join(", ")}`,
    );
    return 2;
  }
  // Each benchmark runs in a process of its own, so its peak RSS is its own.
  const child = process.env.QICORE_BENCH_CHILD;
  if (!child) {
    let failures = 0;
    for (const benchmark of selected) {
      const run = spawnSync(
        process.execPath,
        [...process.execArgv, process.argv[1] as string, benchmark.name],
        {
          stdio: "inherit",
          env: { ...process.env, QICORE_BENCH_CHILD: benchmark.name },
        },
      );
      if (run.status !== 0) failures++;
    }
    return failures > 0 ? 1 : 0;
  }
  let failed = 0;
  for (const benchmark of selected.filter((candidate) => candidate.name === child)) {
    console.error(`▶ ${benchmark.name}: ${benchmark.description}`);
    try {
      const results = await benchmark.run();
      for (const entry of Array.isArray(results) ? results : [results]) {
        const path = writeResult(entry);
        console.log(describeResult(entry));
        console.error(`  wrote ${path}`);
      }
    } catch (thrown) {
      failed++;
      console.error(
        `✗ ${benchmark.name} failed: ${thrown instanceof Error ? thrown.message : String(thrown)}`,
      );
    }
  }
  return failed > 0 ? 1 : 0;
}

main().then((code) => process.exit(code));
