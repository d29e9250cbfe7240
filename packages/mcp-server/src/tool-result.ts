import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { QiError, redactSecrets, toQiError } from "@qicore/core";

/**
 * A successful tool result: the data as structured content (checked by the SDK
 * against the tool's output schema) and as JSON text for clients that read only text.
 */
export function success(structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(structured) }], structuredContent: structured };
}

/**
 * A failed tool call the agent can act on: `isError` with a message that says what
 * is wrong (and what to do), secrets redacted. Errors are results, not protocol
 * errors, so the model sees them and the session goes on.
 */
export function failure(error: unknown): CallToolResult {
  const qiError = QiError.isInstance(error) ? error : toQiError(error);
  const message = redactSecrets(qiError.message);
  // No structured content: clients check it against the tool's output schema even on errors.
  return { isError: true, content: [{ type: "text", text: `${qiError.code}: ${message}` }] };
}
