import { describe, expect, it } from "vitest";
import { QiError, toQiError } from "./qi-error";
import { redactConfig, redactSecrets } from "./redact";

describe("QiError", () => {
  it("carries code, category, retryable flag, context and cause", () => {
    const cause = new Error("socket hang up");
    const error = new QiError({
      code: "WRITE_FAILED",
      message: "write failed",
      category: "EXTERNAL",
      context: { id: "db" },
      cause,
    });
    expect(error).toMatchObject({
      code: "WRITE_FAILED",
      category: "EXTERNAL",
      retryable: false,
      context: { id: "db" },
    });
    expect(error.cause).toBe(cause);
    expect(new QiError({ code: "NETWORK_ERROR", message: "x", category: "NETWORK" }).retryable).toBe(true);
  });

  it("is recognised across copies of the core through its registry-wide brand", () => {
    // A second copy of the class, as a separately installed core would have.
    const foreign = Object.assign(Object.create(Error.prototype), {
      [Symbol.for("qicore.error")]: true,
      code: "X",
    });
    expect(QiError.isInstance(foreign)).toBe(true);
    expect(QiError.isInstance(new Error("plain"))).toBe(false);
    expect(QiError.isInstance({ code: "X" })).toBe(false);
    expect(QiError.isInstance(null)).toBe(false);
  });

  it("maps Node network errors to retryable NETWORK errors and the rest to SYSTEM", () => {
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    expect(toQiError(reset)).toMatchObject({ code: "NETWORK_ERROR", category: "NETWORK", retryable: true });
    expect(toQiError(new TypeError("boom"))).toMatchObject({
      code: "INTERNAL",
      category: "SYSTEM",
      retryable: false,
    });
    expect(toQiError("text")).toMatchObject({ message: "text" });
  });

  it("never keeps a password from a URL in its message", () => {
    const error = new QiError({
      code: "NETWORK_ERROR",
      message: "cannot connect to postgres://writer:s3cr3t@db.example:5432/market",
      category: "NETWORK",
    });
    expect(error.message).not.toContain("s3cr3t");
    expect(error.message).toContain("postgres://writer:***@db.example:5432/market");
  });
});

describe("redaction", () => {
  it("masks API keys in query strings and headers", () => {
    expect(redactSecrets("GET /simple/price?ids=bitcoin&x_cg_demo_api_key=CG-abc123")).toBe(
      "GET /simple/price?ids=bitcoin&x_cg_demo_api_key=***",
    );
    expect(redactSecrets('{"x-cg-pro-api-key":"CG-secret"}')).not.toContain("CG-secret");
    expect(redactSecrets("Authorization: Bearer tok.en.value")).not.toContain("tok.en.value");
  });

  it("masks secret-looking keys and URL passwords in config objects", () => {
    const redacted = redactConfig({
      targets: [
        {
          config: { connectionString: "postgres://u:pw@h/db", apiKey: "k", password: "p", schema: "public" },
        },
      ],
    });
    expect(redacted.targets[0]?.config).toEqual({
      connectionString: "postgres://u:***@h/db",
      apiKey: "***",
      password: "***",
      schema: "public",
    });
  });
});
