import { describe, expect, expectTypeOf, it } from "vitest";
import { QiError } from "../errors/qi-error";
import {
  all,
  andThen,
  err,
  fromPromise,
  isErr,
  isOk,
  map,
  mapErr,
  match,
  ok,
  type Result,
  ResultAsync,
  tryCatch,
  unwrap,
  unwrapOr,
} from "./result";

const failure = new QiError({ code: "READ_FAILED", message: "no data", category: "EXTERNAL" });

describe("Result", () => {
  it("maps and chains successes, passes failures through untouched", () => {
    const doubled = map(ok(21), (value) => value * 2);
    expect(doubled).toEqual(ok(42));
    const failed = err(failure) as Result<number>;
    expect(map(failed, (value) => value * 2)).toBe(failed);
    expect(andThen(ok(2), (value) => (value > 1 ? ok(String(value)) : err(failure)))).toEqual(ok("2"));
    expect(andThen(ok(0), (value) => (value > 1 ? ok(String(value)) : err(failure)))).toEqual(err(failure));
    expect(mapErr(failed, (error) => error.code)).toEqual(err("READ_FAILED"));
  });

  it("matches, unwraps and narrows", () => {
    expect(match(ok(1), { ok: (value) => `ok ${value}`, err: () => "err" })).toBe("ok 1");
    expect(match(err(failure), { ok: () => "ok", err: (error) => error.code })).toBe("READ_FAILED");
    expect(unwrapOr(err(failure), 7)).toBe(7);
    expect(() => unwrap(err(failure))).toThrow("no data");
    const result: Result<number> = ok(3);
    if (isOk(result)) expectTypeOf(result.value).toEqualTypeOf<number>();
    expect(isErr(result)).toBe(false);
  });

  it("captures thrown errors and rejections as QiErrors", async () => {
    const thrown = tryCatch(() => JSON.parse("{"));
    expect(thrown.ok).toBe(false);
    if (!thrown.ok) expect(QiError.isInstance(thrown.error)).toBe(true);
    const rejected = await fromPromise(
      Promise.reject(Object.assign(new Error("reset"), { code: "ECONNRESET" })),
    );
    expect(rejected.ok ? undefined : rejected.error.retryable).toBe(true);
    expect(all([ok(1), ok(2)])).toEqual(ok([1, 2]));
    expect(all([ok(1), err(failure)])).toEqual(err(failure));
  });

  it("chains asynchronously with ResultAsync", async () => {
    const total = await ResultAsync.from(Promise.resolve(ok([1, 2, 3])))
      .map((values) => values.length)
      .andThen(async (count) => (count > 2 ? ok(count * 10) : err(failure)))
      .match({ ok: (value) => value, err: () => -1 });
    expect(total).toBe(30);
    const fallback = await ResultAsync.fromPromise(Promise.reject<number>(new Error("down"))).unwrapOr(0);
    expect(fallback).toBe(0);
    const awaited = await ResultAsync.from(ok("direct"));
    expect(awaited).toEqual(ok("direct"));
  });
});
