import { QiError } from "@qicore/core";
import { createMemoryLogger } from "@qicore/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createCompressedClock } from "./clock";
import { CoinGeckoHttpClient, type HttpClientOptions } from "./http-client";
import { PLAN_PROFILES } from "./plans";
import { RateBudget } from "./rate-budget";
import { type FakeCoinGecko, type FakeCoinGeckoOptions, startFakeCoinGecko } from "./testing/fake-coingecko";

// Compressed time: Retry-After and backoff waits of seconds take milliseconds, and the fake
// server stamps requests with the same clock, so waits can be checked in the API's own time.
const clock = createCompressedClock(600);
const servers: FakeCoinGecko[] = [];

afterEach(async () => {
  while (servers.length > 0) await servers.pop()?.close();
});

async function serve(options: FakeCoinGeckoOptions = {}): Promise<FakeCoinGecko> {
  const server = await startFakeCoinGecko({ clock, ...options });
  servers.push(server);
  return server;
}

function clientFor(server: FakeCoinGecko, options: Partial<HttpClientOptions> = {}) {
  const logger = createMemoryLogger();
  const client = new CoinGeckoHttpClient({
    baseUrl: server.url,
    plan: "public",
    apiKey: undefined,
    keyHeader: undefined,
    keySource: undefined,
    timeoutMs: 2_000,
    retries: 3,
    budget: new RateBudget("test", 6_000, clock),
    clock,
    logger,
    ...options,
  });
  return { client, logger };
}

async function failure(promise: Promise<unknown>): Promise<QiError> {
  const thrown = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!QiError.isInstance(thrown)) throw new Error(`expected a QiError, got ${String(thrown)}`);
  return thrown;
}

const live = { priority: "live" as const };
const seconds = (ms: number) => Math.floor(ms / 1000);

describe("plans: hosts and key headers", () => {
  it("uses CoinGecko's documented hosts: api.coingecko.com for public and Demo, pro-api for Pro", () => {
    expect(PLAN_PROFILES.public).toMatchObject({
      baseUrl: "https://api.coingecko.com/api/v3",
      keyHeader: undefined,
    });
    expect(PLAN_PROFILES.demo).toMatchObject({
      baseUrl: "https://api.coingecko.com/api/v3",
      keyHeader: "x-cg-demo-api-key",
    });
    expect(PLAN_PROFILES.pro).toMatchObject({
      baseUrl: "https://pro-api.coingecko.com/api/v3",
      keyHeader: "x-cg-pro-api-key",
    });
  });

  it("sends a Demo key in x-cg-demo-api-key, never in the URL", async () => {
    const server = await serve({ keys: { "demo-key": "demo" } });
    const { client } = clientFor(server, {
      plan: "demo",
      apiKey: "demo-key",
      keyHeader: PLAN_PROFILES.demo.keyHeader,
    });
    await client.getJson("/ping", {}, live);
    expect(server.requests[0]).toMatchObject({ keyHeader: "x-cg-demo-api-key", caller: "demo:demo-key" });
    expect(JSON.stringify(server.requests[0]?.query)).not.toContain("demo-key");
  });

  it("sends a Pro key in x-cg-pro-api-key to a Pro host", async () => {
    const server = await serve({ host: "pro", keys: { "pro-key": "pro" } });
    const { client } = clientFor(server, {
      plan: "pro",
      apiKey: "pro-key",
      keyHeader: PLAN_PROFILES.pro.keyHeader,
    });
    await client.getJson("/ping", {}, live);
    expect(server.requests[0]).toMatchObject({
      keyHeader: "x-cg-pro-api-key",
      caller: "pro:pro-key",
      status: 200,
    });
  });

  it("sends no key header on the keyless public API", async () => {
    const server = await serve();
    const { client } = clientFor(server);
    await client.getJson("/ping", {}, live);
    expect(server.requests[0]).toMatchObject({ keyHeader: undefined, caller: "public", status: 200 });
  });
});

