import type { CryptoOHLCV, CryptoQuote, CryptoTrade } from "@qicore/core/adapter";
import type { Instrument } from "./instruments";

/** Who the records are from, as they say in `source` and `attribution`. */
export interface Provenance {
  exchangeId: string;
  source: string;
  attribution: string;
}

/**
 * Builds records in the core's canonical form (fields in the schema's order, decimals as
 * the exchange's strings, ISO-8601 UTC times with milliseconds), so the runtime's validation
 * takes its fast path. Times are cached per millisecond: a burst of trades shares a few.
 */
export class RecordFactory {
  private isoMs = Number.NaN;
  private iso = "";
  private receivedMs = Number.NaN;
  private receivedIso = "";

  constructor(private readonly provenance: Provenance) {}

  isoTime(ms: number): string {
    if (ms !== this.isoMs) {
      this.isoMs = ms;
      this.iso = new Date(ms).toISOString();
    }
    return this.iso;
  }

  /** Frames of one burst arrive in the same millisecond: their receive time is one string. */
  private receivedTime(ms: number): string {
    if (ms !== this.receivedMs) {
      this.receivedMs = ms;
      this.receivedIso = new Date(ms).toISOString();
    }
    return this.receivedIso;
  }

  trade(
    instrument: Instrument,
    tradeId: string,
    price: string,
    amount: string,
    side: "buy" | "sell" | null,
    timeMs: number,
    receivedMs: number,
  ): CryptoTrade {
    const { exchangeId, source, attribution } = this.provenance;
    const timestamp = this.isoTime(timeMs);
    const receivedAt = this.receivedTime(receivedMs);
    if (instrument.coinId === undefined)
      return {
        exchangeId,
        instrument: instrument.symbol,
        base: instrument.base,
        quote: instrument.quote,
        assetClass: "crypto",
        tradeId,
        price,
        amount,
        side,
        timestamp,
        receivedAt,
        source,
        attribution,
      };
    return {
      exchangeId,
      instrument: instrument.symbol,
      base: instrument.base,
      quote: instrument.quote,
      coinId: instrument.coinId,
      assetClass: "crypto",
      tradeId,
      price,
      amount,
      side,
      timestamp,
      receivedAt,
      source,
      attribution,
    };
  }

  quote(
    instrument: Instrument,
    bid: { price: string; size: string | null },
    ask: { price: string; size: string | null },
    timeMs: number,
    receivedMs: number,
  ): CryptoQuote {
    const { exchangeId, source, attribution } = this.provenance;
    return {
      exchangeId,
      instrument: instrument.symbol,
      base: instrument.base,
      quote: instrument.quote,
      ...(instrument.coinId !== undefined ? { coinId: instrument.coinId } : {}),
      assetClass: "crypto",
      bidPrice: bid.price,
      bidSize: bid.size,
      askPrice: ask.price,
      askSize: ask.size,
      timestamp: this.isoTime(timeMs),
      receivedAt: this.receivedTime(receivedMs),
      source,
      attribution,
    };
  }

  candle(
    instrument: Instrument,
    timeframe: string,
    openTimeMs: number,
    values: { open: string; high: string; low: string; close: string; volume: string | null },
    isFinal: boolean,
  ): CryptoOHLCV {
    const { exchangeId, source, attribution } = this.provenance;
    return {
      ...(instrument.coinId !== undefined ? { coinId: instrument.coinId } : {}),
      exchangeId,
      instrument: instrument.symbol,
      base: instrument.base,
      quote: instrument.quote,
      assetClass: "crypto",
      timestamp: new Date(openTimeMs).toISOString(),
      timeframe,
      open: values.open,
      high: values.high,
      low: values.low,
      close: values.close,
      volume: values.volume,
      isFinal,
      source,
      attribution,
    };
  }
}
