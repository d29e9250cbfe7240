import type { RedpandaTargetConfig } from "../src/config";

/** Every Kafka library the target can produce with: behaviour tests run once per library. */
export const PRODUCER_LIBRARIES: readonly RedpandaTargetConfig["library"][] = ["platformatic", "kafkajs"];
