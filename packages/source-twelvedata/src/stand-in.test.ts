import { afterEach, describe, expect, it } from "vitest";
import { createManualClock } from "./clock";
import { type FakeTwelveData, startFakeTwelveData } from "./testing/fake-twelvedata";

// The stand-in itself: it must count credits the way Twelve Data does, or the tests of the
// source's budget against it would prove nothing.
const KEY = "stand-in-key";
let server: FakeTwelveData | undefined;
afterEach(async () => {
  await server?.close();
});

async function get(path: string, init: { key?: string; status?: "200" | "code" } = {}) {
  const response = await fetch(`${server?.url}${path}`, {
    headers: init.key === undefined ? {} : { authorization: `apikey ${init.key}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("the Twelve Data stand-in", () => {
  it("charges 1 credit per symbol, 8 a calendar minute on Basic; beyond, a 429 body with HTTP 200; the next minute is fresh", async () => {
    const clock = createManualClock(Date.parse("2024-03-12T15:00:10Z"));
    server = await startFakeTwelveData({ clock, keys: { [KEY]: "basic" } });
    expect((await get("/quote?symbol=AAPL,MSFT,EUR/USD,GBP/USD,BTC/USD", { key: KEY })).status).toBe(200);
    expect((await get("/time_series?symbol=AAPL,MSFT,EUR/USD&interval=1min", { key: KEY })).status).toBe(200);
    const refused = await get("/price?symbol=AAPL", { key: KEY });
    expect(refused).toMatchObject({ status: 200, body: { code: 429, status: "error" } });
    expect(String(refused.body.message)).toContain("for the current minute");
    expect(server.requests.map((request) => request.credits)).toEqual([5, 3, 0]);
    clock.advance(50_000);
    expect((await get("/price?symbol=AAPL", { key: KEY })).body).toHaveProperty("price");
    expect(server.rateLimitedCount()).toBe(1);
  });

  it("stops at 800 credits a UTC day on Basic, with the day's message, and starts again after midnight; paid plans have no daily cap", async () => {
    const clock = createManualClock(Date.parse("2024-03-12T00:00:00Z"));
    server = await startFakeTwelveData({ clock, keys: { [KEY]: "basic", paid: "grow" } });
    for (let minute = 0; minute < 100; minute++) {
      expect(
        (await get("/quote?symbol=AAPL,MSFT,VOD,EUR/USD,GBP/USD,USD/JPY,BTC/USD,ETH/USD", { key: KEY }))
          .status,
      ).toBe(200);
      clock.advance(60_000);
    }
    expect(server.creditsOfDay(KEY)).toBe(800);
    const spent = await get("/price?symbol=AAPL", { key: KEY });
    expect(spent.body).toMatchObject({ code: 429, status: "error" });
    expect(String(spent.body.message)).toContain("for the day");
    clock.set(Date.parse("2024-03-13T00:00:01Z"));
    expect((await get("/price?symbol=AAPL", { key: KEY })).body).toHaveProperty("price");
    for (let request = 0; request < 20; request++) {
      expect((await get("/quote?symbol=AAPL,MSFT,VOD,EUR/USD,GBP/USD", { key: "paid" })).status).toBe(200);
      if (request % 10 === 9) clock.advance(60_000);
    }
    const usage = await get("/api_usage", { key: "paid" });
    expect(usage.body).toMatchObject({ plan_limit: 55, plan_category: "grow" });
    expect(usage.body).not.toHaveProperty("plan_daily_limit");
  });

  it("reports /api_usage as documented for Basic; answers 401 without the header key; errors with their own HTTP status when asked", async () => {
    const clock = createManualClock(Date.parse("2024-03-12T15:00:10Z"));
    server = await startFakeTwelveData({ clock, keys: { [KEY]: "basic" }, errorStatus: "code" });
    await get("/quote?symbol=AAPL,MSFT", { key: KEY });
    expect((await get("/api_usage", { key: KEY })).body).toMatchObject({
      current_usage: 3,
      plan_limit: 8,
      daily_usage: 3,
      plan_daily_limit: 800,
      plan_category: "basic",
    });
    expect(await get("/quote?symbol=AAPL")).toMatchObject({
      status: 401,
      body: { code: 401, status: "error" },
    });
    expect(await get("/quote?symbol=AAPL", { key: "wrong" })).toMatchObject({ status: 401 });
  });

  it("writes stocks' times on New York's clock, across the March switch", async () => {
    const clock = createManualClock(Date.parse("2024-03-12T15:00:10Z"));
    server = await startFakeTwelveData({ clock, keys: { [KEY]: "pro" } });
    const { body } = await get(
      "/time_series?symbol=AAPL&interval=1h&start_date=2024-03-08&end_date=2024-03-11T23:59:00",
      { key: KEY },
    );
    const values = body.values as { datetime: string }[];
    expect((body.meta as Record<string, unknown>).exchange_timezone).toBe("America/New_York");
    expect(values.at(-1)?.datetime).toBe("2024-03-08 09:30:00");
    expect(values[0]?.datetime).toBe("2024-03-11 15:30:00");
    expect(values).toHaveLength(14);
  });

  it("gives a past bar cut by end_date whole, the same as asked in full, never the bar open now", async () => {
    // Twelve Data reads end_date on the exchange's clock: a backfill ending at UTC midnight asks
    // New York for 19:00 of the day before, which cuts that day's bar.
    const clock = createManualClock(Date.parse("2024-03-22T00:10:00Z"));
    server = await startFakeTwelveData({ clock, keys: { [KEY]: "pro" } });
    const series = async (end: string) =>
      (
        await get(`/time_series?symbol=AAPL&interval=1day&start_date=2024-03-04&end_date=${end}`, {
          key: KEY,
        })
      ).body.values as { datetime: string; close: string }[];
    const cut = await series("2024-03-14%2019:00:00");
    const whole = await series("2024-03-14%2023:59:00");
    expect(cut.map((row) => row.datetime)).toEqual(whole.map((row) => row.datetime));
    expect(cut[0]).toEqual(whole[0]);
    expect(cut[0]?.datetime).toBe("2024-03-14");
    expect(cut).toHaveLength(9);
  });
});
