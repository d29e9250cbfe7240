import type { HealthStatus } from "../adapters/types";
import { renderLabels } from "./metrics";

/**
 * The consumer lag of Kafka-like sources as a Prometheus gauge, read from their last health
 * check (`details.lag`: `topic/partition` → messages, what `qicore top` shows). The brokers
 * are asked at most every ADAPTER_HEALTH_INTERVAL_MS however often Prometheus scrapes, so the
 * value may be that old. HELP and TYPE are always written, so dashboards find the family
 * even when no source reports lag.
 */
export function consumerLagExposition(
  pipelineName: string,
  health: Readonly<Record<string, HealthStatus>> | undefined,
): string {
  const lines = [
    "# HELP qicore_consumer_lag_messages Messages a source's consumer group has yet to read, per partition (from its last health check).",
    "# TYPE qicore_consumer_lag_messages gauge",
  ];
  for (const [adapter, status] of Object.entries(health ?? {})) {
    const lag = status.details?.lag;
    if (!lag || typeof lag !== "object") continue;
    for (const [key, value] of Object.entries(lag as Record<string, unknown>)) {
      if (typeof value !== "number" || !Number.isFinite(value)) continue;
      const slash = key.lastIndexOf("/");
      const topic = slash > 0 ? key.slice(0, slash) : key;
      const partition = slash > 0 ? key.slice(slash + 1) : "";
      lines.push(
        `qicore_consumer_lag_messages${renderLabels({ pipeline: pipelineName, adapter, topic, partition })} ${value}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
