/// <reference lib="dom" />
// The page's globals (window.qicoreDashboard, document) are used inside page.evaluate callbacks.
declare global {
  interface Window {
    qicoreDashboard: { chartData(): readonly unknown[]; statusUpdates: number };
  }
}

import { execFileSync } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConsoleLogger, Pipeline, unwrap } from "@qicore/core";
import "@qicore/target-timescale";
import pg from "pg";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The page is built here, into a folder of this run: no earlier build is needed.
import { buildUi } from "../build-ui.mjs";
import { type RunningDashboard, startDashboard } from "./index";

const databaseUrl = process.env.QICORE_TEST_TIMESCALE_URL;
const artifacts = join(import.meta.dirname, "..", "test-artifacts");
const schema = `dashboard_${process.pid}_${Date.now() % 100000}`;

function chromiumPath(): string {
  return execFileSync("which", ["chromium"], { encoding: "utf8" }).trim();
}

describe.runIf(databaseUrl)("dashboard in a real browser over a running pipeline", () => {
  let browser: Browser;
  let page: Page;
  let pipeline: Pipeline;
  let dashboard: RunningDashboard;
  let client: pg.Client;
  const now = Date.now();
  const start = new Date(Math.floor(now / 60_000) * 60_000 - 30 * 60_000).toISOString();

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), "qicore-dashboard-"));
    const uiDir = await buildUi(join(dir, "ui"));
    const deadLetterPath = join(dir, "dead-letters.jsonl");
    // A dead letter left by an earlier run: a valid price the target refused then.
    const refused = {
      source: "synthetic",
      attribution: "test",
      coinId: "litecoin",
      instrument: "litecoin",
      symbol: "LTC",
      exchangeId: "aggregate",
      quote: "usd",
      assetClass: "crypto",
      usdPrice: "71.25",
      lastUpdated: new Date(now - 60_000).toISOString(),
    };
    await writeFile(
      deadLetterPath,
      `${JSON.stringify({ kind: "price", record: refused, reason: { code: "WRITE_FAILED", message: "connection reset", category: "EXTERNAL" }, sourceId: "live", targetId: "db", failedAt: new Date(now - 50_000).toISOString(), attempts: 3 })}\n`,
    );
    const file = join(dir, "pipeline.yaml");
    await writeFile(
      file,
      JSON.stringify({
        name: "dashboard-test",
        sources: [
          // 50 minutes of one-second prices from 30 minutes ago, 200 a second (15 s): candles to chart, counters that move.
          {
            id: "live",
            type: "synthetic",
            config: {
              coins: ["bitcoin"],
              startTime: start,
              interval: "1s",
              ratePerSecond: 200,
              count: 3000,
              batchSize: 50,
              seed: 3,
            },
          },
          // Keeps the pipeline running after the others are done.
          {
            id: "ticker",
            type: "synthetic",
            config: {
              coins: ["solana"],
              startTime: new Date(now).toISOString(),
              interval: "1s",
              ratePerSecond: 2,
              batchSize: 1,
            },
          },
          // Two prices, then nothing: this instrument turns stale.
          {
            id: "quiet",
            type: "synthetic",
            config: { coins: ["dogecoin"], startTime: new Date(now).toISOString(), interval: "1s", count: 2 },
          },
        ],
        targets: [{ id: "db", type: "timescale", config: { connectionString: databaseUrl, schema } }],
        delivery: { batch: { maxRecords: 200, maxWait: "100ms" }, deadLetter: { path: deadLetterPath } },
        health: { freshness: { maxAge: "3s" } },
        state: { store: "file", path: join(dir, "state.json") },
      }),
    );
    const logger = createConsoleLogger({ level: "warn" });
    pipeline = unwrap(await Pipeline.load(file, { logger }));
    unwrap(await pipeline.initialize());
    unwrap(await pipeline.start());
    dashboard = unwrap(await startDashboard({ pipeline, logger, port: 0, uiDir }));
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1800 } });
    await page.goto(dashboard.url);
    client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await pipeline?.destroy();
    await client?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await client?.end();
  });

  it("shows the pipeline's nodes and edges", async () => {
    await page.waitForSelector('[data-node="target:db"]');
    const nodes = await page.$$eval("[data-node]", (boxes) =>
      boxes.map((box) => (box as HTMLElement).dataset.node),
    );
    expect(nodes.sort()).toEqual(["source:live", "source:quiet", "source:ticker", "target:db"]);
    await page.waitForSelector('[data-edge="source:live->target:db"]');
    expect(await page.$$eval("[data-edge]", (lines) => lines.length)).toBe(3);
  });

  it("moves the counters as records are written", async () => {
    const count = () =>
      page.$eval('[data-node="target:db"] .count', (box) =>
        Number((box.textContent ?? "0").split(" ")[0]?.replace(/,/g, "")),
      );
    await page.waitForFunction(() => window.qicoreDashboard.statusUpdates >= 2);
    const first = await count();
    await page.waitForFunction(() => window.qicoreDashboard.statusUpdates >= 4);
    const later = await count();
    expect(later).toBeGreaterThan(first);
    expect(later).toBeLessThanOrEqual(pipeline.metricsSnapshot().recordsOut.db ?? 0);
  });

  it("turns a quiet instrument stale", async () => {
    await page.waitForSelector('tr.stale[data-series="dogecoin"]', { timeout: 20_000 });
    expect(await page.$eval('[data-series="dogecoin"] td:last-child', (cell) => cell.textContent)).toBe(
      "stale",
    );
    // Once its source has caught up, the busy one is fresh.
    await page.waitForSelector('tr[data-series="bitcoin"]:not(.stale)', { timeout: 20_000 });
    await page.screenshot({ path: join(artifacts, "dashboard.png"), fullPage: false });
  });

  it("draws the reader's candles", async () => {
    const target = pipeline.target("db");
    const reader = target?.handlers.reader;
    if (!reader) throw new Error("the timescale target has no reader");
    const storedCandles = async () =>
      unwrap(
        await reader.aggregateCandles(
          "bitcoin",
          "5m",
          new Date(Date.parse(start) - 3_600_000),
          new Date(now + 86_400_000),
        ),
      );
    // The chart and the reader are compared once every bitcoin price is stored, so both see the
    // same rows (the pipeline's own count includes the other sources' records, and writes in
    // flight land in any order).
    await expect
      .poll(async () => (await storedCandles()).reduce((total, candle) => total + candle.samples, 0), {
        timeout: 40_000,
      })
      .toBe(3000);
    // A user switching widths quickly: the 1m answer is held back so it lands after the 5m one,
    // and the chart must still draw the width selected last.
    await page.route(/\/api\/candles\?.*width=1m/, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await route.continue();
    });
    const lateAnswer = page.waitForResponse((response) => response.url().includes("width=1m"));
    await page.selectOption("#chart-coin", "bitcoin");
    await page.selectOption("#chart-width", "1m");
    await page.selectOption("#chart-width", "5m");
    await (await lateAnswer).finished();
    await page.unrouteAll({ behavior: "wait" });
    // The page's own handler of the late answer runs after the response is read.
    await page.waitForTimeout(500);
    // The chart says which coin and width it drew: the 1m answer may arrive after the 5m one.
    await page.waitForFunction(() => {
      const drawnAs = document.getElementById("chart")?.dataset;
      return drawnAs?.coin === "bitcoin" && drawnAs.width === "5m";
    });
    const drawn = (await page.evaluate(() => window.qicoreDashboard.chartData())) as {
      time: number;
      open?: number;
      close?: number;
      high?: number;
      low?: number;
    }[];
    const candles = await storedCandles();
    const bars = drawn.filter((point) => point.open !== undefined);
    expect(candles.length).toBeGreaterThan(3);
    // Every stored candle of the chart's window is drawn with the reader's values.
    const byTime = new Map(candles.map((candle) => [Date.parse(candle.timestamp) / 1000, candle]));
    expect(bars.length).toBeGreaterThan(3);
    for (const bar of bars.slice(0, -1)) {
      const candle = byTime.get(bar.time);
      expect(candle, `candle at ${bar.time}`).toBeDefined();
      expect(bar.open).toBe(Number(candle?.open));
      expect(bar.high).toBe(Number(candle?.high));
      expect(bar.low).toBe(Number(candle?.low));
      expect(bar.close).toBe(Number(candle?.close));
    }
    await page.locator("#chart-section").screenshot({ path: join(artifacts, "candles.png") });
  });

  it("re-sends a selected dead letter and it lands in the target", async () => {
    await page.waitForSelector('[data-dead-letter="0"]');
    expect(await page.$eval('[data-dead-letter="0"]', (row) => row.textContent)).toContain(
      "connection reset",
    );
    await page.check('[data-dead-letter="0"] input');
    // The list refreshes every 5 s; the tick must outlive a refresh (the row is drawn anew).
    await page.$eval('[data-dead-letter="0"]', (row) => row.setAttribute("data-before-refresh", ""));
    await page.waitForFunction(
      () => document.querySelector('[data-dead-letter="0"]')?.hasAttribute("data-before-refresh") === false,
      undefined,
      { timeout: 15_000 },
    );
    expect(await page.isChecked('[data-dead-letter="0"] input')).toBe(true);
    await page.click("#resend");
    await page.waitForFunction(() => (document.getElementById("resend-result")?.textContent ?? "") !== "");
    expect(await page.textContent("#resend-result")).toBe("1 re-sent");
    const landed = await client.query(
      `SELECT usd_price::text AS price FROM ${schema}.crypto_prices WHERE coin_id = 'litecoin'`,
    );
    expect(landed.rows.map((row) => Number(row.price))).toEqual([71.25]);
    await page.waitForFunction(
      () => document.querySelector('[data-dead-letter="0"] td:last-child')?.textContent !== "",
    );
  });
});
