import { createHash } from "node:crypto";
import { type QiError, qiError } from "@qicore/core/adapter";
import type { Clock } from "./clock";
import type { CoinGeckoPlan } from "./plans";

/** Live reads (prices, candles, analytics, DSL calls) go before backfills when calls are scarce. */
export type Priority = "live" | "backfill";

/** The right to make one call. Release it once the response has arrived (or the call failed). */
export interface Permit {
  release(): void;
}

export interface RateBudgetSnapshot {
  callsPerMinute: number;
  limitSource: LimitSource;
  inFlight: number;
  /** Calls finished within the last window. */
  recent: number;
  waiting: Record<Priority, number>;
  blockedUntil: number;
  granted: number;
  /** How long callers waited for a slot, per priority (the clock's milliseconds). */
  waited: Record<Priority, WaitStatistics>;
}

export interface WaitStatistics {
  calls: number;
  totalMs: number;
  longestMs: number;
}

/** Where the budget's rate came from: the plan's default, the config, or the key's own limit from `/key`. */
export type LimitSource = "default" | "configured" | "discovered";

interface Waiter {
  priority: Priority;
  sequence: number;
  queuedAt: number;
  resolve: (permit: Permit) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

const WINDOW_MS = 60_000;

/**
 * A sliding-window limiter for one API key: at most `callsPerMinute` calls in any minute,
 * however the server counts its minute. A call occupies its slot from the moment it is
 * granted until one window after its response arrived: the server saw the request no
 * later than that, so it has left the server's window too when the slot frees. Calls in
 * flight hold slots, so concurrent callers never overshoot.
 *
 * Live callers are served before backfill callers, and backfills leave a fifth of the
 * window to live calls (less what live calls already use, but at least one slot), so a
 * live refresh rarely waits behind a backfill while nearly the whole budget is used.
 * Backfill calls are also spread out: at most twice the average rate (half a minute /
 * callsPerMinute apart) and half the budget in any half minute, so the window fills, and
 * frees up, evenly rather than in bursts a live call would wait behind.
 * After a 429 or a rate-limit page, `block` holds every caller of the key until the time
 * the server named.
 */
export class RateBudget {
  private capacity = 1;
  private windowMs = WINDOW_MS;
  private rate = 1;
  private source: LimitSource = "default";
  private readonly inFlight: Record<Priority, number> = { live: 0, backfill: 0 };
  /** Calls finished within the window, oldest first: when, and for whom. */
  private readonly completions: { time: number; priority: Priority }[] = [];
  private liveRecent = 0;
  private readonly waiters: Waiter[] = [];
  private blockedUntil = 0;
  private sequence = 0;
  private granted = 0;
  private lastBackfillGrant = Number.NEGATIVE_INFINITY;
  /** Start times of backfill calls in the last half window, oldest first. */
  private readonly recentBackfills: number[] = [];
  private readonly waited: Record<Priority, WaitStatistics> = {
    live: { calls: 0, totalMs: 0, longestMs: 0 },
    backfill: { calls: 0, totalMs: 0, longestMs: 0 },
  };
  private wake: AbortController | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;

  constructor(
    /** Names the budget in messages: plan and a fingerprint of the key, never the key. */
    readonly description: string,
    callsPerMinute: number,
    private readonly clock: Clock,
    limitSource: LimitSource = "default",
  ) {
    this.setRate(callsPerMinute, limitSource);
  }

  get callsPerMinute(): number {
    return this.rate;
  }

  get limitSource(): LimitSource {
    return this.source;
  }

  /** Sets the rate. A configured rate is only ever lowered by later configs, never raised by discovery. */
  setRate(callsPerMinute: number, source: LimitSource): void {
    if (!(callsPerMinute > 0)) throw new RangeError(`callsPerMinute must be positive, got ${callsPerMinute}`);
    if (this.source === "configured" && source !== "configured") return;
    if (this.source === "configured" && source === "configured" && callsPerMinute >= this.rate) return;
    this.rate = callsPerMinute;
    this.source = source;
    // Below one call a minute the window stretches instead (0.5 a minute: one call per two minutes).
    this.capacity = Math.max(1, Math.floor(callsPerMinute));
    this.windowMs = (WINDOW_MS * this.capacity) / callsPerMinute;
    this.pump();
  }