describe("401 errors say what to fix", () => {
  it("10010: a Pro key sent to the Demo URL → set plan: pro", async () => {
    const server = await serve({ keys: { "pro-key": "pro" } });
    const { client } = clientFor(server, {
      plan: "demo",
      apiKey: "pro-key",
      keyHeader: "x-cg-demo-api-key",
      keySource: "COINGECKO_API_KEY",
    });
    const error = await failure(
      client.getJson("/simple/price", { ids: "bitcoin", vs_currencies: "usd" }, live),
    );
    expect(error).toMatchObject({ code: "COINGECKO_WRONG_PLAN", category: "SECURITY", retryable: false });
    expect(error.message).toContain("a Pro key was sent to the Demo URL: set plan: pro");
    expect(error.context.errorCode).toBe(10010);
    expect(server.requests).toHaveLength(1);
  });

  it("10011: a Demo key sent to the Pro URL → set plan: demo", async () => {
    const server = await serve({ host: "pro", keys: { "demo-key": "demo" } });
    const { client } = clientFor(server, { plan: "pro", apiKey: "demo-key", keyHeader: "x-cg-pro-api-key" });
    const error = await failure(client.getJson("/global", {}, live));
    expect(error.code).toBe("COINGECKO_WRONG_PLAN");
    expect(error.message).toContain("a Demo key was sent to the Pro URL: set plan: demo");
  });

  it("10002: no key on the Pro host → set apiKey or the key variables", async () => {
    const server = await serve({ host: "pro" });
    const { client } = clientFor(server, { plan: "pro", keyHeader: "x-cg-pro-api-key" });
    const error = await failure(client.getJson("/global", {}, live));
    expect(error.code).toBe("COINGECKO_KEY_MISSING");
    expect(error.message).toMatch(/needs an API key but no key was sent \(plan pro\): set apiKey/);
  });

  it("10005: an endpoint outside the plan → remove it or use a paid key", async () => {
    const server = await serve({ keys: { "demo-key": "demo" } });
    const { client } = clientFor(server, {
      plan: "demo",
      apiKey: "demo-key",
      keyHeader: "x-cg-demo-api-key",
    });
    const error = await failure(
      client.getJson(
        "/coins/bitcoin/ohlc/range",
        {
          vs_currency: "usd",
          from: seconds(clock.now() - 86_400_000),
          to: seconds(clock.now()),
          interval: "daily",
        },
        live,
      ),
    );
    expect(error.code).toBe("COINGECKO_PLAN_RESTRICTED");
    expect(error.message).toContain("/coins/bitcoin/ohlc/range");
    expect(error.message).toContain("is not included in your plan (demo)");
  });

  it.each([
    [10002, "COINGECKO_KEY_MISSING", "needs an API key"],
    [10005, "COINGECKO_PLAN_RESTRICTED", "not included in your plan"],
    [10010, "COINGECKO_WRONG_PLAN", "set plan: pro"],
    [10011, "COINGECKO_WRONG_PLAN", "set plan: demo"],
    [10012, "COINGECKO_PLAN_RESTRICTED", "further back than plan public allows"],
  ] as const)(
    "error %i from CoinGecko's documented body is %s, not retried",
    async (errorCode, code, fix) => {
      const server = await serve();
      server.inject({ kind: "auth", errorCode });
      const { client } = clientFor(server);
      const error = await failure(client.getJson("/global", {}, live));
      expect(error).toMatchObject({ code, retryable: false });
      expect(error.message).toContain(fix);
      expect(server.requests).toHaveLength(1);
    },
  );

  it("never shows the key in an error or a log line", async () => {
    const secret = "CG-very-secret-key-42";
    const server = await serve({ keys: { [secret]: "pro" } });
    server.inject({ kind: "status", status: 503, body: { error: `bad key ${secret}` } });
    const { client, logger } = clientFor(server, {
      plan: "demo",
      apiKey: secret,
      keyHeader: "x-cg-demo-api-key",
    });
    const error = await failure(client.getJson("/global", {}, live));
    expect(error.code).toBe("COINGECKO_WRONG_PLAN");
    expect(JSON.stringify({ message: error.message, context: error.context })).not.toContain(secret);
    expect(JSON.stringify(logger.lines)).not.toContain(secret);
  });
});

