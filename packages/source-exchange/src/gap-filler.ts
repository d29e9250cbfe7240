import type { CryptoOHLCV, CryptoTrade, Logger } from "@qicore/core/adapter";
import type { ExchangeProtocol, TradeWatermark } from "./exchanges/protocol";
import type { Instrument } from "./instruments";
import type { RestClient } from "./rest-client";
import type { CandleRange, SeriesBook } from "./series-book";

/** Gaps found and what filling them brought, for the health check and the logs. */
export interface GapStats {
  found: number;
  filled: number;
  recordsFetched: number;
}

/**
 * Closes gaps over the exchange's REST API: the trades after a stream's watermark up to the
 * live trade that revealed the gap, and closed candles in a range of open times. Duplicates
 * at the seam are dropped by the series book's watermarks, so what it returns can be
 * emitted as it is. One log line per gap says how many records it took.
 */
export class GapFiller {
  readonly stats: GapStats = { found: 0, filled: 0, recordsFetched: 0 };

  constructor(
    private readonly protocol: ExchangeProtocol,
    private readonly rest: RestClient,
    private readonly book: SeriesBook,
    private readonly logger: Logger,
  ) {}

  /**
   * Trades of `stream` after its watermark, oldest first, stopping before `until` (the live
   * trade's sequence or time): all of them when `until` is undefined (a restart's backfill).
   */
  async trades(
    stream: string,
    instrument: Instrument,
    until: { sequence?: number; time: number } | undefined,
    why: string,
  ): Promise<{ record: CryptoTrade; sequence?: number }[]> {
    const watermark = this.book.tradeWatermark(stream);
    if (!watermark) return [];
    this.stats.found++;
    const fetched: { record: CryptoTrade; sequence?: number }[] = [];
    let after: TradeWatermark = watermark;
    for (;;) {
      const page = await this.protocol.tradesAfter(this.rest, instrument, after);
      let reachedLive = false;
      for (const trade of page.trades) {
        if (until && isAtOrAfter(trade, until)) {
          reachedLive = true;
          break;
        }
        fetched.push(trade);
      }
      if (reachedLive || !page.next) break;
      after = {
        id: String(page.next.afterSequence ?? ""),
        time: page.next.afterTime,
        ...(page.next.afterSequence !== undefined ? { sequence: page.next.afterSequence } : {}),
      };
    }
    this.stats.filled++;
    this.stats.recordsFetched += fetched.length;
    const expected =
      until?.sequence !== undefined && watermark.sequence !== undefined
        ? `, ${until.sequence - watermark.sequence - 1} missed by id`
        : "";
    this.logger.info(
      `gap in ${this.protocol.name} ${stream} (${why}): filled ${fetched.length} trades over REST${expected}`,
      { exchange: this.protocol.name, stream, after: watermark.id, fetched: fetched.length },
    );
    return fetched;
  }

  async candles(
    stream: string,
    instrument: Instrument,
    interval: string,
    range: CandleRange,
    why: string,
  ): Promise<CryptoOHLCV[]> {
    this.stats.found++;
    const candles = await this.protocol.candles(this.rest, instrument, interval, range.from, range.to);
    const lastFinal = this.book.lastFinal(stream);
    const fresh = candles.filter(
      (candle) => lastFinal === undefined || Date.parse(candle.timestamp) > lastFinal,
    );
    this.stats.filled++;
    this.stats.recordsFetched += fresh.length;
    this.logger.info(
      `gap in ${this.protocol.name} ${stream} (${why}): filled ${fresh.length} ${interval} candles over REST from ${new Date(range.from).toISOString()} to ${new Date(range.to).toISOString()}`,
      { exchange: this.protocol.name, stream, fetched: fresh.length },
    );
    return fresh;
  }
}

function isAtOrAfter(
  trade: { record: CryptoTrade; sequence?: number },
  until: { sequence?: number; time: number },
): boolean {
  if (until.sequence !== undefined && trade.sequence !== undefined) return trade.sequence >= until.sequence;
  return Date.parse(trade.record.timestamp) >= until.time;
}