  /** Waits for a slot. Rejects with a CANCELLED QiError when the signal aborts first. */
  acquire(priority: Priority, signal?: AbortSignal): Promise<Permit> {
    if (signal?.aborted) return Promise.reject(cancelledWait(this.description));
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = {
        priority,
        sequence: this.sequence++,
        queuedAt: this.clock.now(),
        resolve,
        reject,
        signal,
        onAbort: undefined,
      };
      if (signal) {
        waiter.onAbort = () => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(cancelledWait(this.description));
          this.pump();
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
      this.pump();
    });
  }

  /** Holds every caller until `until` (epoch ms), e.g. the end of a server's Retry-After. */
  block(until: number): void {
    if (until <= this.blockedUntil) return;
    this.blockedUntil = until;
    this.pump();
  }

  snapshot(): RateBudgetSnapshot {
    this.expire(this.clock.now());
    return {
      callsPerMinute: this.rate,
      limitSource: this.source,
      inFlight: this.inFlight.live + this.inFlight.backfill,
      recent: this.completions.length,
      waiting: {
        live: this.waiters.filter((waiter) => waiter.priority === "live").length,
        backfill: this.waiters.filter((waiter) => waiter.priority === "backfill").length,
      },
      blockedUntil: this.blockedUntil,
      granted: this.granted,
      waited: { live: { ...this.waited.live }, backfill: { ...this.waited.backfill } },
    };
  }

  /**
   * Slots a backfill may not take: a fifth of the window kept for live calls, less what live
   * calls already use (so a budget live reads leave idle still goes to backfills), but always
   * one (when the window has two or more), so a live call finds a free slot at once.
   */
  private heldForLive(): number {
    if (this.capacity < 2) return 0;
    const reserve = Math.max(1, Math.floor(this.capacity / 5));
    return Math.max(1, reserve - this.liveRecent - this.inFlight.live);
  }

  private expire(now: number): void {
    while (
      this.completions.length > 0 &&
      (this.completions[0] as { time: number }).time + this.windowMs <= now
    ) {
      if (this.completions.shift()?.priority === "live") this.liveRecent--;
    }
  }

  private next(): Waiter | undefined {
    let best: Waiter | undefined;
    for (const waiter of this.waiters) {
      if (!best || rank(waiter) < rank(best)) best = waiter;
    }
    return best;
  }

  private pump(): void {
    const now = this.clock.now();
    this.expire(now);
    for (;;) {
      const waiter = this.next();
      if (!waiter) return;
      if (now < this.blockedUntil) {
        this.wakeUpAt(this.blockedUntil);
        return;
      }
      // Backfills are paced at twice the budget's average rate rather than let burst: a window filled
      // in one burst frees up in one burst a minute later, and a live call arriving in
      // between would wait for it.
      if (waiter.priority === "backfill") {
        const paced = this.lastBackfillGrant + this.windowMs / this.capacity / 2;
        if (now < paced) {
          this.wakeUpAt(paced);
          return;
        }
        // And at most half the budget in any half window, so the window fills evenly and
        // frees up evenly.
        const half = this.windowMs / 2;
        while (this.recentBackfills.length > 0 && (this.recentBackfills[0] as number) + half <= now)
          this.recentBackfills.shift();
        if (this.capacity >= 2 && this.recentBackfills.length >= Math.ceil(this.capacity / 2)) {
          this.wakeUpAt((this.recentBackfills[0] as number) + half);
          return;
        }
      }
      const limit = waiter.priority === "live" ? this.capacity : this.capacity - this.heldForLive();
      const used = this.inFlight.live + this.inFlight.backfill + this.completions.length;
      if (used < limit) {
        this.grant(waiter);
        continue;
      }
      // Slots free as finished calls leave the window; calls in flight free nothing until
      // they finish, and their release pumps again.
      const oldest = this.completions[0];
      if (oldest) this.wakeUpAt(oldest.time + this.windowMs);
      return;
    }
  }

