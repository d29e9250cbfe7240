import { describe, expect, it } from "vitest";
import { sampleRecords } from "../testing/sample-records";
import { CANONICAL_FIELDS, type CanonicalCheck, canonicalRecord } from "./canonical";
import { RECORD_KIND_DEFINITIONS, RECORD_KINDS, type RecordKind } from "./kinds";
import { type ColumnModel, tableModel } from "./table-model";
import { validateParsedRecord, validateRecord } from "./validate";

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** NUMERIC(p,s) → [p, s], from the schema's own metadata (not from canonical.ts). */
function numericOf(column: ColumnModel): [number, number] | undefined {
  const match = /^NUMERIC\((\d+),(\d+)\)$/.exec(column.sqlType);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

function varcharOf(column: ColumnModel): number | undefined {
  const match = /^VARCHAR\((\d+)\)$/.exec(column.sqlType);
  return match ? Number(match[1]) : undefined;
}

const pad = (value: number, width: number) => String(value).padStart(width, "0");
const isoOf = (year: number, month: number, day: number, time = "12:34:56.789") =>
  `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${time}Z`;

/** Times around every rule the schema applies: calendar, clock, form, offset, range. */
function timestampCandidates(): unknown[] {
  const candidates: unknown[] = [
    "2024-01-01T00:00:00.000Z",
    "2024-01-01T00:00:00Z",
    "2024-01-01T00:00:00.0Z",
    "2024-01-01T00:00:00.00Z",
    "2024-01-01T00:00:00.0000Z",
    "2024-01-01T00:00Z",
    "2024-01-01T00:00:00.000+00:00",
    "2024-01-01T02:00:00.000+02:00",
    "2024-01-01T00:00:00.000-00:00",
    "2024-01-01t00:00:00.000Z",
    "2024-01-01T00:00:00.000z",
    "2024-01-01 00:00:00.000Z",
    "2024-01-01T00:00:00.000",
    " 2024-01-01T00:00:00.000Z",
    "2024-01-01T00:00:00.000Z ",
    "2024-1-01T00:00:00.000Z",
    "+02024-01-01T00:00:00.000Z",
    "+010000-01-01T00:00:00.000Z",
    "-000001-01-01T00:00:00.000Z",
    "2024-01-01",
    "20240101T000000.000Z",
    "2024-01-01T24:00:00.000Z",
    "2024-01-01T23:60:00.000Z",
    "2024-01-01T23:59:60.000Z",
    "2024-01-01T23:59:59.999Z",
    "2024-00-01T00:00:00.000Z",
    "2024-13-01T00:00:00.000Z",
    "2024-01-00T00:00:00.000Z",
    "2024-01-32T00:00:00.000Z",
    "2024-0a-01T00:00:00.000Z",
    "2024-01-01T00:00:00.00aZ",
    "2024-01-01T0:00:00.0000Z",
    "0000-01-01T00:00:00.000Z",
    "9999-12-31T23:59:59.999Z",
    "1970-01-01T00:00:00.000Z",
    "1969-12-31T23:59:59.999Z",
    1_700_000_000_000,
    0,
    -1,
    1.5,
    253_402_300_800_000,
    new Date(0),
    new Date(Number.NaN),
  ];
  // Month ends and leap days in leap and non-leap years, centuries included.
  for (const year of [0, 1, 4, 100, 200, 400, 1600, 1800, 1900, 2000, 2023, 2024, 2100, 2200, 2400, 9999])
    for (let month = 1; month <= 12; month++)
      for (const day of [28, 29, 30, 31]) candidates.push(isoOf(year, month, day));
  // Random real instants, printed as the schema prints them.
  const next = random(7);
  for (let index = 0; index < 200; index++)
    candidates.push(new Date(Math.floor(next() * 253_402_300_799_999)).toISOString());
  return candidates;
}

/** Values for one field: built from its SQL type's limits, plus every shape of wrong value. */
function candidatesFor(column: ColumnModel): unknown[] {
  const candidates: unknown[] = [
    null,
    undefined,
    true,
    false,
    0,
    -0,
    1,
    -1,
    1.5,
    2_147_483_647,
    2_147_483_648,
    2 ** 53,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    "",
    " ",
    "a",
    "A",
    "0",
    "1",
    "true",
    "bitcoin",
    "usd-coin",
    "a.b_c-d",
    "Bitcoin",
    "bit coin",
    ".a",
    "-a",
    "_a",
    "a\n",
    "\na",
    "é",
    "ｂ",
    "a/b",
    "x".repeat(10_000),
    "1m",
    "5m",
    "4h",
    "1d",
    "1w",
    "9999m",
    "10000m",
    "0m",
    "01m",
    "1M",
    "1mo",
    "12mo",
    "9999mo",
    "10000mo",
    "0mo",
    "1month",
    "1Mo",
    "1om",
    "mo",
    "1 m",
    "1s",
    "m",
    "1mm",
    {},
    [],
    ["1"],
    { value: "1" },
  ];
  const numeric = numericOf(column);
  const integerDigits = numeric ? numeric[0] - numeric[1] : 20;
  const nines = "9".repeat(integerDigits);
  candidates.push(
    "00",
    "-0",
    "-0.0",
    "0.00000001",
    "123.456",
    "-123.456",
    nines,
    `-${nines}`,
    `${nines}.99999999`,
    `000${nines}.5`,
    `${nines}9`,
    `-${nines}9`,
    `1${"0".repeat(integerDigits)}`,
    `${nines}9.0`,
    "1e5",
    "1E5",
    "1.5e-7",
    "-1.5E+3",
    `1e${integerDigits}`,
    " 1",
    "1 ",
    "\t1",
    "1\n",
    "1.",
    ".5",
    "-",
    "+1",
    "--1",
    "1..2",
    "1.2.3",
    "0x1f",
    "١",
    "１",
    "NaN",
    "Infinity",
    "1,5",
    "1_000",
    64000.5,
    1.5e-7,
    1.33e12,
    1e21,
  );
  const varchar = varcharOf(column);
  if (varchar !== undefined)
    candidates.push(
      "a".repeat(varchar),
      "a".repeat(varchar + 1),
      "A".repeat(varchar),
      `${"9".repeat(varchar - 1)}m`,
    );
  if (column.valueType === "timestamp") candidates.push(...timestampCandidates());
  return candidates;
}

interface Verdict {
  fastAccepted: boolean;
  schemaAccepted: boolean;
}

/** Runs the fast path and the schema on one input; fails when the fast path is looser or differs. */
function compare(kind: RecordKind, input: unknown, label: string): Verdict {
  const fast = canonicalRecord(kind, input);
  const reused = canonicalRecord(kind, input, true);
  const parsed = RECORD_KIND_DEFINITIONS[kind].schema.safeParse(input);
  if (fast !== undefined) {
    expect(parsed.success, `${label}: the fast path accepted what the schema refuses`).toBe(true);
    expect(fast, label).toStrictEqual(parsed.data);
    // Same keys in the same order: what is written back out is byte for byte the schema's.
    expect(JSON.stringify(fast), label).toBe(JSON.stringify(parsed.data));
    expect(fast, label).not.toBe(input);
  }
  // Reusing the input decides exactly as copying does, and returns the input itself.
  expect(reused === undefined, label).toBe(fast === undefined);
  if (reused !== undefined) expect(reused, label).toBe(input);
  return { fastAccepted: fast !== undefined, schemaAccepted: parsed.success };
}

async function canonicalSamples(kind: RecordKind): Promise<Record<string, unknown>[]> {
  return (await sampleRecords(kind, 20)).map((record) => ({ ...record }) as Record<string, unknown>);
}

describe("canonicalRecord (the validation fast path)", () => {
  it("knows each kind's fields in the schema's order, absent only where the schema leaves them out", async () => {
    for (const kind of RECORD_KINDS) {
      const fields = CANONICAL_FIELDS[kind];
      expect(fields.map((field) => field.name)).toEqual(
        tableModel(kind).columns.map((column) => column.field),
      );
      const [sample] = await canonicalSamples(kind);
      for (const field of fields) {
        const { [field.name]: _removed, ...rest } = sample as Record<string, unknown>;
        const parsed = RECORD_KIND_DEFINITIONS[kind].schema.safeParse(rest);
        const absentInOutput = parsed.success && !(field.name in (parsed.data as object));
        expect(field.optional, `${kind}.${field.name}`).toBe(absentInOutput);
      }
    }
  });

  it("accepts the records QiCore writes, every kind, returning a copy equal to the schema's output", async () => {
    for (const kind of RECORD_KINDS) {
      for (const sample of await canonicalSamples(kind)) {
        const verdict = compare(kind, sample, `${kind} sample`);
        expect(verdict.fastAccepted, JSON.stringify(sample)).toBe(true);
        // As read from a topic: parsed JSON text.
        expect(compare(kind, JSON.parse(JSON.stringify(sample)), `${kind} JSON`).fastAccepted).toBe(true);
      }
    }
  });

  it("takes every candle width the schema takes, months (`1mo`) included, on the fast path", async () => {
    const [sample] = await canonicalSamples("ohlcv");
    for (const timeframe of ["1m", "9999m", "4h", "1d", "1w", "1mo", "12mo", "9999mo"]) {
      const verdict = compare("ohlcv", { ...sample, timeframe }, `ohlcv.timeframe = ${timeframe}`);
      expect(verdict.schemaAccepted, timeframe).toBe(true);
      expect(verdict.fastAccepted, timeframe).toBe(true);
    }
  });

  it("never accepts a field value the schema refuses, and matches its output where it accepts", async () => {
    for (const kind of RECORD_KINDS) {
      const [sample] = await canonicalSamples(kind);
      for (const column of tableModel(kind).columns) {
        const seen = { fastAccepted: 0, schemaRefused: 0, normalisedBySchema: 0 };
        for (const candidate of candidatesFor(column)) {
          const input = { ...sample, [column.field]: candidate };
          const verdict = compare(kind, input, `${kind}.${column.field} = ${String(candidate)}`);
          if (verdict.fastAccepted) seen.fastAccepted++;
          if (!verdict.schemaAccepted) seen.schemaRefused++;
          if (verdict.schemaAccepted && !verdict.fastAccepted) seen.normalisedBySchema++;
        }
        // Every field's check both passes and refuses something, so none is vacuous.
        expect(seen.fastAccepted, `${kind}.${column.field}`).toBeGreaterThan(0);
        expect(seen.schemaRefused, `${kind}.${column.field}`).toBeGreaterThan(0);
      }
    }
  });

  it("remembers only values it accepted: a field's last good value never lets another one through", async () => {
    const [sample] = await canonicalSamples("trade");
    const accepted = { ...sample, price: "1.5", timestamp: "2026-01-01T00:00:00.000Z" };
    expect(canonicalRecord("trade", accepted)).toEqual(accepted);
    for (const [field, value] of [
      ["price", "1.5 "],
      ["price", "1.50e0"],
      ["timestamp", "2026-01-01T00:00:00Z"],
      ["timestamp", "2026-02-30T00:00:00.000Z"],
    ] as const) {
      expect(
        canonicalRecord("trade", { ...accepted, [field]: value }),
        `${field} = ${value}`,
      ).toBeUndefined();
      // Refusing does not forget the good value either.
      expect(canonicalRecord("trade", accepted)).toEqual(accepted);
    }
  });

  it("leaves every record that is not exactly canonical to the schema", async () => {
    for (const kind of RECORD_KINDS) {
      const [sample = {}] = await canonicalSamples(kind);
      const fields = CANONICAL_FIELDS[kind];
      const inputs: [string, unknown][] = [
        ["extra key", { ...sample, extra: 1 }],
        ["extra key first", { extra: 1, ...sample }],
        ["keys reversed", Object.fromEntries(Object.entries(sample).reverse())],
        ["null prototype", Object.assign(Object.create(null), sample)],
        ["a class instance", Object.assign(new (class Price {})(), sample)],
        ["an array", Object.values(sample)],
        ["null", null],
        ["a string", JSON.stringify(sample)],
        ["a number", 1],
        ["a __proto__ key", JSON.parse(`{"__proto__":{"x":1},${JSON.stringify(sample).slice(1)}`)],
        ["an inherited field", Object.assign(Object.create({ [fields[0]?.name ?? ""]: "x" }), sample)],
      ];
      for (const field of fields) {
        const { [field.name]: _removed, ...rest } = sample;
        inputs.push([`${field.name} missing`, rest]);
        inputs.push([`${field.name} undefined`, { ...sample, [field.name]: undefined }]);
      }
      const withoutOptional = Object.fromEntries(
        Object.entries(sample).filter(([name]) => !fields.find((field) => field.name === name)?.optional),
      );
      for (const [label, input] of inputs) compare(kind, input, `${kind}: ${label}`);
      expect(compare(kind, { ...sample, extra: 1 }, "extra").fastAccepted).toBe(false);
      expect(
        compare(kind, Object.fromEntries(Object.entries(sample).reverse()), "reversed").fastAccepted,
      ).toBe(false);
      // Optional fields may be left out, as the schema leaves them out.
      expect(compare(kind, withoutOptional, `${kind}: optional fields left out`).fastAccepted).toBe(true);
    }
  });

  it("agrees with the schema on thousands of random mixes of valid and invalid fields", async () => {
    const next = random(42);
    const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
    let fastAccepted = 0;
    let schemaOnly = 0;
    for (const kind of RECORD_KINDS) {
      const samples = await canonicalSamples(kind);
      const columns = tableModel(kind).columns;
      const pools = new Map(columns.map((column) => [column.field, candidatesFor(column)]));
      for (let round = 0; round < 3000; round++) {
        const base = pick(samples);
        const input: Record<string, unknown> = {};
        for (const column of columns) {
          const roll = next();
          if (roll < 0.03) continue;
          input[column.field] = roll < 0.85 ? base[column.field] : pick(pools.get(column.field) ?? []);
        }
        if (next() < 0.02) input[pick(["extra", "coinid", "__proto__"])] = "x";
        const verdict = compare(kind, input, `${kind} round ${round}: ${JSON.stringify(input)}`);
        if (verdict.fastAccepted) fastAccepted++;
        else if (verdict.schemaAccepted) schemaOnly++;
      }
    }
    expect(fastAccepted).toBeGreaterThan(500);
    expect(schemaOnly).toBeGreaterThan(100);
  });

  it("only names checks the schema's metadata agrees with", () => {
    const expectedCheck = (column: ColumnModel): CanonicalCheck["type"][] => {
      if (column.valueType === "decimal") return column.nullable ? ["nullableDecimal"] : ["decimal"];
      if (column.valueType === "timestamp") return ["timestamp"];
      if (column.valueType === "integer") return ["count"];
      if (column.valueType === "boolean") return ["boolean"];
      if (column.nullable) return ["nullableOneOf", "identifier", "text", "code"];
      return ["identifier", "text", "timeframe", "code"];
    };
    for (const kind of RECORD_KINDS) {
      const columns = tableModel(kind).columns;
      for (const [index, field] of CANONICAL_FIELDS[kind].entries()) {
        const column = columns[index] as ColumnModel;
        expect(expectedCheck(column), `${kind}.${field.name}`).toContain(field.check.type);
        const numeric = numericOf(column);
        if (numeric && "integerDigits" in field.check)
          expect(field.check.integerDigits, `${kind}.${field.name}`).toBe(numeric[0] - numeric[1]);
      }
    }
  });
});

describe("validateRecord with the fast path", () => {
  it("returns a new object equal to the input for a canonical record, and the schema's errors otherwise", async () => {
    const [sample = {}] = await canonicalSamples("price");
    const result = validateRecord("price", sample);
    expect(result.ok && result.value).toStrictEqual(sample);
    expect(result.ok && result.value).not.toBe(sample);
    const refused = validateRecord("price", { ...sample, usdPrice: "1e99" });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.message).toContain("NUMERIC(20,8)");
  });

  it("keeps a parsed canonical record as it is, and normalises or refuses the rest like validateRecord", async () => {
    const [sample = {}] = await canonicalSamples("price");
    const parsed = JSON.parse(JSON.stringify(sample));
    const result = validateParsedRecord("price", parsed);
    expect(result.ok && result.value).toBe(parsed);
    const numbers = JSON.parse(
      JSON.stringify({ ...sample, usdPrice: 1.5e-7, lastUpdated: 1_700_000_000_000 }),
    );
    const normalised = validateParsedRecord("price", numbers);
    expect(normalised.ok && normalised.value).toMatchObject({
      usdPrice: "0.00000015",
      lastUpdated: "2023-11-14T22:13:20.000Z",
    });
    const refused = validateParsedRecord("price", { ...sample, coinId: "Bit Coin" });
    const expected = validateRecord("price", { ...sample, coinId: "Bit Coin" });
    expect(!refused.ok && refused.error.message).toBe(!expected.ok && expected.error.message);
    expect(refused.ok).toBe(false);
  });
});
