import type { HealthConfig } from "../config/types";
import type { PipelineMetrics } from "./metrics";
import type { OutageTracker } from "./outages";

/**
 * Why a pipeline is not ready: adapters not connected, outages being waited out, and
 * series whose newest record is older than `health.freshness.maxAge` (or that have none yet).
 */
export function readinessReasons(
  parts: {
    disconnected: readonly string[];
    outages: OutageTracker;
    metrics: PipelineMetrics;
    health: HealthConfig;
  },
  now: number,
): string[] {
  const reasons = parts.disconnected.map((id) => `"${id}" is not connected`);
  for (const outage of parts.outages.current()) {
    reasons.push(
      `"${outage.adapter}" ${outage.operation} is failing for ${Math.round((now - outage.since) / 1000)} s (${outage.attempts} attempts), retrying: ${outage.reason}`,
    );
  }
  const freshness = parts.health.freshness;
  if (!freshness) return reasons;
  const newest = parts.metrics.newestTimes();
  for (const series of freshness.coins ?? [...newest.keys()]) {
    const time = newest.get(series);
    if (time === undefined) reasons.push(`no data yet for ${series}`);
    else if (now - Date.parse(time) > freshness.maxAgeMs) {
      reasons.push(
        `${series} data is ${Math.round((now - Date.parse(time)) / 1000)}s old (max ${freshness.maxAgeMs / 1000}s)`,
      );
    }
  }
  return reasons;
}
