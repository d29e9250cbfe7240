import { describe, expect, it } from "vitest";
import { interpolate, interpolateText } from "./interpolate";
import { closest } from "./suggest";

describe("interpolateText", () => {
  const env = { HOST: "db.internal", EMPTY: "", PORT: "5432" };

  it("replaces variables, uses defaults for unset or empty ones, and keeps other dollars", () => {
    expect(interpolateText("postgres://${HOST}:${PORT}/x", env)).toEqual({
      text: "postgres://db.internal:5432/x",
      problems: [],
      substituted: true,
    });
    expect(interpolateText("${EMPTY:-fallback}|${MISSING:-}|${EMPTY}", env).text).toBe("fallback||");
    expect(interpolateText("costs $5, $HOST stays", env)).toEqual({
      text: "costs $5, $HOST stays",
      problems: [],
      substituted: false,
    });
  });

  it("writes $${ as a literal ${", () => {
    expect(interpolateText("$${HOST} and ${HOST}", env).text).toBe("${HOST} and db.internal");
  });

  it("reports every unset variable and malformed reference in a string", () => {
    expect(interpolateText("${A}-${B}-${C", env).problems).toEqual([
      "environment variable A is not set; set it, or give a default as in ${VAR:-default}",
      "environment variable B is not set; set it, or give a default as in ${VAR:-default}",
      '"${C" has no closing "}" (write $${ for a literal ${)',
    ]);
    expect(interpolateText("${with space}", env).problems).toEqual([
      '"${with space}" is not a variable reference; write ${NAME} or ${NAME:-default}',
    ]);
  });
});

describe("interpolate", () => {
  it("walks plain objects and arrays, leaves other objects alone, and records substituted paths", () => {
    class Client {
      url = "${HOST}";
    }
    const client = new Client();
    const result = interpolate({ a: ["${HOST}", 1, { b: "x${HOST}" }], client }, { HOST: "h" });
    expect(result.value).toEqual({ a: ["h", 1, { b: "xh" }], client });
    expect((result.value as { client: Client }).client).toBe(client);
    expect([...result.substituted]).toEqual(['["a",0]', '["a",2,"b"]']);
  });
});

describe("closest", () => {
  it("suggests a near key, including swapped letters, and nothing for a far one", () => {
    expect(closest("tagets", ["sources", "targets", "routes"])).toBe("targets");
    expect(closest("soruces", ["sources", "targets"])).toBe("sources");
    expect(closest("delivry", ["delivery", "health"])).toBe("delivery");
    expect(closest("banana", ["sources", "targets"])).toBeUndefined();
  });
});
