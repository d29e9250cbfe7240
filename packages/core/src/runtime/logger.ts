import { redactSecrets } from "../errors/redact";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** Structured logging: a message plus fields. Implementations must not print secrets. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines carry these fields too (`{ adapter: "db" }`). */
  child(fields: Record<string, unknown>): Logger;
}

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface ConsoleLoggerOptions {
  level?: LogLevel;
  /** `json`: one JSON object a line (for log shippers); `pretty`: readable lines. */
  format?: "json" | "pretty";
  /** Where lines go; standard error by default so standard output stays for data. */
  write?: (line: string) => void;
}

/** A logger writing JSON lines or readable lines, with secrets redacted from every line. */
export function createConsoleLogger(
  options: ConsoleLoggerOptions = {},
  bound: Record<string, unknown> = {},
): Logger {
  const threshold = LEVEL_ORDER[options.level ?? "info"];
  const format = options.format ?? "pretty";
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const emit = (level: Exclude<LogLevel, "silent">, message: string, fields?: Record<string, unknown>) => {
    if (LEVEL_ORDER[level] < threshold) return;
    const all = { ...bound, ...fields };
    const line =
      format === "json"
        ? JSON.stringify({ time: new Date().toISOString(), level, message, ...all }, jsonReplacer)
        : `${level.padEnd(5)} ${message}${formatFields(all)}`;
    write(redactSecrets(line));
  };
  return {
    debug: (message, fields) => emit("debug", message, fields),
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
    child: (fields) => createConsoleLogger(options, { ...bound, ...fields }),
  };
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const withJson = value as Error & { toJSON?: () => unknown };
    return typeof withJson.toJSON === "function"
      ? withJson.toJSON()
      : { name: value.name, message: value.message };
  }
  return value;
}

function formatFields(fields: Record<string, unknown>): string {
  const entries = Object.entries(fields).filter(([, value]) => value !== undefined);
  if (entries.length === 0) return "";
  return ` ${entries
    .map(
      ([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value, jsonReplacer)}`,
    )
    .join(" ")}`;
}

/** A logger that drops everything (tests, embedding with own logging). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

/** A logger that keeps lines in memory, for tests that assert on what was logged. */
export function createMemoryLogger(): Logger & {
  lines: { level: string; message: string; fields: Record<string, unknown> }[];
} {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const make = (bound: Record<string, unknown>): Logger => {
    const push = (level: string) => (message: string, fields?: Record<string, unknown>) =>
      lines.push({ level, message: redactSecrets(message), fields: { ...bound, ...fields } });
    return {
      debug: push("debug"),
      info: push("info"),
      warn: push("warn"),
      error: push("error"),
      child: (fields) => make({ ...bound, ...fields }),
    };
  };
  return Object.assign(make({}), { lines });
}
