import { QiError, qiError, redactSecrets } from "@qicore/core/adapter";

/** The adapter's name, as error messages and log lines give it. */
export const ADAPTER_NAME = "timescale";

/**
 * How a database error should be handled:
 * - `transient`: the connection or server hiccuped; the same statement may succeed on a new connection.
 * - `record`: the data was refused (class 22 data exception, class 23 constraint); retrying cannot help,
 *   but other records of the batch may still land.
 * - `fatal`: anything else (missing table, permission, syntax); the whole operation fails.
 */
export type FailureKind = "transient" | "record" | "fatal";

const TRANSIENT_STATES = new Set([
  "40001", // serialization_failure
  "40P01", // deadlock_detected
  "53300", // too_many_connections
  "53400", // configuration_limit_exceeded
  "55P03", // lock_not_available
  "57014", // query_canceled (statement timeout, pg_cancel_backend)
  "57P01", // admin_shutdown (pg_terminate_backend)
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, recovering)
  "58000", // system_error
  "58030", // io_error
]);

const TRANSIENT_ERRNOS = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  // A COPY stream cut off by a lost connection.
  "ERR_STREAM_PREMATURE_CLOSE",
  "ERR_STREAM_DESTROYED",
]);

// node-postgres reports a lost connection with a message, not a code.
const TRANSIENT_MESSAGES = [
  /connection terminated/i,
  /terminating connection/i,
  /connection (?:is )?closed/i,
  /not queryable/i,
  /timeout exceeded when trying to connect/i,
  /server closed the connection/i,
  /the database system is (?:starting up|shutting down|in recovery mode)/i,
];

/**
 * The SQLSTATE of a database error, if it carries one. No SQLSTATE class starts with
 * "E", while Node's errno codes all do: "EPIPE" is five capitals too and must not pass.
 */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-DF-Z][0-9A-Z]{4}$/.test(code) ? code : undefined;
}

export function classifyFailure(error: unknown): FailureKind {
  if (QiError.isInstance(error)) {
    const inner = error.cause;
    if (inner !== undefined && inner !== error) return classifyFailure(inner);
    return error.retryable ? "transient" : "fatal";
  }
  const state = sqlState(error);
  if (state) {
    if (TRANSIENT_STATES.has(state) || state.startsWith("08")) return "transient";
    if (state.startsWith("22") || state.startsWith("23")) return "record";
    return "fatal";
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && TRANSIENT_ERRNOS.has(code)) return "transient";
  const message = error instanceof Error ? error.message : String(error);
  if (TRANSIENT_MESSAGES.some((pattern) => pattern.test(message))) return "transient";
  return "fatal";
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const state = sqlState(error);
  const detail = (error as { detail?: unknown } | null)?.detail;
  const parts = [message];
  if (typeof detail === "string" && detail.length > 0) parts.push(detail);
  if (state) parts.push(`SQLSTATE ${state}`);
  return redactSecrets(parts.join("; "));
}

/**
 * Turns a database error into a QiError saying what failed and where.
 * `action` reads like "writing 500 price records to public.crypto_prices".
 */
export function databaseError(
  error: unknown,
  action: string,
  context: Record<string, unknown> = {},
  code?: string,
): QiError {
  if (QiError.isInstance(error)) {
    const withContext = error.withContext(context);
    if (code === undefined || code === error.code) return withContext;
    return new QiError({ ...withContext.toJSON(), code, cause: error.cause ?? error });
  }
  const kind = classifyFailure(error);
  const state = sqlState(error);
  const base = { ...context, ...(state ? { sqlState: state } : {}) };
  if (kind === "transient") {
    return qiError(
      code ?? "NETWORK_ERROR",
      `${ADAPTER_NAME}: ${action} failed (connection problem, may succeed later): ${describe(error)}`,
      { category: "NETWORK", context: base, cause: error },
    );
  }
  if (kind === "record") {
    return qiError(
      code ?? "WRITE_FAILED",
      `${ADAPTER_NAME}: the database refused the record while ${action}: ${describe(error)}`,
      { category: "VALIDATION", context: base, cause: error },
    );
  }
  // Class 28 (wrong password, no such role, pg_hba refusal) and 42501 (insufficient
  // privilege) are about credentials, not the database's health.
  const security = state !== undefined && (state.startsWith("28") || state === "42501");
  return qiError(
    code ?? (security ? "AUTHENTICATION_FAILED" : "EXTERNAL_ERROR"),
    `${ADAPTER_NAME}: ${action} failed: ${describe(error)}${security ? " (check the user, password and grants in connectionString)" : ""}`,
    { category: security ? "SECURITY" : "EXTERNAL", retryable: false, context: base, cause: error },
  );
}
