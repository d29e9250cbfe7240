import type { Clock } from "./clock";

/**
 * The REST request weight an exchange allows per minute (Binance counts weights, Coinbase
 * and Kraken requests: weight 1 each), refilled continuously. `take` waits until the weight
 * is there; `pauseFor` stops everyone after a 429 or 418 for its Retry-After.
 */
export class WeightBudget {
  private available: number;
  private updatedAt: number;
  private pausedUntil = 0;

  constructor(
    private readonly perMinute: number,
    private readonly clock: Clock,
  ) {
    this.available = perMinute;
    this.updatedAt = clock.now();
  }

  async take(weight: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      this.available = Math.min(
        this.perMinute,
        this.available + ((now - this.updatedAt) / 60_000) * this.perMinute,
      );
      this.updatedAt = now;
      const pause = this.pausedUntil - now;
      if (pause <= 0 && this.available >= Math.min(weight, this.perMinute)) {
        this.available -= weight;
        return;
      }
      const refill = ((Math.min(weight, this.perMinute) - this.available) / this.perMinute) * 60_000;
      await this.clock.sleep(Math.max(pause, refill, 1), signal);
    }
  }

  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
  }
}
