/**
 * Endpoints of the real services that integration tests (`*.integration.test.ts`) run against.
 *
 * The global setup (test/global-setup.ts) finds or starts the services and hands their endpoints
 * to the test workers; these helpers read them. A test that needs a service calls the matching
 * `require...()` helper: it returns the endpoint or throws, so a missing service fails the test
 * instead of skipping it. See test/README.md.
 */
import { execFileSync } from "node:child_process";
import { inject } from "vitest";

/** What the global setup found or started, passed to the workers with `provide`. */
export interface ServiceEndpoints {
  /** TimescaleDB connection URL, e.g. `postgres://postgres@127.0.0.1:5433/postgres`. */
  timescaleUrl?: string;
  /** Plain PostgreSQL (no TimescaleDB) connection URL. */
  postgresUrl?: string;
  /** Kafka-protocol brokers, comma-separated `host:port`. */
  kafkaBrokers?: string;
  /**
   * The TimescaleDB edition the provider promises (`apache` for Debian's build that
   * scripts/services.sh runs, `timescale` for the timescale/timescaledb image), when known.
   */
  timescaleLicense?: string;
  /** Where the endpoints came from: `environment`, `testcontainers` or `services.sh`. */
  provider?: string;
  /** Why the services were not started (for the error message of a test that needs them). */
  notStartedReason?: string;
}

declare module "vitest" {
  interface ProvidedContext {
    qicoreServices: ServiceEndpoints;
  }
}

/** The environment variables that carry the endpoints, from the CI script or a developer's shell. */
export const serviceVariables = {
  timescaleUrl: "QICORE_TEST_TIMESCALE_URL",
  postgresUrl: "QICORE_TEST_POSTGRES_URL",
  kafkaBrokers: "QICORE_TEST_KAFKA_BROKERS",
  timescaleLicense: "QICORE_TEST_TIMESCALE_LICENSE",
} as const;

type EndpointName = "timescaleUrl" | "postgresUrl" | "kafkaBrokers";

const descriptions: Record<EndpointName, string> = {
  timescaleUrl: "TimescaleDB",
  postgresUrl: "plain PostgreSQL",
  kafkaBrokers: "a Kafka broker",
};

function provided(): ServiceEndpoints {
  try {
    return inject("qicoreServices") ?? {};
  } catch {
    // Outside a vitest worker (a script importing this file) only the environment counts.
    return {};
  }
}

function requireEndpoint(name: EndpointName): string {
  const fromEnvironment = process.env[serviceVariables[name]];
  if (fromEnvironment) return fromEnvironment;
  const endpoints = provided();
  const value = endpoints[name];
  if (value) return value;
  const reason = endpoints.notStartedReason ? ` The global setup said: ${endpoints.notStartedReason}.` : "";
  throw new Error(
    `This test needs ${descriptions[name]}, but no endpoint is set.${reason} ` +
      `Name the test file *.integration.test.ts so the global setup starts the services, ` +
      `or set ${serviceVariables[name]} (e.g. eval "$(bash scripts/services.sh env)" after ` +
      `bash scripts/services.sh up). See test/README.md.`,
  );
}

/** The TimescaleDB URL, or throws when no TimescaleDB is available. */
export function requireTimescaleUrl(): string {
  return requireEndpoint("timescaleUrl");
}

/** The plain PostgreSQL URL (a server without TimescaleDB), or throws. */
export function requirePostgresUrl(): string {
  return requireEndpoint("postgresUrl");
}

/** The Kafka brokers (`host:port[,host:port]`), or throws. */
export function requireKafkaBrokers(): string {
  return requireEndpoint("kafkaBrokers");
}

/** The Kafka brokers as a list, the form kafkajs takes. */
export function requireKafkaBrokerList(): string[] {
  return requireKafkaBrokers()
    .split(",")
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
}

/**
 * The TimescaleDB edition the endpoint's provider promises (`apache` or `timescale`), or
 * undefined when the endpoint came from elsewhere without saying.
 */
export function expectedTimescaleLicense(): string | undefined {
  return process.env[serviceVariables.timescaleLicense] || provided().timescaleLicense || undefined;
}

/**
 * The path of Debian's `kcat` (a non-JavaScript Kafka client for cross-client checks), or throws.
 * scripts/services.sh installs it; with Docker, install it yourself (`apt-get install kcat`).
 */
export function requireKcat(): string {
  const configured = process.env.QICORE_KCAT;
  if (configured) return configured;
  try {
    return execFileSync("sh", ["-c", "command -v kcat || command -v kafkacat"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error(
      "This test needs kcat (Debian's package `kcat`), which is not on PATH: run bash scripts/services.sh up " +
        "(it installs kcat) or apt-get install kcat, or set QICORE_KCAT to its path.",
    );
  }
}

/** A Kafka listener that requires SASL, and a user it knows. */
export interface KafkaSaslEndpoint {
  brokers: string;
  username: string;
  password: string;
}

/**
 * The SASL listener of the test broker (PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 for one user),
 * or throws. scripts/services.sh's broker has one on port 9094; elsewhere point
 * QICORE_TEST_KAFKA_SASL_BROKERS, _USERNAME and _PASSWORD at any listener that has them.
 */
export function requireKafkaSasl(): KafkaSaslEndpoint {
  const brokers = process.env.QICORE_TEST_KAFKA_SASL_BROKERS;
  const username = process.env.QICORE_TEST_KAFKA_SASL_USERNAME;
  const password = process.env.QICORE_TEST_KAFKA_SASL_PASSWORD;
  if (brokers && username && password) return { brokers, username, password };
  throw new Error(
    "This test needs a Kafka listener with SASL (PLAIN and SCRAM) and a user on it: set " +
      "QICORE_TEST_KAFKA_SASL_BROKERS, QICORE_TEST_KAFKA_SASL_USERNAME and QICORE_TEST_KAFKA_SASL_PASSWORD " +
      '(eval "$(bash scripts/services.sh env)" after bash scripts/services.sh up gives the local broker\'s). See test/README.md.',
  );
}
