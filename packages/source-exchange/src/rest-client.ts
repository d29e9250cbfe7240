import type { Clock } from "./clock";
import { badResponse, restUnavailable } from "./errors";
import type { WeightBudget } from "./weight-budget";

export interface RestClientOptions {
  exchange: string;
  baseUrl: string;
  budget: WeightBudget;
  clock: Clock;
  timeoutMs?: number;
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

const RATE_LIMITED = new Set([418, 429]);

/**
 * GETs JSON from an exchange's REST API within its request weights: each call takes its
 * weight from the shared budget first, and a 429 or 418 pauses the budget for the
 * Retry-After the exchange sent (then the call is tried again). Other failures are
 * retryable errors for the runtime.
 */
export class RestClient {
  /** Requests sent, and the weight they took. */
  readonly stats = { requests: 0, weight: 0, rateLimited: 0 };

  constructor(private readonly options: RestClientOptions) {}

  async get<T>(path: string, query: Record<string, string | number | undefined>, weight = 1): Promise<T> {
    const url = new URL(
      path.replace(/^\//, ""),
      this.options.baseUrl.endsWith("/") ? this.options.baseUrl : `${this.options.baseUrl}/`,
    );
    for (const [name, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(name, String(value));
    const search = url.search.length > 120 ? `${url.search.slice(0, 120)}…` : url.search;
    const shown = `${url.pathname}${search}`;
    for (let attempt = 0; ; attempt++) {
      await this.options.budget.take(weight, this.options.signal);
      this.stats.requests++;
      this.stats.weight += weight;
      let response: Response;
      try {
        response = await (this.options.fetch ?? fetch)(url, {
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
          headers: { accept: "application/json" },
        });
      } catch (thrown) {
        throw restUnavailable(this.options.exchange, shown, thrown);
      }
      if (RATE_LIMITED.has(response.status) && attempt < 5) {
        this.stats.rateLimited++;
        const seconds = Number(response.headers.get("retry-after") ?? "1");
        this.options.budget.pauseFor((Number.isFinite(seconds) ? seconds : 1) * 1000);
        await response.body?.cancel();
        continue;
      }
      const text = await response.text();
      if (response.status >= 500 || RATE_LIMITED.has(response.status))
        throw restUnavailable(this.options.exchange, shown, text.slice(0, 200), response.status);
      if (!response.ok) throw badResponse(this.options.exchange, shown, text.slice(0, 300), response.status);
      try {
        return JSON.parse(text) as T;
      } catch {
        throw badResponse(this.options.exchange, shown, `not JSON: ${text.slice(0, 100)}`);
      }
    }
  }
}