  private grant(waiter: Waiter): void {
    this.waiters.splice(this.waiters.indexOf(waiter), 1);
    if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
    const { priority } = waiter;
    if (priority === "backfill") {
      this.lastBackfillGrant = this.clock.now();
      this.recentBackfills.push(this.lastBackfillGrant);
    }
    this.inFlight[priority]++;
    this.granted++;
    const waited = Math.max(0, this.clock.now() - waiter.queuedAt);
    const statistics = this.waited[priority];
    statistics.calls++;
    statistics.totalMs += waited;
    statistics.longestMs = Math.max(statistics.longestMs, waited);
    let released = false;
    waiter.resolve({
      release: () => {
        if (released) return;
        released = true;
        this.inFlight[priority]--;
        const finished = this.clock.now();
        let at = this.completions.length;
        while (at > 0 && (this.completions[at - 1] as { time: number }).time > finished) at--;
        this.completions.splice(at, 0, { time: finished, priority });
        if (priority === "live") this.liveRecent++;
        this.pump();
      },
    });
  }

  private wakeUpAt(time: number): void {
    if (this.wake && this.wakeAt <= time) return;
    this.wake?.abort();
    const controller = new AbortController();
    this.wake = controller;
    this.wakeAt = time;
    void this.clock.sleep(Math.max(0, time - this.clock.now()), controller.signal).then(() => {
      if (this.wake !== controller || controller.signal.aborted) return;
      this.wake = undefined;
      this.wakeAt = Number.POSITIVE_INFINITY;
      this.pump();
    });
  }
}

const rank = (waiter: Waiter) => (waiter.priority === "live" ? 0 : 1) * 1e12 + waiter.sequence;

function cancelledWait(description: string): QiError {
  return qiError(
    "CANCELLED",
    `coingecko source: waiting for the rate budget of ${description} was cancelled`,
  );
}

export interface BudgetRequest {
  plan: CoinGeckoPlan;
  apiKey: string | undefined;
  /** The config's callsPerMinute, if any. */
  callsPerMinute: number | undefined;
  /** The plan's default, used when nobody configured a rate. */
  defaultCallsPerMinute: number;
  clock: Clock;
}

/**
 * The budgets of a process, one per API key and plan, so every stream and every source
 * instance using a key shares its calls. Keyless callers share one budget (CoinGecko limits
 * them per IP address).
 */
export class RateBudgets {
  private readonly budgets = new Map<string, RateBudget>();

  budgetFor(request: BudgetRequest): RateBudget {
    const fingerprint = request.apiKey
      ? `key ${createHash("sha256").update(request.apiKey).digest("hex").slice(0, 8)}`
      : "keyless";
    const id = `${request.plan} ${fingerprint}`;
    const existing = this.budgets.get(id);
    if (existing) {
      if (request.callsPerMinute !== undefined) existing.setRate(request.callsPerMinute, "configured");
      return existing;
    }
    const budget =
      request.callsPerMinute !== undefined
        ? new RateBudget(id, request.callsPerMinute, request.clock, "configured")
        : new RateBudget(id, request.defaultCallsPerMinute, request.clock, "default");
    this.budgets.set(id, budget);
    return budget;
  }

  get size(): number {
    return this.budgets.size;
  }
}

const SHARED = Symbol.for("qicore.source-coingecko.rate-budgets");

/**
 * The process-wide budgets. Kept on globalThis so two copies of this package loaded in one
 * process (a pipeline file naming it, plus an import in code) still share a key's calls.
 */
export function sharedRateBudgets(): RateBudgets {
  const holder = globalThis as Record<symbol, unknown>;
  const existing = holder[SHARED];
  if (existing instanceof RateBudgets) return existing;
  if (existing && typeof (existing as RateBudgets).budgetFor === "function") return existing as RateBudgets;
  const created = new RateBudgets();
  holder[SHARED] = created;
  return created;
}
