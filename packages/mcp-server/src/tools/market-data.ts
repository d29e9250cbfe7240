import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { AGGREGATE_EXCHANGE, type QiError, qiError, type StoreReader } from "@qicore/core";
import { z } from "zod";
import {
  adapterIdInput,
  checkBuckets,
  coinIdInput,
  exchangeIdInput,
  limitInput,
  resolveRange,
  timeInput,
  widthInput,
} from "../inputs";
import { LIMITS } from "../limits";
import type { PipelineAccess } from "../pipeline-access";
import { candleSchema, pageOutput, rangeOutput, recordSchema } from "../schemas";
import { failure, success } from "../tool-result";

const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
const rangeInput = {
  start: timeInput.optional().describe("Start of the range (inclusive); one day before `end` when absent."),
  end: timeInput.optional().describe("End of the range (exclusive); now when absent."),
};

/** get_current_prices, get_price_history, get_ohlcv and get_market_analytics. */
export function registerMarketDataTools(server: McpServer, access: PipelineAccess): void {
  server.registerTool(
    "get_current_prices",
    {
      title: "Current prices",
      description:
        "Current prices of coins, asked from a source of the pipeline (for example CoinGecko) through its getCurrentPrices. Decimals are exact strings.",
      inputSchema: {
        coins: z
          .array(coinIdInput)
          .min(1, { error: "name at least one coin" })
          .max(LIMITS.maxCoins, { error: `at most ${LIMITS.maxCoins} coins per call` })
          .describe(`Coin ids, 1-${LIMITS.maxCoins}.`),
        source: adapterIdInput("source").optional(),
      },
      outputSchema: {
        source: z.string().describe("Id of the source asked."),
        prices: z.array(recordSchema("price", "output")),
        missing: z.array(z.string()).describe("Coins the source returned no price for."),
      },
      annotations: { ...READ_ONLY, idempotentHint: false, openWorldHint: true },
    },
    async ({ coins, source }) => {
      const chosen = await chooseSource(access, source);
      if (!chosen.ok) return failure(chosen.error);
      const connected = await access.source(chosen.value);
      if (!connected.ok) return failure(connected.error);
      const unique = [...new Set(coins)];
      const prices = await connected.value.getCurrentPrices(unique);
      if (!prices.ok) return failure(prices.error);
      const found = new Set(prices.value.map((price) => price.coinId));
      const missing = unique.filter((coin) => !found.has(coin));
      if (prices.value.length === 0) {
        return failure(
          qiError(
            "UNKNOWN_COIN",
            `source "${chosen.value}" has no price for ${missing.map((coin) => `"${coin}"`).join(", ")}: check the coin ids (CoinGecko ids such as bitcoin, ethereum)`,
            { category: "BUSINESS", context: { coins: missing } },
          ),
        );
      }
      return success({ source: chosen.value, prices: prices.value, missing });
    },
  );

  server.registerTool(
    "get_price_history",
    {
      title: "Price history",
      description: `Stored prices of one coin in a time range, oldest first, read from the pipeline's TimescaleDB target. At most ${LIMITS.maxRangeDays} days and ${LIMITS.maxRows} rows per call.`,
      inputSchema: {
        coin: coinIdInput,
        ...rangeInput,
        exchange: exchangeIdInput
          .optional()
          .describe("Only prices of this exchange; every exchange when absent."),
        limit: limitInput.optional(),
        target: adapterIdInput("target").optional(),
      },
      outputSchema: {
        target: z.string(),
        coin: z.string(),
        exchange: z.string().nullable(),
        ...rangeOutput,
        ...pageOutput,
        prices: z.array(recordSchema("price", "output")),
      },
      annotations: READ_ONLY,
    },
    async ({ coin, start, end, exchange, limit, target }) => {
      const range = resolveRange(start, end);
      if (!range.ok) return failure(range.error);
      const handle = await access.reader(target);
      if (!handle.ok) return failure(handle.error);
      const rows = limit ?? LIMITS.defaultRows;
      const prices = await handle.value.reader.getPriceHistory(coin, range.value.start, range.value.end, {
        limit: rows,
        ...(exchange !== undefined ? { exchangeId: exchange } : {}),
      });
      if (!prices.ok) return failure(prices.error);
      if (prices.value.length === 0) {
        const unknown = await unknownCoin(handle.value.reader, handle.value.targetId, coin);
        if (unknown) return failure(unknown);
      }
      return success({
        target: handle.value.targetId,
        coin,
        exchange: exchange ?? null,
        start: range.value.start.toISOString(),
        end: range.value.end.toISOString(),
        count: prices.value.length,
        truncated: prices.value.length >= rows,
        prices: prices.value,
      });
    },
  );

  server.registerTool(
    "get_ohlcv",
    {
      title: "OHLCV candles",
      description: `Open/high/low/close candles of any width (5m, 1h, 4h, 1d, 1w ...) for one coin, computed from the stored prices by time buckets in TimescaleDB. At most ${LIMITS.maxRangeDays} days and ${LIMITS.maxBuckets} candles per call.`,
      inputSchema: {
        coin: coinIdInput,
        width: widthInput.default("1h"),
        ...rangeInput,
        exchange: exchangeIdInput
          .optional()
          .describe(`Exchange of the prices; \`${AGGREGATE_EXCHANGE}\` (cross-exchange) when absent.`),
        limit: limitInput.optional(),
        target: adapterIdInput("target").optional(),
      },
      outputSchema: {
        target: z.string(),
        coin: z.string(),
        exchange: z.string(),
        width: z.string(),
        ...rangeOutput,
        ...pageOutput,
        candles: z.array(candleSchema),
      },
      annotations: READ_ONLY,
    },
    async ({ coin, width, start, end, exchange, limit, target }) => {
      const range = resolveRange(start, end);
      if (!range.ok) return failure(range.error);
      const buckets = checkBuckets(range.value, width);
      if (!buckets.ok) return failure(buckets.error);
      const handle = await access.reader(target);
      if (!handle.ok) return failure(handle.error);
      const rows = limit ?? LIMITS.defaultRows;
      const exchangeId = exchange ?? AGGREGATE_EXCHANGE;
      const candles = await handle.value.reader.aggregateCandles(
        coin,
        width,
        range.value.start,
        range.value.end,
        { limit: rows, exchangeId },
      );
      if (!candles.ok) return failure(candles.error);
      if (candles.value.length === 0) {
        const unknown = await unknownCoin(handle.value.reader, handle.value.targetId, coin);
        if (unknown) return failure(unknown);
      }
      return success({
        target: handle.value.targetId,
        coin,
        exchange: exchangeId,
        width,
        start: range.value.start.toISOString(),
        end: range.value.end.toISOString(),
        count: candles.value.length,
        truncated: candles.value.length >= rows,
        candles: candles.value,
      });
    },
  );

  server.registerTool(
    "get_market_analytics",
    {
      title: "Market analytics",
      description: `Stored market-wide figures (total market cap, volume, BTC/ETH dominance, active coins) in a time range, oldest first, from the pipeline's TimescaleDB target. At most ${LIMITS.maxRangeDays} days and ${LIMITS.maxRows} rows per call.`,
      inputSchema: {
        ...rangeInput,
        source: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/, {
            error: "source must be a provider name such as coingecko",
          })
          .optional()
          .describe("Only figures from this provider (the records' `source`, e.g. `coingecko`)."),
        limit: limitInput.optional(),
        target: adapterIdInput("target").optional(),
      },
      outputSchema: {
        target: z.string(),
        ...rangeOutput,
        ...pageOutput,
        analytics: z.array(recordSchema("analytics", "output")),
      },
      annotations: READ_ONLY,
    },
    async ({ start, end, source, limit, target }) => {
      const range = resolveRange(start, end);
      if (!range.ok) return failure(range.error);
      const handle = await access.reader(target);
      if (!handle.ok) return failure(handle.error);
      const rows = limit ?? LIMITS.defaultRows;
      const analytics = await handle.value.reader.getMarketAnalytics(range.value.start, range.value.end, {
        limit: rows,
        ...(source !== undefined ? { source } : {}),
      });
      if (!analytics.ok) return failure(analytics.error);
      return success({
        target: handle.value.targetId,
        start: range.value.start.toISOString(),
        end: range.value.end.toISOString(),
        count: analytics.value.length,
        truncated: analytics.value.length >= rows,
        analytics: analytics.value,
      });
    },
  );
}

