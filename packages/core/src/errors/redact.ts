// Patterns that carry secrets in text we might print: passwords in URLs, API keys in
// query strings or headers, bearer tokens. Redaction happens where text is produced
// (error messages, logs), so a secret never depends on the caller remembering.
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*:)([^@/\s]+)(@)/gi;
const QUERY_SECRET =
  /([?&](?:x_cg_(?:demo|pro)_api_key|api[_-]?key|apikey|token|access_token|password|secret)=)([^&#\s"']+)/gi;
const HEADER_SECRET =
  /((?:x-cg-(?:demo|pro)-api-key|authorization|x-api-key|api-key|password|secret|token)["']?\s*[:=]\s*["']?(?:bearer\s+)?)([^\s"',}]+)/gi;

export const REDACTED = "***";

/** Replaces secrets found in a string with `***`. */
export function redactSecrets(text: string): string {
  return text
    .replace(URL_PASSWORD, `$1${REDACTED}$3`)
    .replace(QUERY_SECRET, `$1${REDACTED}`)
    .replace(HEADER_SECRET, `$1${REDACTED}`);
}

const SECRET_KEY = /(password|passwd|secret|token|api[_-]?key|apikey|credential|private[_-]?key|sasl)/i;

/** A deep copy of a config object with secret-looking keys and URL passwords masked. */
export function redactConfig<T>(value: T): T {
  if (typeof value === "string") return redactSecrets(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactConfig(item)) as T;
  if (value && typeof value === "object") {
    const copy: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      copy[key] =
        SECRET_KEY.test(key) && inner !== undefined && inner !== null ? REDACTED : redactConfig(inner);
    }
    return copy as T;
  }
  return value;
}
