/**
 * Vitest global setup: finds or starts the real services the integration tests need and hands
 * their endpoints to the test workers (`provide("qicoreServices")`, read by test/services.ts).
 *
 * Order: endpoints from the environment (QICORE_TEST_*), else testcontainers when a Docker
 * engine answers, else scripts/services.sh (TimescaleDB, PostgreSQL 15 and Kafka on loopback).
 * Services start only when the run includes `*.integration.test.ts` files, so a unit-test run
 * stays fast; QICORE_SERVICES=on|off forces the choice. See test/README.md.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TestProject, TestSpecification } from "vitest/node";
import type { ServiceEndpoints } from "./services";

type ServiceName = "timescale" | "postgres" | "kafka";
type Endpoints = Pick<ServiceEndpoints, "timescaleUrl" | "postgresUrl" | "kafkaBrokers" | "timescaleLicense">;

const endpointOf = {
  timescale: "timescaleUrl",
  postgres: "postgresUrl",
  kafka: "kafkaBrokers",
} as const satisfies Record<ServiceName, keyof Endpoints>;

const variableOf = {
  timescaleUrl: "QICORE_TEST_TIMESCALE_URL",
  postgresUrl: "QICORE_TEST_POSTGRES_URL",
  kafkaBrokers: "QICORE_TEST_KAFKA_BROKERS",
  timescaleLicense: "QICORE_TEST_TIMESCALE_LICENSE",
} as const satisfies Record<keyof Endpoints, string>;

const allServices: ServiceName[] = ["timescale", "postgres", "kafka"];
const integrationFile = /\.integration\.test\.[cm]?[jt]sx?$/;
const servicesScript = fileURLToPath(new URL("../scripts/services.sh", import.meta.url));

// Pinned so a run is reproducible; the same images as docker-compose.yml.
const images = {
  timescale: "timescale/timescaledb:latest-pg17",
  postgres: "postgres:15",
  redpanda: "docker.redpanda.com/redpandadata/redpanda:v26.1.9",
};

function log(message: string): void {
  process.stderr.write(`[services] ${message}\n`);
}

function endpointsFromEnvironment(): Endpoints {
  const endpoints: Endpoints = {};
  for (const [key, variable] of Object.entries(variableOf) as [keyof Endpoints, string][]) {
    const value = process.env[variable];
    if (value) endpoints[key] = value;
  }
  return endpoints;
}

function missingServices(endpoints: Endpoints): ServiceName[] {
  return allServices.filter((service) => !endpoints[endpointOf[service]]);
}

/**
 * The files of this run, when vitest tells (its state API is marked experimental); undefined when
 * it does not, in which case the services start to be safe.
 */
function selectedFiles(project: TestProject): string[] | undefined {
  try {
    // Vitest records the paths of the run's test files before it calls the global setup.
    const files = [...project.vitest.state.pathsSet];
    return files.length > 0 ? files : undefined;
  } catch {
    return undefined;
  }
}

/** Exported environment so that code under test and child processes see the endpoints too. */
function exportToEnvironment(endpoints: Endpoints): void {
  for (const [key, variable] of Object.entries(variableOf) as [keyof Endpoints, string][]) {
    const value = endpoints[key];
    if (value) process.env[variable] = value;
  }
}

// ---------------------------------------------------------------------------------------------
// scripts/services.sh

function runScript(arguments_: string[], captureOutput: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [servicesScript, ...arguments_], {
      stdio: ["ignore", captureOutput ? "pipe" : "inherit", "inherit"],
    });
    let output = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    child.on("error", (error) =>
      reject(new Error(`could not run bash ${servicesScript}: ${error.message}`, { cause: error })),
    );
    child.on("close", (code) => {
      if (code === 0) resolve(output);
      else
        reject(
          new Error(
            `bash scripts/services.sh ${arguments_.join(" ")} exited with ${code}; its messages above name the failed step and its log`,
          ),
        );
    });
  });
}

/** Parses the `export NAME='value'` lines that `services.sh env` prints. */
function parseScriptEnvironment(output: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const line of output.split("\n")) {
    const match = /^export ([A-Z0-9_]+)='([^']*)'$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) variables[match[1]] = match[2];
  }
  return variables;
}

async function startWithScript(services: ServiceName[]): Promise<Endpoints> {
  log(`starting ${services.join(", ")} with scripts/services.sh (the first run installs them)`);
  await runScript(["up", ...services], false);
  const variables = parseScriptEnvironment(await runScript(["env"], true));
  // Benchmarks and tests that run Kafka's own tools find them through these.
  // The SASL listener's endpoint and user are read from the environment by requireKafkaSasl().
  for (const name of [
    "QICORE_KAFKA_CLASSPATH",
    "QICORE_SERVICES_CACHE",
    "QICORE_TEST_KAFKA_SASL_BROKERS",
    "QICORE_TEST_KAFKA_SASL_USERNAME",
    "QICORE_TEST_KAFKA_SASL_PASSWORD",
  ]) {
    const value = variables[name];
    if (value) process.env[name] = value;
  }
  // Debian's TimescaleDB build is the Apache-2 edition.
  const endpoints: Endpoints = services.includes("timescale") ? { timescaleLicense: "apache" } : {};
  for (const service of services) {
    const key = endpointOf[service];
    const value = variables[variableOf[key]];
    if (!value) throw new Error(`scripts/services.sh env did not print ${variableOf[key]}`);
    endpoints[key] = value;
  }
  return endpoints;
}

