import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  type CryptoOHLCV,
  type CryptoPrice,
  describeIssues,
  type FieldIssue,
  qiError,
  type RecordKind,
  redactSecrets,
  validateRecords,
} from "@qicore/core";
import { z } from "zod";
import { adapterIdInput } from "../inputs";
import { LIMITS } from "../limits";
import type { PipelineAccess } from "../pipeline-access";
import { recordSchema } from "../schemas";
import { failure, success } from "../tool-result";

const WRITE = { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false };

const writeReport = z.object({
  target: z.string(),
  written: z.number().int(),
  failed: z
    .array(z.object({ index: z.number().int(), message: z.string() }))
    .describe("Records this target refused, by index in the input."),
  error: z.string().optional().describe("Why nothing was written to this target."),
});

/**
 * store_prices and store_ohlcv: validated records published through the pipeline's
 * targets. Registered only when the server allows writes (`--allow-writes`).
 */
export function registerStoreTools(server: McpServer, access: PipelineAccess): void {
  server.registerTool(
    "store_prices",
    {
      title: "Store prices",
      description: `Validate price records and publish them through the pipeline's targets (all that take prices, or the ones named). Every record is checked first; if any is invalid nothing is written. At most ${LIMITS.maxStoreRecords} records per call. Writes are idempotent upserts where the target supports them.`,
      inputSchema: {
        prices: z
          .array(recordSchema("price", "input"))
          .min(1, { error: "give at least one price" })
          .max(LIMITS.maxStoreRecords, { error: `at most ${LIMITS.maxStoreRecords} prices per call` }),
        targets: z.array(adapterIdInput("target")).min(1).max(20).optional(),
      },
      outputSchema: { kind: z.literal("price"), records: z.number().int(), results: z.array(writeReport) },
      annotations: WRITE,
    },
    async ({ prices, targets }) => store(access, "price", prices, targets),
  );

  server.registerTool(
    "store_ohlcv",
    {
      title: "Store OHLCV candles",
      description: `Validate OHLCV candles and publish them through the pipeline's targets (all that take candles, or the ones named). Every candle is checked first; if any is invalid nothing is written. At most ${LIMITS.maxStoreRecords} candles per call.`,
      inputSchema: {
        candles: z
          .array(recordSchema("ohlcv", "input"))
          .min(1, { error: "give at least one candle" })
          .max(LIMITS.maxStoreRecords, { error: `at most ${LIMITS.maxStoreRecords} candles per call` }),
        targets: z.array(adapterIdInput("target")).min(1).max(20).optional(),
      },
      outputSchema: { kind: z.literal("ohlcv"), records: z.number().int(), results: z.array(writeReport) },
      annotations: WRITE,
    },
    async ({ candles, targets }) => store(access, "ohlcv", candles, targets),
  );
}

async function store(
  access: PipelineAccess,
  kind: Extract<RecordKind, "price" | "ohlcv">,
  inputs: readonly unknown[],
  targetIds: readonly string[] | undefined,
) {
  // The DSL's own validation (exact decimals, column bounds, UTC times), all or nothing.
  const { valid, invalid } = validateRecords(kind, inputs);
  if (invalid.length > 0) {
    const field = kind === "price" ? "prices" : "candles";
    const listed = invalid.slice(0, LIMITS.maxListedProblems).map(({ index, error }) => {
      const issues = (error.context.issues as FieldIssue[] | undefined) ?? [];
      return `${field}[${index}]: ${describeIssues(issues) || error.message}`;
    });
    const more = invalid.length - listed.length;
    return failure(
      qiError(
        "VALIDATION_FAILED",
        `${invalid.length} of ${inputs.length} ${kind} record(s) are invalid, nothing was written: ${listed.join("; ")}${more > 0 ? `; and ${more} more` : ""}`,
      ),
    );
  }
  const specs = access.config.targets.filter((spec) =>
    targetIds === undefined ? spec.definition.capabilities.kinds.includes(kind) : targetIds.includes(spec.id),
  );
  for (const id of targetIds ?? []) {
    const spec = access.config.targets.find((candidate) => candidate.id === id);
    const problem = !spec
      ? `the pipeline has no target "${id}"; its targets: ${access.config.targets.map((candidate) => `"${candidate.id}"`).join(", ")}`
      : !spec.definition.capabilities.kinds.includes(kind)
        ? `target "${id}" (${spec.definition.name}) does not take ${kind} records`
        : undefined;
    if (problem) {
      return failure(qiError("VALIDATION_FAILED", problem));
    }
  }
  if (specs.length === 0) {
    return failure(
      qiError("CAPABILITY_MISSING", `no target of pipeline "${access.config.name}" takes ${kind} records`),
    );
  }
  const results: z.infer<typeof writeReport>[] = [];
  for (const spec of specs) {
    const target = await access.target(spec.id);
    const published = !target.ok
      ? target
      : kind === "price"
        ? await target.value.publishPrices(valid as CryptoPrice[])
        : await target.value.publishOHLCV(valid as CryptoOHLCV[]);
    if (!published.ok) {
      // One target failing does not hide what the others wrote.
      results.push({
        target: spec.id,
        written: 0,
        failed: [],
        error: redactSecrets(published.error.message),
      });
      continue;
    }
    results.push({
      target: spec.id,
      written: published.value.written,
      failed: published.value.failed.map(({ index, error }) => ({ index, message: error.message })),
    });
  }
  if (results.every((result) => result.error !== undefined)) {
    return failure(
      qiError(
        "WRITE_FAILED",
        `no target wrote the ${kind} records: ${results.map((result) => `"${result.target}": ${result.error}`).join("; ")}`,
        { retryable: true },
      ),
    );
  }
  return success({ kind, records: valid.length, results });
}
