import { readFileSync } from "node:fs";

// Next to this module in src/, and next to the bundle in dist/ (the build copies the folder).
const FIXTURES = new URL("./__fixtures__/", import.meta.url);

/** Names of the committed fixtures (Twelve Data's documented responses; see __fixtures__/README.md). */
export type FixtureName =
  | "quote.json"
  | "price.json"
  | "time-series.json"
  | "time-series-forex.json"
  | "time-series-crypto.json"
  | "time-series-monthly.json"
  | "api-usage.json"
  | "error-400-symbol.json"
  | "error-400-no-data.json"
  | "error-401.json"
  | "error-403.json"
  | "error-429-minute.json"
  | "error-429-day.json"
  | "error-500.json";

/** A JSON fixture, parsed (a fresh copy each call). */
export function fixtureJson<T = unknown>(name: FixtureName): T {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8")) as T;
}