// ---------------------------------------------------------------------------------------------
// testcontainers (when a Docker engine is reachable)

async function dockerReachable(): Promise<boolean> {
  if (process.env.QICORE_SERVICES_PROVIDER === "script") return false;
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error("timed out")), 10_000).unref(),
    );
    await Promise.race([getContainerRuntimeClient(), timeout]);
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return import("node:net").then(
    ({ createServer }) =>
      new Promise((resolve, reject) => {
        const server = createServer();
        server.once("error", reject);
        server.listen(0, () => {
          const address = server.address();
          server.close(() =>
            typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
          );
        });
      }),
  );
}

interface Started {
  endpoints: Endpoints;
  provider: "testcontainers" | "services.sh";
  stop: () => Promise<void>;
}

async function startWithTestcontainers(services: ServiceName[]): Promise<Started> {
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import("testcontainers");
  const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
  const host = (await getContainerRuntimeClient()).info.containerRuntime.host;
  const stops: (() => Promise<unknown>)[] = [];
  const endpoints: Endpoints = {};
  log(`starting ${services.join(", ")} with testcontainers`);

  const starts = services.map(async (service) => {
    if (service === "timescale" || service === "postgres") {
      const container = await new PostgreSqlContainer(images[service]).withDatabase("postgres").start();
      stops.push(() => container.stop());
      endpoints[endpointOf[service]] = container.getConnectionUri();
      // The timescale/timescaledb image is the Timescale-License (community) edition.
      if (service === "timescale") endpoints.timescaleLicense = "timescale";
      return;
    }
    // Redpanda advertises the address clients must use, so the host port is fixed before start.
    const port = await freePort();
    const container = await new GenericContainer(images.redpanda)
      .withExposedPorts({ container: 19092, host: port })
      .withCommand([
        "redpanda",
        "start",
        "--mode",
        "dev-container",
        "--smp",
        "1",
        "--kafka-addr",
        "internal://0.0.0.0:9092,external://0.0.0.0:19092",
        "--advertise-kafka-addr",
        `internal://localhost:9092,external://${host}:${port}`,
      ])
      .withWaitStrategy(Wait.forLogMessage(/Successfully started Redpanda!/))
      .withStartupTimeout(120_000)
      .start();
    stops.push(() => container.stop());
    endpoints.kafkaBrokers = `${host}:${port}`;
  });
  const results = await Promise.allSettled(starts);
  const stop = async () => {
    await Promise.allSettled(stops.map((stopOne) => stopOne()));
  };
  const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failure) {
    await stop();
    throw new Error(`testcontainers could not start the services: ${String(failure.reason)}`, {
      cause: failure.reason,
    });
  }
  return { endpoints, provider: "testcontainers", stop };
}

// ---------------------------------------------------------------------------------------------

/** Starts what the environment does not name; returns a teardown when containers were started. */
async function startMissing(missing: ServiceName[]): Promise<Started> {
  if (await dockerReachable()) return startWithTestcontainers(missing);
  return { endpoints: await startWithScript(missing), provider: "services.sh", stop: async () => {} };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const mode = process.env.QICORE_SERVICES ?? "auto";
  const fromEnvironment = endpointsFromEnvironment();
  const missing = missingServices(fromEnvironment);
  let current: ServiceEndpoints = { ...fromEnvironment, provider: "environment" };
  let stopContainers: () => Promise<void> = async () => {};
  let started = missing.length === 0;

  const start = async () => {
    const result = await startMissing(missing);
    stopContainers = result.stop;
    current = { ...result.endpoints, ...fromEnvironment, provider: result.provider };
    exportToEnvironment(current);
    started = true;
    log(
      `endpoints: timescale ${current.timescaleUrl ?? "-"}, postgres ${current.postgresUrl ?? "-"}, kafka ${current.kafkaBrokers ?? "-"}`,
    );
  };

  if (!started) {
    const files = selectedFiles(project);
    const needed =
      mode === "on" ||
      (mode !== "off" && (files === undefined || files.some((file) => integrationFile.test(file))));
    if (needed) await start();
    else
      current.notStartedReason =
        mode === "off"
          ? "QICORE_SERVICES=off"
          : "the run began without *.integration.test.ts files, so the services were not started";
  }
  project.provide("qicoreServices", current);

  // In watch mode a later run may select integration tests: start the services then.
  project.onTestsRerun(async (specifications: TestSpecification[]) => {
    if (started || mode === "off") return;
    if (!specifications.some((specification) => integrationFile.test(specification.moduleId))) return;
    await start();
    project.provide("qicoreServices", current);
  });

  return async () => {
    await stopContainers();
  };
}
