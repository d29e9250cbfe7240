import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { defineSource } from "../adapters/define";
import { ADAPTER_CONTRACT_VERSION } from "../adapters/types";
import type { CryptoPrice, CryptoPriceInput } from "../dsl/records";
import type { QiError } from "../errors/qi-error";
import { type AsyncResult, andThen, err, map, ok, type Result, ResultAsync } from "./result";

describe("public generics", () => {
  it("Result narrows on ok and keeps error types through map and andThen", () => {
    const result = ok(1) as Result<number>;
    if (result.ok) expectTypeOf(result.value).toEqualTypeOf<number>();
    else expectTypeOf(result.error).toEqualTypeOf<QiError>();
    expectTypeOf(map(result, String)).toEqualTypeOf<Result<string, QiError>>();
    const parse = (value: number): Result<string, "parse"> => (value > 0 ? ok(String(value)) : err("parse"));
    expectTypeOf(andThen(result, parse)).toEqualTypeOf<Result<string, QiError | "parse">>();
  });

  it("ResultAsync is awaitable as a Result", () => {
    const chained = ResultAsync.from(ok(1) as Result<number>).map((value) => value > 0);
    expectTypeOf(chained).toMatchTypeOf<PromiseLike<Result<boolean, QiError>>>();
    expectTypeOf<AsyncResult<number>>().toEqualTypeOf<Promise<Result<number, QiError>>>();
  });

  it("an adapter's create() receives the type its config schema parses to", () => {
    defineSource({
      name: "typed",
      contractVersion: ADAPTER_CONTRACT_VERSION,
      coreVersion: "^0.1.0",
      configSchema: z.object({ url: z.string(), every: z.number().default(5) }),
      capabilities: { kinds: ["price"] },
      create(config) {
        expectTypeOf(config).toEqualTypeOf<{ url: string; every: number }>();
        return {};
      },
    });
  });

  it("records are strings where money and time are, inputs accept numbers and dates", () => {
    expectTypeOf<CryptoPrice["usdPrice"]>().toEqualTypeOf<string>();
    expectTypeOf<CryptoPrice["lastUpdated"]>().toEqualTypeOf<string>();
    expectTypeOf<number>().toMatchTypeOf<CryptoPriceInput["usdPrice"]>();
  });
});
