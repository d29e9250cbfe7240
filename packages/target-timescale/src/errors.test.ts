import { QiError } from "@qicore/core";
import { describe, expect, it } from "vitest";
import { classifyFailure, databaseError } from "./errors";

const withState = (code: string, message = "boom") => Object.assign(new Error(message), { code });

describe("database error classification", () => {
  it("treats lost connections, shutdowns, serialization failures and too many connections as transient", () => {
    for (const code of ["57P01", "40001", "40P01", "53300", "08006", "08001"]) {
      expect(classifyFailure(withState(code)), code).toBe("transient");
    }
    expect(classifyFailure(withState("ECONNRESET"))).toBe("transient");
    // A COPY stream writing into a killed connection: five capitals, but an errno, not a SQLSTATE.
    expect(classifyFailure(withState("EPIPE", "write EPIPE"))).toBe("transient");
    expect(classifyFailure(new Error("Connection terminated unexpectedly"))).toBe("transient");
  });

  it("treats data and constraint errors as the record's fault, and the rest as fatal", () => {
    expect(classifyFailure(withState("22003"))).toBe("record");
    expect(classifyFailure(withState("23514"))).toBe("record");
    expect(classifyFailure(withState("42P01"))).toBe("fatal");
    expect(classifyFailure(new Error("something else"))).toBe("fatal");
  });

  it("says what was attempted, keeps the SQLSTATE and the cause, and masks passwords", () => {
    const cause = withState(
      "57P01",
      "terminating connection due to administrator command at postgres://u:pw@host/db",
    );
    const error = databaseError(cause, "writing 3 price records to public.crypto_prices", { table: "t" });
    expect(QiError.isInstance(error)).toBe(true);
    expect(error.retryable).toBe(true);
    expect(error.category).toBe("NETWORK");
    expect(error.context).toMatchObject({ table: "t", sqlState: "57P01" });
    expect(error.cause).toBe(cause);
    expect(error.message).toMatch(/^timescale: writing 3 price records to public\.crypto_prices failed/);
    expect(error.message).not.toContain(":pw@");
    expect(databaseError(withState("42P01"), "reading", {}, "READ_FAILED").code).toBe("READ_FAILED");
  });
});
