import { defaultRegistry } from "@qicore/core";
import { expect, it } from "vitest";
import { coingeckoSource } from "./index";

it("importing the package registers the coingecko source in the default registry", () => {
  expect(defaultRegistry().get("source", "coingecko")).toBe(coingeckoSource);
  expect(coingeckoSource.capabilities.kinds).toEqual(["price", "ohlcv", "analytics"]);
});
