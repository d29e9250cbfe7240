import type { QiError } from "@qicore/core/adapter";
import { apiError } from "./errors";
import { errorBody } from "./http-client";
import type { Instrument } from "./instruments";

/** Instruments asked for in one request, and the query that names them. */
export interface BatchRequest {
  instruments: Instrument[];
  query: { symbol: string; exchange?: string | undefined; mic_code?: string | undefined };
}

/**
 * Requests for `instruments`: at most `size` symbols each (Twelve Data takes up to 120, and a
 * request never costs more credits than a minute has), one MIC code per request (`mic_code`
 * applies to all its symbols), and a symbol at most once per request: a batch answer is keyed
 * by symbol, so `VOD` of London and `VOD` of Nasdaq in one request could not be told apart.
 * In a batch an exchange rides on its symbol (`SBIN:NSE`), as Twelve Data's batch requests
 * take it; a lone symbol sends it as `exchange`.
 */
export function planBatches(instruments: readonly Instrument[], size: number): BatchRequest[] {
  const byMic = new Map<string, Instrument[]>();
  for (const instrument of instruments) {
    const group = byMic.get(instrument.micCode ?? "") ?? [];
    group.push(instrument);
    byMic.set(instrument.micCode ?? "", group);
  }
  const requests: BatchRequest[] = [];
  for (const [micCode, group] of byMic) {
    for (const chunk of chunksOfDistinctSymbols(group, size)) {
      const single = chunk.length === 1 ? chunk[0] : undefined;
      requests.push({
        instruments: chunk,
        query: single
          ? { symbol: single.symbol, exchange: single.exchange, mic_code: micCode || undefined }
          : { symbol: chunk.map(batchSymbol).join(","), mic_code: micCode || undefined },
      });
    }
  }
  return requests;
}

/** Instruments in order, in chunks of at most `size` where no symbol is twice (first fit). */
function chunksOfDistinctSymbols(instruments: readonly Instrument[], size: number): Instrument[][] {
  const chunks: { members: Instrument[]; symbols: Set<string> }[] = [];
  for (const instrument of instruments) {
    let chunk = chunks.find(
      (candidate) => candidate.members.length < size && !candidate.symbols.has(instrument.symbol),
    );
    if (!chunk) {
      chunk = { members: [], symbols: new Set() };
      chunks.push(chunk);
    }
    chunk.members.push(instrument);
    chunk.symbols.add(instrument.symbol);
  }
  return chunks.map((chunk) => chunk.members);
}

export function batchSymbol(instrument: Instrument): string {
  return instrument.exchange ? `${instrument.symbol}:${instrument.exchange}` : instrument.symbol;
}

export type SymbolAnswer = { ok: true; value: unknown } | { ok: false; error: QiError };

/**
 * A batch answer split per instrument. A lone symbol's answer is the body itself; a batch's is
 * an object keyed by the symbols asked for, where any entry may be an error of its own
 * (`{"code": 400, "status": "error", ...}`) while the others carry data.
 */
export function splitAnswer(
  body: unknown,
  request: BatchRequest,
  facts: { request: string; keySource: string | undefined; plan: string; scrub: (text: string) => string },
): Map<string, SymbolAnswer> {
  const { scrub, ...requestFacts } = facts;
  const answers = new Map<string, SymbolAnswer>();
  const entries = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  for (const instrument of request.instruments) {
    const value =
      request.instruments.length === 1
        ? body
        : (entries[batchSymbol(instrument)] ?? entries[instrument.symbol]);
    const failed = errorBody(value);
    if (value === undefined)
      answers.set(instrument.key, {
        ok: false,
        error: apiError(500, "the batch answer has no entry for this symbol", {
          ...requestFacts,
          symbol: instrument.symbol,
        }),
      });
    else if (failed)
      answers.set(instrument.key, {
        ok: false,
        error: apiError(failed.code, failed.message === undefined ? undefined : scrub(failed.message), {
          ...requestFacts,
          symbol: instrument.symbol,
        }),
      });
    else answers.set(instrument.key, { ok: true, value });
  }
  return answers;
}
