/**
 * One pipeline of `pnpm bench tap`, in a process of its own: an unbounded synthetic source into a
 * memory target, served over HTTP like `qicore run --metrics-port`. Prints its URL as a JSON line,
 * then runs until SIGTERM. The benchmark reads its counters from GET /status.
 *
 * A line `profile <ms>` on standard input profiles this process's CPU for that long and prints
 * `{ busyMs, tapMs }`: the time spent on anything, and in the tap's own code (runtime/tap.ts and
 * tap-stream.ts, with what they call: encoding, socket writes). A share of samples within one
 * process is what other work on the machine changes least.
 */
import { Session } from "node:inspector/promises";
import { createInterface } from "node:readline";
import { createRegistry } from "../packages/core/src/registry/registry";
import { serveMetrics } from "../packages/core/src/runtime/http-server";
import { silentLogger } from "../packages/core/src/runtime/logger";
import { Pipeline } from "../packages/core/src/runtime/pipeline";
import { MemoryStateStore } from "../packages/core/src/runtime/state-store";

const BATCH = 1000;
const COINS = ["bitcoin", "ethereum", "solana", "cardano", "dogecoin", "usd-coin", "ripple", "polkadot"];

const loaded = await Pipeline.fromConfig(
  {
    name: "tap-bench",
    sources: [{ id: "gen", type: "synthetic", config: { coins: COINS, seed: 7, batchSize: BATCH } }],
    targets: [{ id: "mem", type: "memory", config: { store: "tap-bench", keep: false } }],
    delivery: { batch: { maxRecords: BATCH, maxWait: "50ms" }, maxInFlightRecords: 20 * BATCH },
  },
  { registry: createRegistry(), logger: silentLogger, stateStore: new MemoryStateStore() },
);
if (!loaded.ok) throw loaded.error;
const pipeline = loaded.value;
const started = await pipeline.start();
if (!started.ok) throw started.error;
const server = await serveMetrics(pipeline, { port: 0 });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.once("SIGTERM", async () => {
  await pipeline.destroy();
  await server.close();
  process.exit(0);
});

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

/** CPU time in the tap's code, and in all code, from a V8 CPU profile. */
function tapTime(profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }) {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const inTap = new Map<number, boolean>();
  const isTap = (id: number): boolean => {
    const known = inTap.get(id);
    if (known !== undefined) return known;
    const url = byId.get(id)?.callFrame.url ?? "";
    const above = parent.get(id);
    const answer =
      url.endsWith("/runtime/tap.ts") ||
      url.endsWith("/runtime/tap-stream.ts") ||
      (above !== undefined && isTap(above));
    inTap.set(id, answer);
    return answer;
  };
  let busy = 0;
  let tap = 0;
  profile.samples.forEach((id, index) => {
    const name = byId.get(id)?.callFrame.functionName ?? "";
    if (name === "(idle)") return;
    const micros = profile.timeDeltas[index] ?? 0;
    busy += micros;
    if (isTap(id)) tap += micros;
  });
  return { busyMs: busy / 1000, tapMs: tap / 1000 };
}

const session = new Session();
session.connect();
for await (const line of createInterface({ input: process.stdin })) {
  const ms = /^profile (\d+)$/.exec(line)?.[1];
  if (ms === undefined) continue;
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  await new Promise((resolve) => setTimeout(resolve, Number(ms)));
  const { profile } = (await session.post("Profiler.stop")) as {
    profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  };
  process.stdout.write(`${JSON.stringify(tapTime(profile))}\n`);
}