/** The named source, or the first source of the pipeline that can give current prices. */
async function chooseSource(
  access: PipelineAccess,
  id: string | undefined,
): Promise<{ ok: true; value: string } | { ok: false; error: QiError }> {
  const ids = id === undefined ? access.config.sources.map((spec) => spec.id) : [id];
  for (const candidate of ids) {
    const created = await access.createdSource(candidate);
    if (!created.ok) {
      if (id !== undefined) return created;
      continue;
    }
    if (typeof created.value.handlers.getCurrentPrices === "function") return { ok: true, value: candidate };
    if (id !== undefined) {
      return {
        ok: false,
        error: qiError(
          "CAPABILITY_MISSING",
          `source "${id}" (${created.value.name}) cannot give current prices (it has no getCurrentPrices)`,
          { context: { source: id } },
        ),
      };
    }
  }
  const listed = access.config.sources.map((spec) => `"${spec.id}" (${spec.definition.name})`).join(", ");
  return {
    ok: false,
    error: qiError(
      "CAPABILITY_MISSING",
      `no source of pipeline "${access.config.name}" can give current prices; its sources: ${listed || "none"}`,
    ),
  };
}

/** An error naming the coin and the coins that have data, when nothing at all is stored for the coin. */
async function unknownCoin(
  reader: StoreReader,
  targetId: string,
  coin: string,
): Promise<QiError | undefined> {
  const latest = await reader.getLatestPrices([coin], { limit: 1 });
  if (!latest.ok) return latest.error;
  if (latest.value.length > 0) return undefined;
  const known = await reader.getLatestPrices(undefined, { limit: 100 });
  const coins = known.ok ? [...new Set(known.value.map((price) => price.coinId))].slice(0, 20) : [];
  return qiError(
    "UNKNOWN_COIN",
    `no prices are stored for coin "${coin}" in target "${targetId}"; coins with data: ${coins.join(", ") || "none yet"}`,
    { category: "BUSINESS", context: { coin, target: targetId, knownCoins: coins } },
  );
}
