/**
 * `qicore test`: a test file's records run through a pipeline's real processors with
 * in-memory sources and targets; differences come back field by field; bad test files are
 * refused with their line, and the exit codes say which happened.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../cli/main";
import { runPipelineTests } from "./run-tests";

const PIPELINE = `name: test-fixture
sources:
  - id: feed
    type: synthetic
    config: { kinds: [trade], coins: [bitcoin] }
targets:
  - { id: db, type: memory }
  - { id: raw, type: memory }
routes:
  - from: feed
    to: [db]
    kinds: [trade]
    processors:
      - { type: select, config: { where: 'instrument == "BTCUSDT"' } }
      - { type: candles, config: { widths: [1m] } }
  - { from: feed, to: [raw], kinds: [trade] }
`;

const trade = (id: number, second: number, price: string, instrument = "BTCUSDT") =>
  `{ tradeId: "${id}", instrument: ${instrument}, timestamp: "2026-01-01T00:00:${String(second).padStart(2, "0")}.000Z", price: "${price}" }`;

const testFile = (expectClose: string, extra = "") => `pipeline: pipeline.yaml
tests:
  - name: one candle from the BTCUSDT trades
    input:
      feed:
        trade:
          defaults:
            exchangeId: binance
            base: BTC
            quote: USDT
            amount: "1"
            receivedAt: "2026-01-01T00:05:00.000Z"
            source: test
            attribution: test
          records:
            - ${trade(1, 1, "100")}
            - ${trade(2, 2, "105")}
            - ${trade(3, 3, "3000", "ETHUSDT")}
            - ${trade(4, 4, "101.5")}
    expect:
      db:
        ohlcv:
          - { timeframe: 1m, open: 100, high: "105", close: "${expectClose}", tradeCount: 3, isFinal: true }
      raw:
        trade: { count: 4, where: 'amount == 1' }
${extra}`;

function folderWith(files: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), "qicore-pipeline-test-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
  return folder;
}

function capture(cwd: string) {
  const out: string[] = [];
  const error: string[] = [];
  return {
    io: { out: (text: string) => out.push(text), error: (text: string) => error.push(text), env: {}, cwd },
    out,
    error,
  };
}

describe("pipeline tests", () => {
  it("runs the records through the pipeline's processors and passes when the targets got what is expected", async () => {
    const folder = folderWith({ "pipeline.yaml": PIPELINE, "candles.test.yaml": testFile("101.5") });
    const report = await runPipelineTests(join(folder, "candles.test.yaml"));
    if (!report.ok) throw report.error;
    expect(report.value.results).toEqual([
      {
        name: "one candle from the BTCUSDT trades",
        passed: true,
        differences: [],
        written: { db: { ohlcv: 1 }, raw: { trade: 4 } },
        deadLetters: 0,
      },
    ]);
  });

  it("names the target, kind, record and field of every difference", async () => {
    const folder = folderWith({ "pipeline.yaml": PIPELINE, "candles.test.yaml": testFile("102") });
    const report = await runPipelineTests(join(folder, "candles.test.yaml"));
    if (!report.ok) throw report.error;
    expect(report.value.results[0]?.passed).toBe(false);
    expect(report.value.results[0]?.differences).toEqual([
      'db ohlcv[0] (binance BTCUSDT USDT 1m 2026-01-01T00:00:00.000Z): close: expected "102", got "101.5"',
    ]);
  });

  it("exits 0 when every test passes and 1 when one fails, printing each test", async () => {
    const folder = folderWith({
      "pipeline.yaml": PIPELINE,
      "good.test.yaml": testFile("101.5"),
      "bad.test.yml": testFile("101.5").replace("count: 4", "count: 5"),
    });
    const good = capture(folder);
    expect(await main(["test", "good.test.yaml"], good.io)).toBe(0);
    expect(good.out.join("\n")).toContain(
      "✓ one candle from the BTCUSDT trades  (db: 1 ohlcv; raw: 4 trade; 0 dead letters)",
    );
    const all = capture(folder);
    expect(await main(["test"], all.io)).toBe(1);
    const printed = all.out.join("\n");
    expect(printed).toContain("bad.test.yml (pipeline pipeline.yaml)");
    expect(printed).toContain("raw trade: expected 5 records, got 4");
    expect(printed).toContain("2 tests: 1 passed, 1 failed");
  });

  it("refuses a test naming a source the pipeline does not have, with its line, and exits 2", async () => {
    const folder = folderWith({
      "pipeline.yaml": PIPELINE,
      "typo.test.yaml": testFile("101.5").replace("      feed:\n", "      fed:\n"),
    });
    const run = capture(folder);
    expect(await main(["test", "typo.test.yaml"], run.io)).toBe(2);
    expect(run.error.join("\n")).toContain(
      'typo.test.yaml:5:7  tests[0].input.fed  the pipeline has no source "fed" (its sources: feed)',
    );
  });

  it("refuses a test file of the wrong shape with the line of each problem", async () => {
    const folder = folderWith({
      "pipeline.yaml": PIPELINE,
      "shape.test.yaml": "pipeline: pipeline.yaml\ntests:\n  - name: no input\n    expect: {}\n",
    });
    const report = await runPipelineTests(join(folder, "shape.test.yaml"), { shownAs: "shape.test.yaml" });
    expect(report.ok).toBe(false);
    if (report.ok) return;
    expect(report.error.context.problems).toEqual([
      expect.objectContaining({ file: "shape.test.yaml", line: 3, path: "tests[0].input" }),
    ]);
  });

  it("reports a where expression that does not parse, at its line", async () => {
    const folder = folderWith({
      "pipeline.yaml": PIPELINE,
      "where.test.yaml": testFile("101.5").replace("where: 'amount == 1'", "where: 'amount =='"),
    });
    const run = capture(folder);
    expect(await main(["test", "where.test.yaml"], run.io)).toBe(2);
    expect(run.error.join("\n")).toMatch(
      /where\.test\.yaml:25:\d+ {2}tests\[0\]\.expect\.raw\.trade\.where {2}not a valid expression/,
    );
  });
});
