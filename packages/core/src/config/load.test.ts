import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testRegistry } from "./__fixtures__/adapters";
import { formatConfigProblems, loadPipelineConfig, loadPipelineFile, redactedConfig } from "./index";
import type { ConfigProblem, ResolvedPipeline } from "./types";

let folder: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "qicore-config-"));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function writeText(name: string, lines: string[]): Promise<string> {
  const path = join(folder, name);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${lines.join("\n")}\n`);
  return path;
}

async function problemsOfFile(path: string, env: Record<string, string> = {}): Promise<ConfigProblem[]> {
  const loaded = await loadPipelineFile(path, { registry: testRegistry(), env });
  if (loaded.ok) throw new Error(`expected ${path} to be invalid`);
  expect(loaded.error).toMatchObject({ code: "CONFIG_INVALID", category: "VALIDATION", retryable: false });
  return loaded.error.context.problems;
}

async function resolved(config: Record<string, unknown> | string, env: Record<string, string> = {}) {
  const loaded = await loadPipelineConfig(config, { registry: testRegistry(), env, baseDir: folder });
  if (!loaded.ok) throw new Error(loaded.error.message);
  return loaded.value;
}

async function problemsOf(
  config: Record<string, unknown>,
): Promise<Pick<ConfigProblem, "path" | "message">[]> {
  const loaded = await loadPipelineConfig(config, { registry: testRegistry(), env: {}, baseDir: folder });
  if (loaded.ok) throw new Error("expected the config to be invalid");
  return loaded.error.context.problems.map(({ path, message }) => ({ path, message }));
}

const store = { id: "db", type: "test-store", config: { connectionString: "postgres://localhost/market" } };
const prices = { id: "gen", type: "test-prices", config: { coins: ["bitcoin"] } };

describe("a file with three mistakes", () => {
  it("reports the misspelt key, the missing field and the unknown adapter, each with line and column", async () => {
    const path = await writeText("three-mistakes.yaml", [
      "name: prices-to-store",
      "sources:",
      "  - id: gen",
      "    type: test-prices",
      "    confg: { coins: [bitcoin] }",
      "targets:",
      "  - type: test-store",
      '    config: { connectionString: "postgres://localhost/market" }',
      "  - id: archive",
      "    type: test-archiv",
    ]);
    const problems = await problemsOfFile(path);
    expect(problems).toEqual([
      {
        path: "sources[0].confg",
        message: 'unknown key "confg"; did you mean config?',
        file: path,
        line: 5,
        column: 5,
      },
      { path: "targets[0].id", message: 'missing required key "id"', file: path, line: 7, column: 5 },
      {
        path: "targets[1].type",
        message: expect.stringMatching(
          /^unknown target type "test-archiv"; did you mean test-archive\? Available targets: .*test-store/,
        ),
        file: path,
        line: 10,
        column: 11,
      },
    ]);
    const lines = formatConfigProblems(problems).split("\n");
    expect(lines[0]).toBe(`${path}:5:5  sources[0].confg  unknown key "confg"; did you mean config?`);
    expect(lines[1]).toBe(`${path}:7:5  targets[0].id  missing required key "id"`);
  });

  it("reads a misspelt section as the one meant, so the problems inside it are found too", async () => {
    const path = await writeText("section-typo.yaml", [
      "name: demo",
      "sources:",
      "  - id: gen",
      "    type: test-prices",
      "    config: { coins: [bitcoin] }",
      "tagets:",
      "  - id: db",
      "    type: test-stor",
    ]);
    expect(await problemsOfFile(path)).toEqual([
      {
        path: "tagets",
        message: 'unknown key "tagets"; did you mean targets?',
        file: path,
        line: 6,
        column: 1,
      },
      {
        path: "tagets[0].type",
        message: expect.stringContaining('unknown target type "test-stor"; did you mean test-store?'),
        file: path,
        line: 8,
        column: 11,
      },
    ]);
  });

  it("puts the error's problems in its message for people who only print the message", async () => {
    const loaded = await loadPipelineConfig({ name: "x", sources: [prices] }, { registry: testRegistry() });
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.error.message).toBe(
      'pipeline config has 1 problem:\ntargets  missing required key "targets"',
    );
  });
});

describe("${VAR} interpolation", () => {
  const lines = [
    "name: env-demo",
    "sources:",
    "  - id: gen",
    "    type: test-prices",
    "    config:",
    '      coins: ["${COIN:-bitcoin}", "$${LITERAL}"]',
    "      count: ${COUNT}",
    "      apiKey: ${API_KEY}",
    "targets:",
    "  - id: db",
    "    type: test-store",
    '    config: { connectionString: "postgres://writer:${DB_PASSWORD}@localhost/market" }',
    'metrics: { port: "${METRICS_PORT:-9464}" }',
  ];

  it("takes values from the environment, defaults when unset or empty, and keeps $${ literal", async () => {
    const path = await writeText("env.yaml", lines);
    const env = { COUNT: "25", API_KEY: "k-123", DB_PASSWORD: "s3cret", COIN: "" };
    const loaded = await loadPipelineFile(path, { registry: testRegistry(), env });
    if (!loaded.ok) throw loaded.error;
    const pipeline = loaded.value;
    // A number from the environment becomes a number where the schema wants one.
    expect(pipeline.sources[0]?.config).toEqual({
      coins: ["bitcoin", "${LITERAL}"],
      count: 25,
      apiKey: "k-123",
    });
    expect(pipeline.targets[0]?.config).toMatchObject({
      connectionString: "postgres://writer:s3cret@localhost/market",
    });
    expect(pipeline.metrics).toEqual({ host: "127.0.0.1", port: 9464 });

    const shown = JSON.stringify(redactedConfig(pipeline));
    expect(shown).not.toContain("s3cret");
    expect(shown).not.toContain("k-123");
    expect(shown).toContain("postgres://writer:***@localhost/market");
  });

  it("reports each unset variable at its value, once", async () => {
    const path = await writeText("env-missing.yaml", lines);
    const problems = await problemsOfFile(path, { API_KEY: "k", METRICS_PORT: "9100" });
    expect(problems).toEqual([
      {
        path: "sources[0].config.count",
        message: "environment variable COUNT is not set; set it, or give a default as in ${VAR:-default}",
        file: path,
        line: 7,
        column: 14,
      },
      {
        path: "targets[0].config.connectionString",
        message:
          "environment variable DB_PASSWORD is not set; set it, or give a default as in ${VAR:-default}",
        file: path,
        line: 12,
        column: 33,
      },
    ]);
  });

  it("reports a malformed reference and explains an unquoted ${...} inside { }", async () => {
    expect(
      await problemsOf({
        name: "x",
        sources: [{ ...prices, config: { coins: ["${1COIN}"] } }],
        targets: [store],
      }),
    ).toEqual([
      {
        path: "sources[0].config.coins[0]",
        message: '"${1COIN}" is not a variable reference; write ${NAME} or ${NAME:-default}',
      },
    ]);
    const path = await writeText("flow.yaml", ["name: x", "metrics: { port: ${PORT:-9464} }"]);
    const [problem] = await problemsOfFile(path);
    expect(problem?.message).toMatch(/^not valid YAML: .*quote a value holding \$\{\.\.\.\}/);
    expect(problem).toMatchObject({ line: 2, path: "" });
  });
});

describe("durations", () => {
  it("accepts 200ms, 10s, 5m, 1h, 1d, decimals and plain milliseconds", async () => {
    const pipeline = await resolved({
      name: "durations",
      sources: [{ ...prices, schedule: { every: "5m" } }],
      targets: [store],
      delivery: {
        batch: { maxWait: "200ms" },
        retry: { initialDelay: 250, maxDelay: "1.5s" },
      },
      health: { freshness: { maxAge: "1h", coins: ["bitcoin"] } },
    });
    expect(pipeline.sources[0]?.schedule).toEqual({ everyMs: 300_000 });
    expect(pipeline.delivery.batch).toEqual({ maxRecords: 5000, maxWaitMs: 200, sendWhenIdle: true });
    expect(pipeline.delivery.retry).toEqual({ initialDelayMs: 250, maxDelayMs: 1500 });
    expect(pipeline.health).toEqual({ freshness: { maxAgeMs: 3_600_000, coins: ["bitcoin"] } });
    const daily = await resolved({
      name: "d",
      sources: [{ ...prices, schedule: { every: "1d" } }],
      targets: [store],
    });
    expect(daily.sources[0]?.schedule).toEqual({ everyMs: 86_400_000 });
  });

  it("refuses other spellings and an initial delay longer than the maximum", async () => {
    const hint = "expected a duration such as 200ms, 10s, 5m, 1h, 1d or a number of milliseconds";
    expect(
      await problemsOf({
        name: "durations",
        sources: [{ ...prices, schedule: { every: "10 minutes" } }],
        targets: [store],
        delivery: { batch: { maxWait: -5 }, retry: { initialDelay: "1m", maxDelay: "10s" } },
        health: { freshness: { maxAge: true } },
      }),
    ).toEqual([
      { path: "sources[0].schedule.every", message: hint },
      { path: "delivery.batch.maxWait", message: hint },
      {
        path: "delivery.retry.initialDelay",
        message: "initialDelay (60000ms) is longer than maxDelay (10000ms)",
      },
      { path: "health.freshness.maxAge", message: hint },
    ]);
  });
});

describe("JSON files", () => {
  it("load like YAML, with positions in the JSON text", async () => {
    const good = await writeText("good.json", [
      "{",
      '  "name": "json-demo",',
      '  "sources": [{ "id": "gen", "type": "test-prices", "config": { "coins": ["bitcoin"] } }],',
      '  "targets": [{ "id": "db", "type": "test-store", "config": { "connectionString": "x" } }]',
      "}",
    ]);
    const loaded = await loadPipelineFile(good, { registry: testRegistry(), env: {} });
    expect(loaded.ok && loaded.value.name).toBe("json-demo");

    const bad = await writeText("bad.json", [
      "{",
      '  "name": "json-demo",',
      '  "sources": [{ "id": "gen", "type": "test-prices", "config": { "coins": "bitcoin" } }],',
      '  "targets": [{ "id": "db", "type": "test-store", "config": { "connectionString": "x" } }]',
      "}",
    ]);
    expect(await problemsOfFile(bad)).toEqual([
      {
        path: "sources[0].config.coins",
        message: "expected an array of coin ids",
        file: bad,
        line: 3,
        column: 74,
      },
    ]);
  });

  it("word syntax errors as JSON", async () => {
    const broken = await writeText("broken.json", ["{", '  "name": "json-demo",', '  "sources": [']);
    const problems = await problemsOfFile(broken);
    expect(problems[0]?.message).toMatch(/^not valid JSON: /);
    expect(problems[0]?.line).toBeGreaterThanOrEqual(3);
  });
});

describe("adapter configs", () => {
  it("are checked by each adapter's schema, with problems placed under its config", async () => {
    const path = await writeText("adapter-config.yaml", [
      "name: cfg",
      "sources:",
      "  - id: gen",
      "    type: test-prices",
      "    config:",
      "      coins: bitcoin",
      "      cont: 5",
      "targets:",
      "  - id: db",
      "    type: test-store",
      "    config:",
      '      connectionString: ""',
      "      pool: { max: 0 }",
    ]);
    expect(await problemsOfFile(path)).toEqual([
      {
        path: "sources[0].config.coins",
        message: "expected an array of coin ids",
        file: path,
        line: 6,
        column: 14,
      },
      {
        path: "sources[0].config.cont",
        message: 'unknown key "cont"; did you mean count?',
        file: path,
        line: 7,
        column: 7,
      },
      {
        path: "targets[0].config.connectionString",
        message: "must not be empty",
        file: path,
        line: 12,
        column: 25,
      },
      {
        path: "targets[0].config.pool.max",
        message: "expected a value more than 0",
        file: path,
        line: 13,
        column: 20,
      },
    ]);
  });

  it("are parsed with the adapter's defaults into the resolved pipeline", async () => {
    const pipeline = await resolved({ name: "defaults", sources: [prices], targets: [store] });
    expect(pipeline.targets[0]?.config).toEqual({
      connectionString: "postgres://localhost/market",
      schema: "public",
      pool: { max: 10 },
    });
    expect(pipeline.targets[0]?.definition.name).toBe("test-store");
  });

  it("an unknown key lists the valid ones when none is close", async () => {
    expect(
      await problemsOf({
        name: "x",
        sources: [{ ...prices, config: { coins: ["a"], zzz: 1 } }],
        targets: [store],
      }),
    ).toEqual([
      { path: "sources[0].config.zzz", message: 'unknown key "zzz"; expected one of: coins, count, apiKey' },
    ]);
  });

  it("names the other role when an adapter is used in the wrong section", async () => {
    const [problem] = await problemsOf({
      name: "x",
      sources: [{ id: "s", type: "test-store" }],
      targets: [store],
    });
    expect(problem).toEqual({
      path: "sources[0].type",
      message:
        '"test-store" is a target adapter, not a source; sources: synthetic, test-candles, test-prices',
    });
  });
});

describe("cross-field rules", () => {
  it("ids are unique across sources and targets", async () => {
    expect(
      await problemsOf({ name: "x", sources: [prices], targets: [store, { ...store, id: "gen" }, store] }),
    ).toEqual([
      {
        path: "targets[1].id",
        message: 'duplicate id "gen" (sources[0] has it too); ids must be unique across sources and targets',
      },
      {
        path: "targets[2].id",
        message: 'duplicate id "db" (targets[0] has it too); ids must be unique across sources and targets',
      },
    ]);
  });

  it("routes name existing sources and targets and kinds both sides support", async () => {
    const problems = await problemsOf({
      name: "routes",
      sources: [
        { ...prices, kinds: ["price", "analytics"] },
        { id: "candles", type: "test-candles" },
        { id: "idle", type: "test-candles" },
      ],
      targets: [store, { id: "archive", type: "test-archive" }],
      routes: [
        { from: "db", to: ["archive"] },
        { from: "gen", to: ["archve", "candles"] },
        { from: "candles", to: ["db"], kinds: ["ohlcv"] },
        { from: "candles", to: ["db"] },
        { from: "gen", to: ["archive"], kinds: ["price", "ohlcv"] },
      ],
      delivery: { deadLetter: { target: "db" } },
      state: { store: "target", target: "warehouse" },
    });
    expect(problems).toEqual([
      { path: "routes[0].from", message: '"db" is a target; a route goes from a source to targets' },
      {
        path: "routes[1].to[0]",
        message: 'unknown target "archve"; did you mean archive? The targets of this pipeline: db, archive',
      },
      { path: "routes[1].to[1]", message: '"candles" is a source; a route sends records to targets' },
      {
        path: "delivery.deadLetter.target",
        message:
          'target "db" (type test-store) cannot store dead letters; targets that can: archive; or write them to a file: deadLetter: { path: ./dead-letters.jsonl }',
      },
      { path: "state.target", message: 'unknown target "warehouse"; targets of this pipeline: db, archive' },
      {
        path: "sources[0].kinds[1]",
        message: 'source "gen" (type test-prices) does not emit analytics; it emits price, ohlcv',
      },
      {
        path: "routes[2].kinds[0]",
        message: 'target "db" (type test-store) does not accept ohlcv; it accepts price',
      },
      {
        path: "routes[3].to[0]",
        message: 'nothing to route: source "candles" emits ohlcv, target "db" accepts price',
      },
      { path: "routes[4].kinds[1]", message: 'source "gen" does not emit ohlcv; it emits price' },
      {
        path: "sources[2]",
        message: 'source "idle" is not routed to any target; add a route { from: idle, to: [<target id>] }',
      },
    ]);
  });

  it("every source feeds some target", async () => {
    expect(
      await problemsOf({
        name: "x",
        sources: [prices, { id: "candles", type: "test-candles" }],
        targets: [store],
      }),
    ).toEqual([{ path: "sources[1]", message: 'no target accepts what source "candles" emits (ohlcv)' }]);
  });
});

describe("routes", () => {
  // Without processors, what reaches the targets is what the route carries.
  const routesOf = (pipeline: ResolvedPipeline) =>
    pipeline.routes.map(({ emits, ...route }) => {
      expect(emits).toEqual(route.kinds);
      return route;
    });

  it("default to every source feeding every target the kinds both support, the dead-letter target aside", async () => {
    const pipeline = await resolved({
      name: "fan-out",
      sources: [prices, { id: "candles", type: "test-candles" }],
      targets: [store, { id: "archive", type: "test-archive" }, { id: "dlq", type: "test-archive" }],
      delivery: { deadLetter: { target: "dlq" } },
    });
    expect(routesOf(pipeline)).toEqual([
      { from: "gen", to: ["db"], kinds: ["price"] },
      { from: "gen", to: ["archive"], kinds: ["price", "ohlcv"] },
      { from: "candles", to: ["archive"], kinds: ["ohlcv"] },
    ]);
    expect(pipeline.sources.map((source) => source.kinds)).toEqual([["price", "ohlcv"], ["ohlcv"]]);
    expect(pipeline.delivery.deadLetter).toEqual({ target: "dlq" });
  });

  it("group targets that get the same kinds, and honour a source's kinds", async () => {
    const pipeline = await resolved({
      name: "fan-out",
      sources: [{ ...prices, kinds: ["price"] }],
      targets: [store, { id: "archive", type: "test-archive" }],
    });
    expect(routesOf(pipeline)).toEqual([{ from: "gen", to: ["db", "archive"], kinds: ["price"] }]);
  });

  it("a route without kinds carries what each of its targets accepts; one with kinds carries those", async () => {
    const pipeline = await resolved({
      name: "explicit",
      sources: [prices, { id: "candles", type: "test-candles" }],
      targets: [store, { id: "archive", type: "test-archive" }],
      routes: [
        { from: "gen", to: ["db", "archive"] },
        { from: "candles", to: ["archive"], kinds: ["ohlcv"] },
      ],
    });
    expect(routesOf(pipeline)).toEqual([
      { from: "gen", to: ["db"], kinds: ["price"] },
      { from: "gen", to: ["archive"], kinds: ["price", "ohlcv"] },
      { from: "candles", to: ["archive"], kinds: ["ohlcv"] },
    ]);
  });
});

describe("the resolved pipeline", () => {
  it("fills defaults and makes paths absolute from the file's folder", async () => {
    const path = await writeText("nested/defaults.yaml", [
      "name: defaults",
      "sources: [{ id: gen, type: test-prices, config: { coins: [bitcoin] } }]",
      'targets: [{ id: db, type: test-store, config: { connectionString: "x" } }]',
    ]);
    const loaded = await loadPipelineFile(path, { registry: testRegistry(), env: {} });
    if (!loaded.ok) throw loaded.error;
    const { definition: _source, ...source } = loaded.value.sources[0] as ResolvedPipeline["sources"][number];
    expect(source).toEqual({
      id: "gen",
      type: "test-prices",
      config: { coins: ["bitcoin"] },
      kinds: ["price", "ohlcv"],
    });
    expect(loaded.value).toMatchObject({
      name: "defaults",
      file: path,
      baseDir: join(folder, "nested"),
      delivery: {
        batch: { maxRecords: 5000, maxWaitMs: 200 },
        retry: { initialDelayMs: 100, maxDelayMs: 5_000 },
        deadLetter: { path: join(folder, "nested", ".qicore", "dead-letters.jsonl") },
        maxInFlightRecords: 10_000,
      },
      state: { store: "auto", path: join(folder, "nested", ".qicore", "state.json") },
      health: {},
      logging: { level: "info", format: "pretty" },
    });
    expect(loaded.value.metrics).toBeUndefined();
  });

  it("takes YAML text with a file name for messages", async () => {
    const loaded = await loadPipelineConfig("name: x\nsources: []\n", {
      registry: testRegistry(),
      file: "inline.yaml",
    });
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.error.context.problems).toEqual(
      [
        {
          path: "sources",
          message: "a pipeline needs at least one source",
          file: "inline.yaml",
          line: 2,
          column: 10,
        },
        {
          path: "targets",
          message: 'missing required key "targets"',
          file: "inline.yaml",
          line: 1,
          column: 1,
        },
      ].sort((a, b) => a.line - b.line),
    );
  });

  it("an empty file says so", async () => {
    const path = await writeText("empty.yaml", ["# nothing yet"]);
    expect(await problemsOfFile(path)).toEqual([
      {
        path: "",
        message: "the pipeline is empty; it needs name, sources and targets",
        file: path,
        line: 1,
        column: 1,
      },
    ]);
  });

  it("a missing file is CONFIG_NOT_FOUND", async () => {
    const loaded = await loadPipelineFile(join(folder, "nope.yaml"), { registry: testRegistry() });
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.error.code).toBe("CONFIG_NOT_FOUND");
    expect(loaded.error.context.problems[0]?.message).toMatch(/^file not found/);
  });
});

describe("an adapter named by file path", () => {
  const zodFolder = dirname(fileURLToPath(import.meta.resolve("zod/package.json")));

  it("loads relative to the pipeline file, and its config is checked", async () => {
    // A third-party adapter as a user writes it: its own file, importing zod.
    await mkdir(join(folder, "project", "node_modules"), { recursive: true });
    await symlink(zodFolder, join(folder, "project", "node_modules", "zod"), "dir");
    await writeText("project/adapters/greeter.ts", [
      'import { z } from "zod";',
      "export const greeterSource = {",
      '  role: "source" as const,',
      '  name: "greeter",',
      "  contractVersion: 1,",
      '  coreVersion: ">=0.0.0",',
      "  configSchema: z.strictObject({ greeting: z.string() }),",
      '  capabilities: { kinds: ["price" as const] },',
      "  create: () => ({}),",
      "};",
    ]);
    const lines = (config: string) => [
      "name: by-path",
      "sources:",
      "  - id: hello",
      "    type: ./adapters/greeter.ts",
      `    config: ${config}`,
      "targets:",
      '  - { id: db, type: test-store, config: { connectionString: "x" } }',
    ];
    const good = await writeText("project/good.yaml", lines("{ greeting: hi }"));
    const loaded = await loadPipelineFile(good, { registry: testRegistry(), env: {} });
    if (!loaded.ok) throw loaded.error;
    expect(loaded.value.sources[0]).toMatchObject({
      type: "./adapters/greeter.ts",
      config: { greeting: "hi" },
      definition: { name: "greeter", role: "source" },
    });

    const bad = await writeText("project/bad.yaml", lines("{ greting: hi }"));
    expect(await problemsOfFile(bad)).toEqual([
      {
        path: "sources[0].config.greting",
        message: 'unknown key "greting"; did you mean greeting?',
        file: bad,
        line: 5,
        column: 15,
      },
    ]);
  });

  it("a path that leads nowhere is reported at the type", async () => {
    const path = await writeText("project/missing-adapter.yaml", [
      "name: by-path",
      "sources: [{ id: hello, type: ./adapters/nope.ts }]",
      'targets: [{ id: db, type: test-store, config: { connectionString: "x" } }]',
    ]);
    const [problem] = await problemsOfFile(path);
    expect(problem).toMatchObject({ path: "sources[0].type", line: 2, column: 30 });
    expect(problem?.message).toContain("./adapters/nope.ts");
    expect(problem?.message).toContain("could not be found");
  });
});
