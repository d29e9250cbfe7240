import type { HealthStatus } from "../adapters/types";
import { redactConfig } from "../errors/redact";
import { describeDeliveryConfig } from "./delivery-state";
import type { MetricsSnapshot } from "./metrics";
import type { Pipeline, PipelineState } from "./pipeline";

/** One source or target, with what its own health check last said (lag, rate budgets ...). */
export interface AdapterStatus {
  id: string;
  role: "source" | "target";
  /** The `type` of the pipeline file. */
  type: string;
  /** The adapter's last health check (at most ADAPTER_HEALTH_INTERVAL_MS old), secrets masked. */
  health?: HealthStatus;
  /** When that health check ran (ISO-8601 UTC). */
  checkedAt?: string;
}

/** The newest record of one series that reached all its targets. */
export interface SeriesFreshness {
  /** `bitcoin`, or `binance:BTCUSDT` for a venue's own instrument. */
  series: string;
  newest: string;
  ageSeconds: number;
  /** Older than `health.freshness.maxAge`; absent when the pipeline sets no limit. */
  stale?: boolean;
}

/**
 * What `GET /status` of `qicore run` serves and the dashboard shows: state, readiness, every
 * adapter, the metrics and the freshness of every series, in one JSON document.
 */
export interface PipelineStatus {
  pipeline: string;
  /** When this status was taken (ISO-8601 UTC); rates are differences between two of them. */
  at: string;
  state: PipelineState;
  live: boolean;
  ready: boolean;
  reasons: string[];
  sources: AdapterStatus[];
  targets: AdapterStatus[];
  metrics: MetricsSnapshot;
  freshness: SeriesFreshness[];
  /** `health.freshness.maxAge` in seconds, when the pipeline sets one. */
  staleAfterSeconds?: number;
  deadLetterDestination: string;
  checkpoints: string;
}

/**
 * Adapters' health checks are asked at most this often, however many watchers poll: some
 * cost a call from a rate budget (CoinGecko's answers /ping), others a broker round trip.
 */
export const ADAPTER_HEALTH_INTERVAL_MS = 30_000;
/** A first status waits this long for the health checks; later ones use the last answers. */
const FIRST_HEALTH_WAIT_MS = 2_000;
/** Series listed at most (a pipeline over 1,024 exchange streams stays readable). */
const MAX_SERIES = 5_000;

interface HealthCache {
  checkedAt: number;
  value: Record<string, HealthStatus>;
  refreshing: Promise<void> | undefined;
}

const healthCaches = new WeakMap<Pipeline, HealthCache>();

/** The status of a pipeline running in this process. */
export async function pipelineStatus(pipeline: Pipeline, now = Date.now()): Promise<PipelineStatus> {
  const health = pipeline.health(now);
  const metrics = pipeline.metrics.snapshot(now);
  const cache = await adapterHealth(pipeline, now);
  const { config } = pipeline;
  const adapter = (id: string, role: AdapterStatus["role"], type: string): AdapterStatus => {
    const checked = cache?.value[id];
    return {
      id,
      role,
      type,
      ...(checked && cache
        ? { health: redactConfig(checked), checkedAt: new Date(cache.checkedAt).toISOString() }
        : {}),
    };
  };
  const maxAgeMs = config.health.freshness?.maxAgeMs;
  const freshness: SeriesFreshness[] = [];
  for (const [series, newest] of pipeline.metrics.newestTimes()) {
    if (freshness.length >= MAX_SERIES) break;
    const ageSeconds = Math.max(0, (now - Date.parse(newest)) / 1000);
    freshness.push({
      series,
      newest,
      ageSeconds,
      ...(maxAgeMs !== undefined ? { stale: ageSeconds * 1000 > maxAgeMs } : {}),
    });
  }
  freshness.sort((a, b) => (a.series < b.series ? -1 : a.series > b.series ? 1 : 0));
  const described = describeDeliveryConfig(config);
  return {
    pipeline: config.name,
    at: new Date(now).toISOString(),
    state: health.state,
    live: health.live,
    ready: health.ready,
    reasons: health.reasons,
    sources: config.sources.map((spec) => adapter(spec.id, "source", spec.type)),
    targets: config.targets.map((spec) => adapter(spec.id, "target", spec.type)),
    metrics,
    freshness,
    ...(maxAgeMs !== undefined ? { staleAfterSeconds: maxAgeMs / 1000 } : {}),
    deadLetterDestination: described.deadLetters,
    checkpoints: described.checkpoints,
  };
}

/** The adapters' last health answers (what GET /status shows), for /metrics' lag gauge. */
export async function lastAdapterHealth(
  pipeline: Pipeline,
  now = Date.now(),
): Promise<Record<string, HealthStatus> | undefined> {
  return (await adapterHealth(pipeline, now))?.value;
}

/** The last health answers, refreshed in the background when older than the interval. */
async function adapterHealth(pipeline: Pipeline, now: number): Promise<HealthCache | undefined> {
  if (pipeline.status !== "running" && pipeline.status !== "initialized") return healthCaches.get(pipeline);
  let cache = healthCaches.get(pipeline);
  if (!cache) {
    cache = { checkedAt: 0, value: {}, refreshing: undefined };
    healthCaches.set(pipeline, cache);
  }
  const current = cache;
  if (now - current.checkedAt >= ADAPTER_HEALTH_INTERVAL_MS && !current.refreshing) {
    current.refreshing = pipeline
      .adapterHealth()
      .then((value) => {
        current.value = value;
        current.checkedAt = Date.now();
      })
      .catch(() => undefined)
      .finally(() => {
        current.refreshing = undefined;
      });
  }
  if (current.checkedAt === 0 && current.refreshing) {
    await Promise.race([
      current.refreshing,
      new Promise((resolve) => setTimeout(resolve, FIRST_HEALTH_WAIT_MS)),
    ]);
  }
  return current.checkedAt === 0 ? undefined : current;
}
