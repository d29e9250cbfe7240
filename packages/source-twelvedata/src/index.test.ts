import { defaultRegistry } from "@qicore/core";
import { expect, it } from "vitest";
import { twelvedataSource } from "./index";

it("importing the package registers the twelvedata source in the default registry", () => {
  expect(defaultRegistry().get("source", "twelvedata")).toBe(twelvedataSource);
  expect(twelvedataSource.capabilities.kinds).toEqual(["price", "ohlcv"]);
});
