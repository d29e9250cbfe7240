export {
  allRecordJsonSchemas,
  type JsonSchema,
  type RecordJsonSchemaEntry,
  type RecordJsonSchemaOptions,
  recordJsonSchema,
  recordSchemaFileName,
  recordSchemaId,
  recordSchemaName,
  SCHEMA_BASE_URI,
  type SchemaIo,
} from "./json-schema";
export { type SchemaFile, schemaFiles } from "./schema-files";
export {
  DEFAULT_CHUNK_INTERVALS,
  DEFAULT_COMPRESS_AFTER,
  generateSchemaSql,
  generateTableSql,
  quoteIdentifier,
  quoteLiteral,
  type SchemaSqlOptions,
  SQL_EDITIONS,
  type SqlEdition,
  schemaStatements,
  tableStatements,
} from "./sql";
export {
  generateTopicConfigs,
  type TopicConfig,
  type TopicConfigEntry,
  type TopicConfigOptions,
  topicsYaml,
} from "./topics";
export { generateTypeDeclarations, recordTypeName } from "./typescript";
