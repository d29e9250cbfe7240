import { createHash } from "node:crypto";
import { type QiError, qiError } from "@qicore/core/adapter";
import type { Clock } from "./clock";
import { DAY_MS, MINUTE_MS } from "./intervals";

/** Live reads (quotes, candle polls, DSL calls) go before backfills when credits are scarce. */
export type Priority = "live" | "backfill";

/** The right to spend some credits. Release it once the response has arrived (or the call failed). */
export interface CreditGrant {
  release(): void;
}

/** Where the budget's limits came from: the plan's default, the config, or the key's own from `/api_usage`. */
export type LimitSource = "default" | "configured" | "discovered";

export interface CreditLimits {
  perMinute: number;
  /** Credits per UTC day; undefined on plans without a daily cap (every paid plan). */
  perDay: number | undefined;
}

/** Credits a live stream will spend on every poll, and how often it polls. */
export interface LiveDemand {
  credits: number;
  everyMs: number;
}

export interface CreditBudgetSnapshot extends CreditLimits {
  limitSource: LimitSource;
  /** Credits held in the current minute (in flight, or answered less than a minute ago). */
  minuteUsed: number;
  /** Credits counted for today (UTC). */
  dayUsed: number;
  /** Credits of today kept for the live polls still to come. */
  liveReserve: number;
  waiting: Record<Priority, number>;
  blockedUntil: number;
  granted: Record<Priority, number>;
  /** Longest and total time callers waited for credits, per priority (the clock's ms). */
  waited: Record<Priority, { totalMs: number; longestMs: number }>;
}

interface Waiter {
  priority: Priority;
  credits: number;
  sequence: number;
  queuedAt: number;
  resolve: (grant: CreditGrant) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** Credits held in the minute window: from grant until a minute after the answer (Infinity while in flight). */
interface Held {
  credits: number;
  priority: Priority;
  freeAt: number;
}

export const utcDay = (time: number): number => Math.floor(time / DAY_MS);
export const nextUtcMidnight = (time: number): number => (utcDay(time) + 1) * DAY_MS;

/**
 * The credits of one API key. Twelve Data charges every request in credits (1 per symbol for
 * /quote, /price and /time_series), counts them per minute on every plan, and per UTC day on
 * the free Basic plan (800). This budget grants credits so that no minute and no day at the
 * server ever sees more than the limit, however the server counts its minute: credits are held
 * from the moment they are granted until a minute after the answer arrived (the server counted
 * them in between), and an answer that arrives after midnight UTC counts for both days.
 *
 * Live callers are served first, and backfills leave room for them: in every minute the credits
 * one round of live polls needs, and of every day the credits the live polls registered with
 * `setLiveDemand` will need until midnight. A backfill that would dip into that is refused at
 * once (TWELVEDATA_DAILY_CREDITS_SPENT), so it stops with a clear message and goes on after
 * midnight; a live call that finds the day spent waits for midnight. After a 429, `block`
 * holds every caller of the key until the time the server's minute (or day) ends.
 */
export class CreditBudget {
  private limits: CreditLimits;
  private source: LimitSource;
  private readonly held: Held[] = [];
  private readonly days = new Map<number, number>();
  private readonly waiters: Waiter[] = [];
  private readonly demands = new Map<string, readonly LiveDemand[]>();
  private blockedUntil = 0;
  private sequence = 0;
  private readonly granted: Record<Priority, number> = { live: 0, backfill: 0 };
  private readonly waited: Record<Priority, { totalMs: number; longestMs: number }> = {
    live: { totalMs: 0, longestMs: 0 },
    backfill: { totalMs: 0, longestMs: 0 },
  };
  private wake: AbortController | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;

  constructor(
    /** Names the budget in messages: the plan and a fingerprint of the key, never the key. */
    readonly description: string,
    limits: CreditLimits,
    private readonly clock: Clock,
    source: LimitSource = "default",
  ) {
    checkLimits(limits);
    this.limits = { ...limits };
    this.source = source;
  }

  get perMinute(): number {
    return this.limits.perMinute;
  }

  get perDay(): number | undefined {
    return this.limits.perDay;
  }

  get limitSource(): LimitSource {
    return this.source;
  }

  /** Sets the limits. Configured limits are only ever lowered by later configs, never changed by discovery. */
  setLimits(limits: CreditLimits, source: LimitSource): void {
    checkLimits(limits);
    if (this.source === "configured" && source !== "configured") return;
    if (this.source === "configured") {
      limits = {
        perMinute: Math.min(limits.perMinute, this.limits.perMinute),
        perDay: minDefined(limits.perDay, this.limits.perDay),
      };
    }
    this.limits = { ...limits };
    this.source = source;
    this.pump();
  }

  /** Credits spent before this process counted (from /api_usage): this minute's and today's. */
  noteUsage(usage: { minute?: number | undefined; day?: number | undefined }): void {
    const now = this.clock.now();
    if (usage.minute && usage.minute > 0)
      this.held.push({ credits: usage.minute, priority: "live", freeAt: now + MINUTE_MS });
    if (usage.day && usage.day > 0) this.addToDay(utcDay(now), usage.day);
    this.pump();
  }

