/**
 * The source half of `pnpm bench exchange` alone, for profiling: N frames from
 * blast-server.mjs through the exchange source and the runtime into a counting memory
 * target, with a progress line each second.
 *
 *     node --conditions=qicore-source --import tsx --cpu-prof packages/source-exchange/bench/profile-source.ts [frames]
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  createRegistry,
  MemoryStateStore,
  memoryStore,
  memoryTarget,
  Pipeline,
  silentLogger,
} from "@qicore/core";
import type { ExchangeReader } from "../src/reader";
import { createExchangeSource } from "../src/source";
import { blastPipelineConfig } from "./blast-pipeline";

const frames = Number(process.argv[2] ?? 2_000_000);
const script = fileURLToPath(new URL("./blast-server.mjs", import.meta.url));
const server = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "inherit"] });
const port = await new Promise<number>((resolve) =>
  server.stdout.once("data", (data: Buffer) => resolve(Number(data.toString().trim()))),
);
let reader: ExchangeReader | undefined;
const store = `profile-${Date.now()}`;
const loaded = await Pipeline.fromConfig(blastPipelineConfig("exchange-profile", port, store), {
  registry: createRegistry(
    createExchangeSource({
      onReader: (created) => {
        reader = created;
      },
    }),
    memoryTarget,
  ),
  logger: silentLogger,
  stateStore: new MemoryStateStore(),
});
if (!loaded.ok) throw loaded.error;
const written = memoryStore(store);
const started = await loaded.value.start();
if (!started.ok) throw started.error;
let first = 0;
const cpu = process.cpuUsage();
for (let tick = 0; written.recordsWritten < frames; tick++) {
  await new Promise((resolve) => setTimeout(resolve, 20));
  if (first === 0 && written.recordsWritten > 0) first = performance.now();
  if (tick % 50 === 0)
    process.stderr.write(
      `written ${written.recordsWritten} stats ${JSON.stringify(reader?.stats())} rss ${Math.round(process.memoryUsage().rss / 1_048_576)} MiB\n`,
    );
}
const seconds = (performance.now() - first) / 1000;
const used = process.cpuUsage(cpu);
console.log(
  `${Math.round(written.recordsWritten / seconds)} trades/s, CPU ${Math.round(((used.user + used.system) / 1e6 / seconds) * 100)}%`,
);
server.kill();
await loaded.value.destroy();