describe("rate limits", () => {
  it("429: waits the Retry-After time, then retries once and succeeds", async () => {
    const server = await serve();
    server.inject({ path: "/global", kind: "rate-limit", retryAfterSeconds: 30 });
    const { client } = clientFor(server);
    const body = (await client.getJson("/global", {}, live)) as { data: { markets: number } };
    expect(body.data.markets).toBe(1476);
    const [limited, retried] = server.requests;
    expect([limited?.status, retried?.status]).toEqual([429, 200]);
    expect((retried?.time ?? 0) - (limited?.time ?? 0)).toBeGreaterThanOrEqual(30_000);
  });

  it("429 pauses every caller of the key, so no second 429 follows", async () => {
    const server = await serve();
    server.inject({ path: "/global", kind: "rate-limit", retryAfterSeconds: 20 });
    const budget = new RateBudget("shared", 6_000, clock);
    const first = clientFor(server, { budget });
    const second = clientFor(server, { budget }).client;
    const limited = first.client.getJson("/global", {}, live);
    // The second caller comes once the first has seen the 429 (it logs the retry after pausing the key).
    while (first.logger.lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    await Promise.all([limited, second.getJson("/ping", {}, live)]);
    const rejected = server.requests.find((request) => request.status === 429);
    const ping = server.requests.find((request) => request.path === "/ping");
    expect(server.requests.filter((request) => request.status === 429)).toHaveLength(1);
    expect((ping?.time ?? 0) - (rejected?.time ?? 0)).toBeGreaterThanOrEqual(20_000);
  });

  it("a persistent 429 ends in RATE_LIMITED after the retries, each after its Retry-After", async () => {
    const server = await serve();
    server.inject({ path: "/global", kind: "rate-limit", retryAfterSeconds: 10, times: 10 });
    const { client } = clientFor(server, { retries: 2 });
    const error = await failure(client.getJson("/global", {}, live));
    // These were the retries: not retryable, so the pipeline's loop does not multiply them.
    expect(error).toMatchObject({ code: "RATE_LIMITED", retryable: false });
    expect(error.message).toContain("rate limited 3 time(s)");
    expect(error.message).toContain("Lower callsPerMinute");
    const times = server.requests.map((request) => request.time);
    expect(times).toHaveLength(3);
    for (let index = 1; index < times.length; index++)
      expect((times[index] ?? 0) - (times[index - 1] ?? 0)).toBeGreaterThanOrEqual(10_000);
  });

  it("an HTML page (Cloudflare) is a rate limit: it pauses, then retries", async () => {
    const server = await serve();
    server.inject({ path: "/simple/price", kind: "html", status: 403 });
    const { client, logger } = clientFor(server);
    const body = await client.getJson(
      "/simple/price",
      { ids: "bitcoin", vs_currencies: "usd", include_last_updated_at: true },
      live,
    );
    expect(Object.keys(body as object)).toEqual(["bitcoin"]);
    const [page, retried] = server.requests;
    expect((retried?.time ?? 0) - (page?.time ?? 0)).toBeGreaterThanOrEqual(60_000);
    expect(logger.lines[0]?.fields.code).toBe("RATE_LIMITED");
    expect(String(logger.lines[0]?.fields.error)).toContain("got an HTML page (HTTP 403");
  });

  it("an HTML page with status 200 is refused as a rate limit, not parsed", async () => {
    const server = await serve();
    server.inject({ path: "/global", kind: "html", status: 200, retryAfterSeconds: 1, times: 5 });
    const { client } = clientFor(server, { retries: 1 });
    const error = await failure(client.getJson("/global", {}, live));
    expect(error.code).toBe("RATE_LIMITED");
    expect(error.message).toContain("got an HTML page (HTTP 200");
    expect(error.message).toContain("used Cloudflare to restrict access");
    expect(server.requests).toHaveLength(2);
  });
});

// Passing failures are thrown once, as retryable: the pipeline's delivery.retry is the one loop
// that retries them (source.test.ts counts its attempts end to end).
describe("passing failures are thrown at once as retryable; others as not", () => {
  it("5xx: one attempt, a retryable EXTERNAL_ERROR naming the status", async () => {
    const server = await serve();
    server.inject({ path: "/ping", kind: "status", status: 503, body: { error: "maintenance" } });
    const { client } = clientFor(server);
    const error = await failure(client.getJson("/ping", {}, live));
    expect(error).toMatchObject({ code: "EXTERNAL_ERROR", retryable: true });
    expect(error.message).toContain("HTTP 503");
    expect(server.requests.map((request) => request.status)).toEqual([503]);
    // The next call (the pipeline's retry) goes through.
    expect(await client.getJson("/ping", {}, live)).toEqual({ gecko_says: "(V3) To the Moon!" });
  });

  it("a server that does not answer in time: a retryable TIMEOUT", async () => {
    const server = await serve();
    server.inject({ path: "/global", kind: "hang" });
    const error = await failure(clientFor(server, { timeoutMs: 100 }).client.getJson("/global", {}, live));
    expect(error).toMatchObject({ code: "TIMEOUT", category: "NETWORK", retryable: true });
    expect(error.message).toContain("within 100 ms");
    expect(server.requests).toHaveLength(1);
  });

  it("truncated JSON: a retryable error that says the body was cut off", async () => {
    const server = await serve();
    server.inject({ path: "/global", kind: "truncated" });
    const error = await failure(clientFor(server).client.getJson("/global", {}, live));
    expect(error).toMatchObject({ code: "EXTERNAL_ERROR", retryable: true });
    expect(error.message).toContain("is not complete JSON");
    expect(error.message).toContain("cut off");
  });

  it("a connection dropped mid-body: a retryable network error", async () => {
    const server = await serve();
    server.inject({ path: "/global", kind: "cut" });
    const error = await failure(clientFor(server).client.getJson("/global", {}, live));
    expect(error).toMatchObject({ code: "NETWORK_ERROR", retryable: true });
  });

  it("a refused connection is a NETWORK_ERROR naming the reason", async () => {
    const server = await serve();
    await server.close();
    servers.pop();
    const { client } = clientFor(server, { retries: 0 });
    const error = await failure(client.getJson("/ping", {}, live));
    expect(error).toMatchObject({ code: "NETWORK_ERROR", retryable: true });
    expect(error.message).toContain("ECONNREFUSED");
  });

  it("names the whole URL in messages, with a proxy password masked", async () => {
    const server = await serve();
    const { client } = clientFor(server, {
      baseUrl: server.url.replace("http://", "http://user:hunter2@"),
      retries: 0,
    });
    const error = await failure(client.getJson("/ping", {}, live));
    expect(error.message).toContain("http://user:***@127.0.0.1:");
    expect(JSON.stringify(error.toJSON())).not.toContain("hunter2");
  });

  it('404 with {"error": ...} is not retried and quotes CoinGecko', async () => {
    const server = await serve();
    const { client } = clientFor(server);
    const error = await failure(
      client.getJson("/coins/no-such-coin/ohlc", { vs_currency: "usd", days: 1 }, live),
    );
    expect(error).toMatchObject({ code: "EXTERNAL_ERROR", retryable: false });
    expect(error.message).toContain("HTTP 404: coin not found");
    expect(error.message).toContain("/coins/no-such-coin/ohlc?vs_currency=usd&days=1");
    expect(server.requests).toHaveLength(1);
  });

  it("a cancelled request stops waiting at once", async () => {
    const server = await serve();
    server.inject({ path: "/ping", kind: "hang" });
    const { client } = clientFor(server, { timeoutMs: 60_000 });
    const controller = new AbortController();
    const pending = client.getJson("/ping", {}, { priority: "live", signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const error = await failure(pending);
    expect(error.code).toBe("CANCELLED");
  });
});
