import { readFileSync } from "node:fs";

// Next to this module in src/, and next to the bundle in dist/ (the build copies the folder).
const FIXTURES = new URL("./__fixtures__/", import.meta.url);

/** Names of the committed fixtures (CoinGecko's documented responses). */
export type FixtureName =
  | "ping.json"
  | "simple-price.json"
  | "coins-markets.json"
  | "coins-ohlc.json"
  | "coins-ohlc-range.json"
  | "coins-market-chart-range.json"
  | "global.json"
  | "key.json"
  | "error-401-10002.json"
  | "error-401-10005.json"
  | "error-401-10010.json"
  | "error-401-10011.json"
  | "error-429.json"
  | "error-404.json"
  | "cloudflare-rate-limited.html";

/** A fixture file's text. */
export function fixtureText(name: FixtureName): string {
  return readFileSync(new URL(name, FIXTURES), "utf8");
}

/** A JSON fixture, parsed (a fresh copy each call). */
export function fixtureJson<T = unknown>(name: FixtureName): T {
  return JSON.parse(fixtureText(name)) as T;
}
