import type { CryptoOHLCV, CryptoQuote, CryptoTrade } from "@qicore/core/adapter";
import type { Instrument } from "./instruments";
import { IsoTimes } from "./iso-times";

/** Who the records are from, as they say in `source` and `attribution`. */
export interface Provenance {
  exchangeId: string;
  source: string;
  attribution: string;
}

/**
 * Builds records in the core's canonical form (fields in the schema's order, decimals as
 * the exchange's strings, ISO-8601 UTC times with milliseconds), so the runtime's validation
 * takes its fast path. Times are printed once per millisecond (iso-times.ts).
 */
export class RecordFactory {
  private readonly times = new IsoTimes();
  /** Receive times apart from trade times: each stays the same across a burst. */
  private readonly receivedTimes = new IsoTimes();

  constructor(private readonly provenance: Provenance) {}

  isoTime(ms: number): string {
    return this.times.format(ms);
  }

  private receivedTime(ms: number): string {
    return this.receivedTimes.format(ms);
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