  /** What a live stream (`id`) spends per poll; `[]` or undefined when it polls no more. */
  setLiveDemand(id: string, demand: readonly LiveDemand[] | undefined): void {
    if (!demand || demand.length === 0) this.demands.delete(id);
    else this.demands.set(id, demand);
    this.pump();
  }

  /** Waits for `credits` credits. Rejects with CANCELLED when the signal aborts first. */
  acquire(credits: number, priority: Priority, signal?: AbortSignal): Promise<CreditGrant> {
    if (!(credits >= 1) || credits > this.limits.perMinute) {
      return Promise.reject(
        qiError(
          "INTERNAL",
          `twelvedata source: a request of ${credits} credits cannot fit the budget of ${this.description} (${this.limits.perMinute} a minute); requests are split before they get here`,
        ),
      );
    }
    if (signal?.aborted) return Promise.reject(cancelledWait(this.description));
    const refusal = priority === "backfill" ? this.dayRefusal(credits) : undefined;
    if (refusal) return Promise.reject(refusal);
    return new Promise<CreditGrant>((resolve, reject) => {
      const waiter: Waiter = {
        priority,
        credits,
        sequence: this.sequence++,
        queuedAt: this.clock.now(),
        resolve,
        reject,
        signal,
        onAbort: undefined,
      };
      if (signal) {
        waiter.onAbort = () => {
          this.remove(waiter);
          reject(cancelledWait(this.description));
          this.pump();
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
      this.pump();
    });
  }

  /** Holds every caller until `until` (epoch ms): the end of the server's minute or day after a 429. */
  block(until: number): void {
    if (until <= this.blockedUntil) return;
    this.blockedUntil = until;
    this.pump();
  }

  /** Takes today as spent (the server answered 429 for the day), so backfills stop and live calls wait for midnight. */
  markDaySpent(): void {
    if (this.limits.perDay === undefined) return;
    const today = utcDay(this.clock.now());
    this.days.set(today, Math.max(this.days.get(today) ?? 0, this.limits.perDay));
  }

  snapshot(): CreditBudgetSnapshot {
    const now = this.clock.now();
    this.expire(now);
    return {
      ...this.limits,
      limitSource: this.source,
      minuteUsed: this.minuteUsed(),
      dayUsed: this.days.get(utcDay(now)) ?? 0,
      liveReserve: this.liveReserve(now),
      waiting: {
        live: this.waiters.filter((waiter) => waiter.priority === "live").length,
        backfill: this.waiters.filter((waiter) => waiter.priority === "backfill").length,
      },
      blockedUntil: this.blockedUntil,
      granted: { ...this.granted },
      waited: { live: { ...this.waited.live }, backfill: { ...this.waited.backfill } },
    };
  }

  /** Today's credits the registered live polls will need until midnight UTC. */
  private liveReserve(now: number): number {
    if (this.limits.perDay === undefined) return 0;
    const left = nextUtcMidnight(now) - now;
    let reserve = 0;
    for (const demand of this.demands.values())
      for (const part of demand) reserve += part.credits * Math.ceil(left / Math.max(1, part.everyMs));
    return reserve;
  }

  /** Credits of each minute a backfill may not take: one round of the live polls (at most all but one). */
  private minuteHeldForLive(): number {
    let perPoll = 0;
    for (const demand of this.demands.values()) for (const part of demand) perPoll += part.credits;
    return Math.min(this.limits.perMinute - 1, perPoll);
  }

  private dayRefusal(credits: number): QiError | undefined {
    const { perDay } = this.limits;
    if (perDay === undefined) return undefined;
    const now = this.clock.now();
    const used = this.days.get(utcDay(now)) ?? 0;
    const reserve = this.liveReserve(now);
    if (used + credits + reserve <= perDay) return undefined;
    const resetsAt = nextUtcMidnight(now);
    return qiError(
      "TWELVEDATA_DAILY_CREDITS_SPENT",
      `twelvedata source: today's credits of ${this.description} are spent for backfills (${used} of ${perDay} used, ${reserve} kept for the live polls until midnight UTC); the backfill stops here and goes on from its checkpoint after ${new Date(resetsAt).toISOString()}`,
      {
        category: "BUSINESS",
        context: { used, perDay, liveReserve: reserve, resetsAt: new Date(resetsAt).toISOString() },
      },
    );
  }

  private minuteUsed(): number {
    return this.held.reduce((total, entry) => total + entry.credits, 0);
  }

  private expire(now: number): void {
    for (let index = this.held.length - 1; index >= 0; index--)
      if ((this.held[index] as Held).freeAt <= now) this.held.splice(index, 1);
    const today = utcDay(now);
    for (const day of this.days.keys()) if (day < today - 1) this.days.delete(day);
  }

  private addToDay(day: number, credits: number): void {
    this.days.set(day, (this.days.get(day) ?? 0) + credits);
  }

  private next(): Waiter | undefined {
    let best: Waiter | undefined;
    for (const waiter of this.waiters) if (!best || rank(waiter) < rank(best)) best = waiter;
    return best;
  }

  private remove(waiter: Waiter): void {
    const index = this.waiters.indexOf(waiter);
    if (index >= 0) this.waiters.splice(index, 1);
    if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
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
      const { perDay, perMinute } = this.limits;
      const today = this.days.get(utcDay(now)) ?? 0;
      if (perDay !== undefined && today + waiter.credits > perDay) {
        if (waiter.priority === "backfill") {
          this.remove(waiter);
          waiter.reject(this.dayRefusal(waiter.credits));
          continue;
        }
        this.wakeUpAt(nextUtcMidnight(now));
        return;
      }
      if (waiter.priority === "backfill") {
        const refusal = this.dayRefusal(waiter.credits);
        if (refusal) {
          this.remove(waiter);
          waiter.reject(refusal);
          continue;
        }
      }
      const limit = waiter.priority === "live" ? perMinute : perMinute - this.minuteHeldForLive();
      if (this.minuteUsed() + waiter.credits <= limit) {
        this.grant(waiter, now);
        continue;
      }
      // Credits free as answered calls leave the window; calls in flight free nothing until
      // they are released, and the release pumps again.
      const soonest = Math.min(...this.held.map((entry) => entry.freeAt));
      if (Number.isFinite(soonest)) this.wakeUpAt(soonest);
      return;
    }
  }

  private grant(waiter: Waiter, now: number): void {
    this.remove(waiter);
    const entry: Held = {
      credits: waiter.credits,
      priority: waiter.priority,
      freeAt: Number.POSITIVE_INFINITY,
    };
    this.held.push(entry);
    const grantDay = utcDay(now);
    this.addToDay(grantDay, waiter.credits);
    this.granted[waiter.priority] += waiter.credits;
    const waited = Math.max(0, now - waiter.queuedAt);
    const statistics = this.waited[waiter.priority];
    statistics.totalMs += waited;
    statistics.longestMs = Math.max(statistics.longestMs, waited);
    let released = false;
    waiter.resolve({
      release: () => {
        if (released) return;
        released = true;
        const answeredAt = this.clock.now();
        entry.freeAt = answeredAt + MINUTE_MS;
        // Answered after midnight: the server may have counted it for the new day.
        if (utcDay(answeredAt) !== grantDay) this.addToDay(utcDay(answeredAt), waiter.credits);
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

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function checkLimits(limits: CreditLimits): void {
  if (!(limits.perMinute >= 1))
    throw new RangeError(`credits per minute must be at least 1, got ${limits.perMinute}`);
  if (limits.perDay !== undefined && !(limits.perDay >= 1))
    throw new RangeError(`credits per day must be at least 1, got ${limits.perDay}`);
}

function cancelledWait(description: string): QiError {
  return qiError("CANCELLED", `twelvedata source: waiting for the credits of ${description} was cancelled`);
}

export interface BudgetRequest {
  plan: string;
  apiKey: string;
  /** The config's limits, where it gives them. */
  configured: Partial<CreditLimits> | undefined;
  /** The plan's defaults, used for what nobody configured. */
  defaults: CreditLimits;
  clock: Clock;
}

/**
 * The budgets of a process, one per API key, so every stream and every source instance using
 * a key shares its credits (Twelve Data counts them per key).
 */
export class CreditBudgets {
  private readonly budgets = new Map<string, CreditBudget>();

  budgetFor(request: BudgetRequest): CreditBudget {
    const id = `${request.plan} key ${createHash("sha256").update(request.apiKey).digest("hex").slice(0, 8)}`;
    const configured = request.configured;
    const hasConfigured = configured?.perMinute !== undefined || configured?.perDay !== undefined;
    const limits: CreditLimits = {
      perMinute: configured?.perMinute ?? request.defaults.perMinute,
      perDay: configured?.perDay ?? request.defaults.perDay,
    };
    const existing = this.budgets.get(id);
    if (existing) {
      if (hasConfigured) existing.setLimits(limits, "configured");
      return existing;
    }
    const budget = new CreditBudget(id, limits, request.clock, hasConfigured ? "configured" : "default");
    this.budgets.set(id, budget);
    return budget;
  }

  get size(): number {
    return this.budgets.size;
  }
}

const SHARED = Symbol.for("qicore.source-twelvedata.credit-budgets");

/**
 * The process-wide budgets, kept on globalThis so two copies of this package loaded in one
 * process (a pipeline file naming it, plus an import in code) still share a key's credits.
 */
export function sharedCreditBudgets(): CreditBudgets {
  const holder = globalThis as Record<symbol, unknown>;
  const existing = holder[SHARED];
  if (existing instanceof CreditBudgets) return existing;
  if (existing && typeof (existing as CreditBudgets).budgetFor === "function")
    return existing as CreditBudgets;
  const created = new CreditBudgets();
  holder[SHARED] = created;
  return created;
}
