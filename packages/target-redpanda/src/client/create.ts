import type { Logger } from "@qicore/core/adapter";
import type { RedpandaTargetConfig } from "../config";
import { createKafkajsClient } from "./kafkajs";
import { createPlatformaticClient } from "./platformatic";
import type { KafkaClient } from "./types";

/** The client seam implemented with the library the config asks for. */
export function createClient(
  config: Pick<RedpandaTargetConfig, "library"> & Parameters<typeof createKafkajsClient>[0],
  logger: Logger,
): KafkaClient {
  return config.library === "kafkajs"
    ? createKafkajsClient(config, logger)
    : createPlatformaticClient(config, logger);
}
