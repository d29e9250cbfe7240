import { RECORD_KIND_DEFINITIONS, RECORD_KINDS } from "../kinds";
import { tableModel } from "../table-model";

/**
 * The record kinds as Markdown: per kind its table, key and topic, and one row per field
 * (name, column type, whether it may be absent, what it means). Shipped as
 * `schemas/RECORDS.md`, so the fields are readable without running `qicore schema`.
 */
export function recordsMarkdown(): string {
  const lines = [
    "# Record kinds",
    "",
    "Generated from the zod schemas of `@qicore/core` (`pnpm --filter @qicore/core gen:schemas`); do not edit.",
    "Decimals travel as decimal strings, times as ISO-8601 UTC strings. Optional fields may be absent or null.",
  ];
  for (const kind of RECORD_KINDS) {
    const definition = RECORD_KIND_DEFINITIONS[kind];
    const model = tableModel(kind);
    lines.push(
      "",
      `## \`${kind}\``,
      "",
      `Table \`${model.table}\` (time column \`${model.timeColumn}\`, primary key ${model.primaryKey.map((column) => `\`${column}\``).join(", ")}); topic \`${definition.topic.name}\`${definition.keyField ? ` keyed by \`${definition.keyField}\`` : ""}; schema version ${definition.schemaVersion}.`,
      "",
      "| field | type | optional | description |",
      "| --- | --- | --- | --- |",
    );
    for (const column of model.columns) {
      const description = (column.description ?? "").replaceAll("|", "\\|");
      lines.push(
        `| \`${column.field}\` | ${column.valueType} (${column.sqlType}) | ${column.nullable ? "yes" : ""} | ${description} |`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
