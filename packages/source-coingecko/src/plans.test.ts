import { createMemoryLogger } from "@qicore/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { coingeckoConfigSchema } from "./config";
import { RateBudgets } from "./rate-budget";
import { createCoinGeckoSource } from "./source";
import { type FakeCoinGecko, startFakeCoinGecko } from "./testing/fake-coingecko";

// Without `baseUrl` the source calls CoinGecko's own hosts. They cannot be reached from here,
// so a fetch that records the URL and headers it was given forwards each call to a local fake
// of the host that URL names.

const servers: FakeCoinGecko[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()?.close();
});

async function callsOf(config: Record<string, unknown>, env: Record<string, string> = {}) {
  const demoHost = await startFakeCoinGecko({ keys: { "demo-key": "demo" } });
  const proHost = await startFakeCoinGecko({ host: "pro", keys: { "pro-key": "pro" } });
  servers.push(demoHost, proHost);
  const calls: { url: string; headers: Record<string, string> }[] = [];
  const forwarding: typeof fetch = async (input, init) => {
    const url = String(input);
    calls.push({ url, headers: { ...(init?.headers as Record<string, string>) } });
    const target = url
      .replace("https://api.coingecko.com/api/v3", demoHost.url)
      .replace("https://pro-api.coingecko.com/api/v3", proHost.url);
    return fetch(target, init);
  };
  const definition = createCoinGeckoSource({ budgets: new RateBudgets(), env, fetch: forwarding });
  const handlers = await definition.create(
    coingeckoConfigSchema.parse({ coins: ["bitcoin"], callsPerMinute: 1000, ...config }),
    {
      id: "cg",
      pipelineName: "test",
      logger: createMemoryLogger(),
      baseDir: ".",
      signal: new AbortController().signal,
    },
  );
  await handlers.connect?.();
  await handlers.getMarketAnalytics?.();
  return calls;
}

describe("each plan calls its own host with its own key header", () => {
  it("public: api.coingecko.com, no key", async () => {
    const calls = await callsOf({});
    expect(calls.map((call) => call.url)).toEqual([
      "https://api.coingecko.com/api/v3/ping",
      "https://api.coingecko.com/api/v3/global",
    ]);
    for (const call of calls)
      expect(Object.keys(call.headers).filter((name) => name.includes("api-key"))).toEqual([]);
  });

  it("demo: api.coingecko.com with x-cg-demo-api-key from COINGECKO_API_KEY", async () => {
    const calls = await callsOf({}, { COINGECKO_API_KEY: "demo-key" });
    expect(calls[1]?.url).toBe("https://api.coingecko.com/api/v3/global");
    expect(calls[1]?.headers["x-cg-demo-api-key"]).toBe("demo-key");
  });

  it("pro: pro-api.coingecko.com with x-cg-pro-api-key, and /key read at connect", async () => {
    const calls = await callsOf({ plan: "pro", apiKey: "pro-key", callsPerMinute: undefined });
    expect(calls.map((call) => call.url)).toEqual([
      "https://pro-api.coingecko.com/api/v3/key",
      "https://pro-api.coingecko.com/api/v3/global",
    ]);
    expect(calls.every((call) => call.headers["x-cg-pro-api-key"] === "pro-key")).toBe(true);
  });
});
