/**
 * scripts/services.sh never fails silently: a failing installation step is named with its log,
 * and a command that fails outside a logged step is named with its line. Both run the real
 * script, with a temporary cache and ports of their own so the suite's services are untouched.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const script = fileURLToPath(new URL("../scripts/services.sh", import.meta.url));
const folders: string[] = [];

function temporaryFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), "qicore-services-script-"));
  folders.push(folder);
  return folder;
}

function runServices(args: string[], environment: Record<string, string>) {
  return spawnSync("bash", [script, ...args], {
    encoding: "utf8",
    timeout: 60_000,
    env: {
      ...process.env,
      QICORE_KAFKA_PORT: "29092",
      QICORE_KAFKA_CONTROLLER_PORT: "29093",
      QICORE_KAFKA_SASL_PORT: "29094",
      ...environment,
    },
  });
}

afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe("scripts/services.sh on failure", () => {
  it("names the failed step, shows the end of its log and says where the log is", () => {
    const cache = temporaryFolder();
    // A Maven that cannot fetch anything, as on a machine without Maven Central.
    const fakeBin = join(temporaryFolder(), "bin");
    mkdirSync(fakeBin);
    writeFileSync(
      join(fakeBin, "mvn"),
      "#!/bin/sh\necho 'Could not resolve org.apache.kafka:kafka_2.13' >&2\nexit 3\n",
    );
    chmodSync(join(fakeBin, "mvn"), 0o755);

    const result = runServices(["up", "kafka"], {
      QICORE_SERVICES_CACHE: cache,
      PATH: `${fakeBin}:${process.env.PATH ?? ""}`,
    });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      'step "kafka: fetch the broker and tools from Maven Central" failed (exit 3)',
    );
    expect(result.stderr).toContain("Could not resolve org.apache.kafka:kafka_2.13");
    const log = join(cache, "logs", "kafka-fetch.log");
    expect(result.stderr).toContain(log);
    expect(readFileSync(log, "utf8")).toContain("Could not resolve");
    // Nothing was left half-installed for the next run to trust.
    expect(existsSync(join(cache, "kafka", "lib.pom-sha256"))).toBe(false);
  });

  it("names the command, its line and the step when a command fails outside a logged step", () => {
    // A cache path below a regular file cannot be created.
    const parent = temporaryFolder();
    writeFileSync(join(parent, "a-file"), "");
    const result = runServices(["up", "kafka"], { QICORE_SERVICES_CACHE: join(parent, "a-file", "cache") });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(
      /services\.sh: "up kafka" failed \(exit 1\) at scripts\/services\.sh line \d+: mkdir -p/,
    );
  });

  it("refuses an unknown service by name instead of starting nothing", () => {
    const result = runServices(["up", "redis"], { QICORE_SERVICES_CACHE: temporaryFolder() });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("unknown service 'redis' (known: timescale postgres kafka chromium)");
    expect(result.stderr).not.toContain("all up");
  });
});
