import { z } from "zod";
import { type MarketRecord, RECORD_KINDS, type RecordKind } from "../dsl/kinds";
import { compileExpression, type Predicate } from "./expression";

/** What `filter` and `select` match records by; every criterion given must hold. */
export const matchSchema = z.strictObject({
  kinds: z.array(z.enum(RECORD_KINDS)).min(1).optional().describe("Record kinds."),
  instruments: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe("Venue symbols, e.g. BTCUSDT (CoinGecko's: coin ids)."),
  exchanges: z.array(z.string().min(1)).min(1).optional().describe("Exchange ids, e.g. binance, aggregate."),
  coins: z.array(z.string().min(1)).min(1).optional().describe("CoinGecko coin ids."),
  where: z
    .string()
    .min(1)
    .superRefine((source, context) => {
      try {
        compileExpression(source);
      } catch (thrown) {
        context.addIssue({ code: "custom", message: `not a valid expression: ${(thrown as Error).message}` });
      }
    })
    .optional()
    .describe('An expression over fields, e.g. usdPrice > 100 && exchangeId == "binance".'),
});

export type Match = z.output<typeof matchSchema>;

/** Whether a record of a kind matches every criterion. */
export function matcherOf(match: Match): (kind: RecordKind, record: MarketRecord) => boolean {
  const where: Predicate | undefined = match.where ? compileExpression(match.where) : undefined;
  const kinds = match.kinds ? new Set<string>(match.kinds) : undefined;
  const instruments = match.instruments ? new Set(match.instruments) : undefined;
  const exchanges = match.exchanges ? new Set(match.exchanges) : undefined;
  const coins = match.coins ? new Set(match.coins) : undefined;
  return (kind, record) => {
    const value = record as unknown as Record<string, unknown>;
    if (kinds && !kinds.has(kind)) return false;
    if (instruments && !instruments.has(String(value.instrument ?? value.coinId))) return false;
    if (exchanges && !exchanges.has(String(value.exchangeId))) return false;
    if (coins && !coins.has(String(value.coinId))) return false;
    return where ? where(value) : true;
  };
}
