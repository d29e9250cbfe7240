import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { MCP_SERVER_VERSION } from "./version";

it("reports the version in package.json to clients", () => {
  const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  expect(MCP_SERVER_VERSION).toBe(manifest.version);
});
