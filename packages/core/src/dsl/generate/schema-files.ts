import { pipelineJsonSchema } from "../../config/json-schema";
import { createRegistry } from "../../registry/registry";
import { allRecordJsonSchemas } from "./json-schema";
import { recordsMarkdown } from "./markdown";
import { generateSchemaSql } from "./sql";
import { topicsYaml } from "./topics";

/** One generated file shipped in `@qicore/core/schemas/`. */
export interface SchemaFile {
  /** Path relative to the package root, e.g. `schemas/crypto-price.v1.json`. */
  path: string;
  content: string;
  /** `json` files compare by value: a formatter may lay them out differently. */
  format: "json" | "text";
}

/**
 * The files of `@qicore/core/schemas/`: every record's JSON Schema (output and input),
 * the TimescaleDB DDL (`schema.sql`, timescale edition, schema `public`) and the topic
 * configuration (`topics.yml`) and the JSON Schema of pipeline files (`pipeline.schema.json`). The repository keeps them committed; a test fails when
 * they differ from what the generators produce.
 */
export function schemaFiles(): SchemaFile[] {
  return [
    ...allRecordJsonSchemas().map(
      (entry): SchemaFile => ({
        path: `schemas/${entry.fileName}`,
        content: `${JSON.stringify(entry.schema, null, 2)}\n`,
        format: "json",
      }),
    ),
    { path: "schemas/schema.sql", content: generateSchemaSql(), format: "text" },
    { path: "schemas/topics.yml", content: topicsYaml(), format: "text" },
    { path: "schemas/RECORDS.md", content: recordsMarkdown(), format: "text" },
    // Pipeline files, with the built-in adapters' configs; `qicore schema pipeline` adds installed adapters.
    {
      path: "schemas/pipeline.schema.json",
      content: `${JSON.stringify(pipelineJsonSchema(createRegistry()), null, 2)}\n`,
      format: "json",
    },
  ];
}
