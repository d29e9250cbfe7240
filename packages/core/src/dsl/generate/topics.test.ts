import type { ITopicConfig } from "kafkajs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { QiError } from "../../errors/qi-error";
import { RECORD_KIND_DEFINITIONS, RECORD_KINDS } from "../kinds";
import { recordSchemaId } from "./json-schema";
import { generateTopicConfigs, topicsYaml } from "./topics";

describe("Kafka topic configs", () => {
  it("match the committed YAML snapshot", async () => {
    await expect(topicsYaml()).toMatchFileSnapshot("./__snapshots__/topics.yml");
  });

  it("carry each kind's partitions, replication, retention, compression and cleanup policy", () => {
    // Typed as kafkajs' own topic config: what admin.createTopics takes.
    const topics: ITopicConfig[] = generateTopicConfigs();
    const configs = generateTopicConfigs();
    expect(topics).toHaveLength(RECORD_KINDS.length);
    for (const [index, kind] of RECORD_KINDS.entries()) {
      const defaults = RECORD_KIND_DEFINITIONS[kind].topic;
      const config = configs[index];
      expect(config).toMatchObject({
        topic: defaults.name,
        numPartitions: defaults.partitions,
        replicationFactor: defaults.replicationFactor,
        kind,
        keyField: RECORD_KIND_DEFINITIONS[kind].keyField,
        valueSchemaId: recordSchemaId(kind, "output"),
      });
      expect(config?.configEntries).toEqual([
        { name: "retention.ms", value: String(defaults.retentionMs) },
        { name: "compression.type", value: defaults.compressionType },
        { name: "cleanup.policy", value: defaults.cleanupPolicy },
      ]);
    }
    expect(configs[0]?.configEntries[0]?.value).toBe("604800000");
  });

  it("apply a prefix, a replication factor and a partition count to every topic", () => {
    const configs = generateTopicConfigs({ prefix: "dev.", replicationFactor: 1, partitions: 3 });
    expect(configs.map((config) => config.topic)).toEqual(
      RECORD_KINDS.map((kind) => `dev.${RECORD_KIND_DEFINITIONS[kind].topic.name}`),
    );
    expect(new Set(configs.map((config) => config.replicationFactor))).toEqual(new Set([1]));
    expect(new Set(configs.map((config) => config.numPartitions))).toEqual(new Set([3]));
  });

  it("refuse options that make invalid topics, as VALIDATION QiErrors", () => {
    const attempts = [
      () => generateTopicConfigs({ prefix: "dev/" }),
      () => generateTopicConfigs({ prefix: "x".repeat(240) }),
      () => generateTopicConfigs({ partitions: 0 }),
      () => generateTopicConfigs({ replicationFactor: 1.5 }),
      () => topicsYaml({ prefix: "a b" }),
    ];
    for (const attempt of attempts) {
      let caught: unknown;
      try {
        attempt();
      } catch (thrown) {
        caught = thrown;
      }
      expect(QiError.isInstance(caught)).toBe(true);
      expect((caught as QiError).category).toBe("VALIDATION");
    }
  });

  it("render as YAML that reads back to the same settings", () => {
    const parsed = parse(topicsYaml({ prefix: "prod-", replicationFactor: 2 })) as Record<
      string,
      Record<string, unknown>
    >;
    for (const config of generateTopicConfigs({ prefix: "prod-", replicationFactor: 2 })) {
      const entry = (name: string) =>
        config.configEntries.find((candidate) => candidate.name === name)?.value;
      expect(parsed[config.topic]).toEqual({
        partitions: config.numPartitions,
        "replication-factor": 2,
        "retention-ms": Number(entry("retention.ms")),
        "compression-type": entry("compression.type"),
        "cleanup-policy": entry("cleanup.policy"),
        kind: config.kind,
        "key-field": config.keyField,
        "value-schema": config.valueSchemaId,
        "schema-version": config.schemaVersion,
      });
    }
    expect(topicsYaml()).toContain("retention-ms: 604800000 # 7 days");
  });
});
