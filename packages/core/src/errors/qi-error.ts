import { redactSecrets } from "./redact";

/** Broad families of failure. The category decides how a caller reacts, the code says exactly what happened. */
export type ErrorCategory = "VALIDATION" | "NETWORK" | "EXTERNAL" | "SYSTEM" | "SECURITY" | "BUSINESS";

/**
 * Codes used by the core. Adapters may use their own codes (any UPPER_SNAKE string);
 * these are the ones the core itself raises and callers can switch on.
 */
export type CoreErrorCode =
  | "VALIDATION_FAILED"
  | "CONFIG_INVALID"
  | "CONFIG_NOT_FOUND"
  | "ADAPTER_NOT_FOUND"
  | "ADAPTER_INVALID"
  | "ADAPTER_INCOMPATIBLE"
  | "CAPABILITY_MISSING"
  | "NOT_CONNECTED"
  | "TIMEOUT"
  | "NETWORK_ERROR"
  | "EXTERNAL_ERROR"
  | "RATE_LIMITED"
  | "WRITE_FAILED"
  | "READ_FAILED"
  | "STATE_STORE_FAILED"
  | "RETRIES_EXHAUSTED"
  | "CANCELLED"
  | "INTERNAL";

export type ErrorCode = CoreErrorCode | (string & {});

export interface QiErrorOptions {
  code: ErrorCode;
  message: string;
  category: ErrorCategory;
  /** Whether trying the same operation again may succeed (a timeout yes, bad data no). */
  retryable?: boolean;
  /** Structured facts about the failure: ids, field paths, adapter names. Never secrets. */
  context?: Record<string, unknown>;
  cause?: unknown;
}

// A registry-wide symbol, so an error made by one installed copy of @qicore/core is
// recognised by another (adapters are versioned separately and may bring their own copy).
const BRAND = Symbol.for("qicore.error");

/** The one error type of QiCore: coded, categorised, with context and a cause. */
export class QiError extends Error {
  readonly code: ErrorCode;
  readonly category: ErrorCategory;
  readonly retryable: boolean;
  readonly context: Record<string, unknown>;
  readonly [BRAND] = true;

  constructor(options: QiErrorOptions) {
    super(redactSecrets(options.message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "QiError";
    this.code = options.code;
    this.category = options.category;
    this.retryable = options.retryable ?? defaultRetryable(options.category);
    this.context = options.context ?? {};
  }

  /** True for a QiError from any copy of the core; use this rather than `instanceof`. */
  static isInstance(value: unknown): value is QiError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** A copy with more context merged in. */
  withContext(context: Record<string, unknown>): QiError {
    return new QiError({
      code: this.code,
      message: this.message,
      category: this.category,
      retryable: this.retryable,
      context: { ...this.context, ...context },
      cause: this.cause,
    });
  }

  /** A plain, JSON-safe description (for logs, dead letters, MCP results). */
  toJSON(): {
    code: string;
    category: ErrorCategory;
    message: string;
    retryable: boolean;
    context: Record<string, unknown>;
  } {
    return {
      code: this.code,
      category: this.category,
      message: this.message,
      retryable: this.retryable,
      context: this.context,
    };
  }
}

function defaultRetryable(category: ErrorCategory): boolean {
  return category === "NETWORK";
}

/** The category each core code belongs to, so building a core error takes its code and message. */
export const CORE_ERROR_CATEGORIES: Readonly<Record<CoreErrorCode, ErrorCategory>> = {
  VALIDATION_FAILED: "VALIDATION",
  CONFIG_INVALID: "VALIDATION",
  CONFIG_NOT_FOUND: "VALIDATION",
  ADAPTER_NOT_FOUND: "VALIDATION",
  ADAPTER_INVALID: "VALIDATION",
  ADAPTER_INCOMPATIBLE: "VALIDATION",
  CAPABILITY_MISSING: "BUSINESS",
  NOT_CONNECTED: "SYSTEM",
  TIMEOUT: "NETWORK",
  NETWORK_ERROR: "NETWORK",
  EXTERNAL_ERROR: "EXTERNAL",
  RATE_LIMITED: "EXTERNAL",
  WRITE_FAILED: "EXTERNAL",
  READ_FAILED: "EXTERNAL",
  STATE_STORE_FAILED: "SYSTEM",
  RETRIES_EXHAUSTED: "EXTERNAL",
  CANCELLED: "SYSTEM",
  INTERNAL: "SYSTEM",
};

type ErrorExtras = Omit<QiErrorOptions, "code" | "message" | "category">;

/**
 * Builds an error from its code: a core code brings its category (and with it whether it is
 * retryable: NETWORK errors are), any other code names its category.
 *
 *     qiError("CONFIG_INVALID", `unknown key "${key}"`, { context: { key } })
 *     qiError("COINGECKO_WRONG_PLAN", message, { category: "SECURITY" })
 */
export function qiError(
  code: CoreErrorCode,
  message: string,
  options?: ErrorExtras & { category?: ErrorCategory },
): QiError;
export function qiError(
  code: ErrorCode,
  message: string,
  options: ErrorExtras & { category: ErrorCategory },
): QiError;
export function qiError(
  code: ErrorCode,
  message: string,
  options: ErrorExtras & { category?: ErrorCategory } = {},
): QiError {
  const category = options.category ?? CORE_ERROR_CATEGORIES[code as CoreErrorCode] ?? "SYSTEM";
  return new QiError({ ...options, code, message, category });
}

export const validationError = (message: string, context?: Record<string, unknown>) =>
  qiError("VALIDATION_FAILED", message, { context });

/**
 * Turns anything thrown into a QiError. Node's network errors become retryable
 * NETWORK errors; everything else is a SYSTEM error that keeps the original as cause.
 */
export function toQiError(thrown: unknown, fallback: Partial<QiErrorOptions> = {}): QiError {
  if (QiError.isInstance(thrown)) return thrown;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  const nodeCode = (thrown as { code?: unknown } | null)?.code;
  if (typeof nodeCode === "string" && NETWORK_CODES.has(nodeCode)) {
    return new QiError({
      code: "NETWORK_ERROR",
      message: `${fallback.message ? `${fallback.message}: ` : ""}${message}`,
      category: "NETWORK",
      retryable: true,
      context: { ...fallback.context, errno: nodeCode },
      cause: thrown,
    });
  }
  return new QiError({
    code: fallback.code ?? "INTERNAL",
    message: fallback.message ? `${fallback.message}: ${message}` : message,
    category: fallback.category ?? "SYSTEM",
    retryable: fallback.retryable ?? false,
    context: fallback.context,
    cause: thrown,
  });
}

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);
