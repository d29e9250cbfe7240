import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { allRecordJsonSchemas, pipelineJsonSchema, redactedConfig } from "@qicore/core";
import type { PipelineAccess } from "./pipeline-access";

const JSON_TYPE = "application/json";

/** URI of the served pipeline's config (secrets redacted). */
export const PIPELINE_CONFIG_URI = "qicore://pipeline/config";
/** URI of a record JSON Schema, by its published file name (`crypto-price.v1.json`). */
export const schemaUri = (fileName: string) => `qicore://schemas/${fileName}`;

/**
 * Resources: the DSL's record JSON Schemas (input and output form of each kind), the
 * pipeline-file JSON Schema, and the served pipeline's config with secrets masked.
 */
export function registerResources(server: McpServer, access: PipelineAccess): void {
  for (const entry of allRecordJsonSchemas()) {
    const uri = schemaUri(entry.fileName);
    const text = JSON.stringify(entry.schema, null, 2);
    server.registerResource(
      entry.fileName,
      uri,
      {
        title: `JSON Schema of ${entry.kind} records (${entry.io})`,
        description:
          entry.io === "input"
            ? `What a ${entry.kind} record may look like when stored (store_prices / store_ohlcv accept this form).`
            : `The canonical form of ${entry.kind} records, as the query tools return them.`,
        mimeType: "application/schema+json",
      },
      async () => ({ contents: [{ uri, mimeType: "application/schema+json", text }] }),
    );
  }

  const pipelineSchemaUri = schemaUri("pipeline.schema.json");
  server.registerResource(
    "pipeline.schema.json",
    pipelineSchemaUri,
    {
      title: "JSON Schema of pipeline files",
      description:
        "The shape of a pipeline file (sources, targets, routes, delivery), for validate_pipeline.",
      mimeType: "application/schema+json",
    },
    async () => ({
      contents: [
        {
          uri: pipelineSchemaUri,
          mimeType: "application/schema+json",
          text: JSON.stringify(pipelineJsonSchema(), null, 2),
        },
      ],
    }),
  );

  server.registerResource(
    "pipeline-config",
    PIPELINE_CONFIG_URI,
    {
      title: `Pipeline "${access.config.name}"`,
      description:
        "The served pipeline's config as loaded (after ${VAR} interpolation), with passwords, tokens and keys masked.",
      mimeType: JSON_TYPE,
    },
    async () => ({
      contents: [
        {
          uri: PIPELINE_CONFIG_URI,
          mimeType: JSON_TYPE,
          text: JSON.stringify(redactedConfig(access.config), null, 2),
        },
      ],
    }),
  );
}
