import { type QiError, toQiError } from "../errors/qi-error";

/** A success holding a value. */
export interface Ok<T> {
  readonly ok: true;
  readonly value: T;
}

/** A failure holding an error. */
export interface Err<E> {
  readonly ok: false;
  readonly error: E;
}

/**
 * The outcome of an operation that can fail in expected ways: adapter operations,
 * pipeline steps and config loading return it instead of throwing.
 */
export type Result<T, E = QiError> = Ok<T> | Err<E>;

/** A Result delivered later. */
export type AsyncResult<T, E = QiError> = Promise<Result<T, E>>;

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value });
export const err = <E>(error: E): Err<E> => ({ ok: false, error });

export const isOk = <T, E>(result: Result<T, E>): result is Ok<T> => result.ok;
export const isErr = <T, E>(result: Result<T, E>): result is Err<E> => !result.ok;

export function map<T, U, E>(result: Result<T, E>, transform: (value: T) => U): Result<U, E> {
  return result.ok ? ok(transform(result.value)) : result;
}

export function mapErr<T, E, F>(result: Result<T, E>, transform: (error: E) => F): Result<T, F> {
  return result.ok ? result : err(transform(result.error));
}

export function andThen<T, U, E, F = E>(
  result: Result<T, E>,
  next: (value: T) => Result<U, F>,
): Result<U, E | F> {
  return result.ok ? next(result.value) : result;
}

export function match<T, E, R>(
  result: Result<T, E>,
  handlers: { ok: (value: T) => R; err: (error: E) => R },
): R {
  return result.ok ? handlers.ok(result.value) : handlers.err(result.error);
}

/** The value, or the fallback on failure. */
export function unwrapOr<T, E>(result: Result<T, E>, fallback: T): T {
  return result.ok ? result.value : fallback;
}

/** The value; throws the error on failure (for tests and top-level scripts). */
export function unwrap<T, E>(result: Result<T, E>): T {
  if (result.ok) return result.value;
  throw result.error instanceof Error ? result.error : new Error(String(result.error));
}

/** Runs a function that may throw and captures the outcome as a Result. */
export function tryCatch<T>(run: () => T, describe?: (thrown: unknown) => QiError): Result<T, QiError> {
  try {
    return ok(run());
  } catch (thrown) {
    return err(describe ? describe(thrown) : toQiError(thrown));
  }
}

/** Awaits a promise and captures the outcome as a Result. */
export async function fromPromise<T>(
  promise: PromiseLike<T>,
  describe?: (thrown: unknown) => QiError,
): AsyncResult<T, QiError> {
  try {
    return ok(await promise);
  } catch (thrown) {
    return err(describe ? describe(thrown) : toQiError(thrown));
  }
}

/** Collects a list of Results into one: all values, or the first error. */
export function all<T, E>(results: readonly Result<T, E>[]): Result<T[], E> {
  const values: T[] = [];
  for (const result of results) {
    if (!result.ok) return result;
    values.push(result.value);
  }
  return ok(values);
}

/**
 * The async form: wraps a promised Result so steps chain without awaiting each one.
 *
 *     const total = await ResultAsync.from(source.getCurrentPrices(["bitcoin"]))
 *       .map((prices) => prices.length)
 *       .andThen((count) => (count > 0 ? ok(count) : err(noData)))
 *       .match({ ok: (n) => n, err: () => 0 });
 */
export class ResultAsync<T, E = QiError> implements PromiseLike<Result<T, E>> {
  private constructor(private readonly promise: Promise<Result<T, E>>) {}

  static from<T, E = QiError>(result: Result<T, E> | PromiseLike<Result<T, E>>): ResultAsync<T, E> {
    return new ResultAsync(Promise.resolve(result));
  }

  /** Wraps a promise that may reject; rejections become QiErrors. */
  static fromPromise<T>(
    promise: PromiseLike<T>,
    describe?: (thrown: unknown) => QiError,
  ): ResultAsync<T, QiError> {
    return new ResultAsync(fromPromise(promise, describe));
  }

  map<U>(transform: (value: T) => U | PromiseLike<U>): ResultAsync<U, E> {
    return new ResultAsync(
      this.promise.then(async (result) => (result.ok ? ok(await transform(result.value)) : result)),
    );
  }

  mapErr<F>(transform: (error: E) => F): ResultAsync<T, F> {
    return new ResultAsync(this.promise.then((result) => mapErr(result, transform)));
  }

  andThen<U, F = E>(next: (value: T) => Result<U, F> | PromiseLike<Result<U, F>>): ResultAsync<U, E | F> {
    return new ResultAsync<U, E | F>(
      this.promise.then((result): Result<U, E | F> | PromiseLike<Result<U, F>> =>
        result.ok ? next(result.value) : result,
      ),
    );
  }

  match<R>(handlers: { ok: (value: T) => R; err: (error: E) => R }): Promise<R> {
    return this.promise.then((result) => match(result, handlers));
  }

  unwrapOr(fallback: T): Promise<T> {
    return this.promise.then((result) => unwrapOr(result, fallback));
  }

  // biome-ignore lint/suspicious/noThenProperty: a ResultAsync is awaitable by design.
  then<A = Result<T, E>, B = never>(
    onFulfilled?: ((value: Result<T, E>) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): PromiseLike<A | B> {
    return this.promise.then(onFulfilled, onRejected);
  }
}
