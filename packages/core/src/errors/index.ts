export * from "./qi-error";
export { REDACTED, redactConfig, redactSecrets } from "./redact";
