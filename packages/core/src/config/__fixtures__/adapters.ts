import { z } from "zod";
import { defineSource, defineTarget } from "../../adapters/define";
import { ADAPTER_CONTRACT_VERSION } from "../../adapters/types";
import { RECORD_KINDS } from "../../dsl/kinds";
import { AdapterRegistry, createRegistry } from "../../registry/registry";

// Small adapters for the config tests: their schemas and capabilities are what the
// loader checks; they never run.

export const pricesSource = defineSource({
  name: "test-prices",
  description: "Prices and candles for config tests.",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: ">=0.0.0",
  configSchema: z.strictObject({
    coins: z.array(z.string(), { error: "expected an array of coin ids" }).min(1),
    count: z.number().int().positive().optional(),
    apiKey: z.string().optional(),
  }),
  capabilities: { kinds: ["price", "ohlcv"] },
  create: () => ({}),
});

export const candlesSource = defineSource({
  name: "test-candles",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: ">=0.0.0",
  configSchema: z.strictObject({}),
  capabilities: { kinds: ["ohlcv"] },
  create: () => ({}),
});

export const storeTarget = defineTarget({
  name: "test-store",
  description: "Stores prices only.",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: ">=0.0.0",
  configSchema: z.strictObject({
    connectionString: z.string().min(1),
    schema: z.string().default("public"),
    pool: z.strictObject({ max: z.number().int().positive().default(10) }).prefault({}),
  }),
  capabilities: { kinds: ["price"], idempotent: true },
  create: () => ({ write: async () => {} }),
});

export const archiveTarget = defineTarget({
  name: "test-archive",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: ">=0.0.0",
  configSchema: z.strictObject({ compress: z.boolean().default(false) }),
  capabilities: { kinds: RECORD_KINDS, deadLetter: true },
  create: () => ({ write: async () => {} }),
});

export const TEST_ADAPTERS = [pricesSource, candlesSource, storeTarget, archiveTarget];

/** The built-in adapters plus the test ones. */
export function testRegistry(): AdapterRegistry {
  return createRegistry(...TEST_ADAPTERS);
}

/** Only the test adapters, for output that must not change when the built-ins do. */
export function isolatedRegistry(): AdapterRegistry {
  const registry = new AdapterRegistry();
  for (const adapter of TEST_ADAPTERS) registry.register(adapter);
  return registry;
}
