import { pipelineJsonSchema } from "../../config/index";
import {
  generateSchemaSql,
  generateTopicConfigs,
  generateTypeDeclarations,
  recordJsonSchema,
  topicsYaml,
} from "../../dsl/generate/index";
import { RECORD_KINDS, type RecordKind } from "../../dsl/kinds";
import { defaultRegistry } from "../../registry/registry";
import { EXIT } from "../exit-codes";
import type { CommandIO } from "../io";
import { loadAdaptersForCommand } from "./load-adapters";

export const schemaHelp = `Usage: qicore schema <sql|json|topics|types|pipeline> [options]

Prints what the DSL's zod schemas generate:
  sql        TimescaleDB DDL: tables, primary keys, hypertables, indexes
             --edition timescale|apache|postgres (default timescale), --schema <name>,
             --chunk-interval <interval> (default 1 day)
  json       JSON Schemas of the records; --kind price|ohlcv|analytics, --io input|output
  topics     Kafka topic configs (partitions, retention, compression, cleanup);
             --format yaml|json (default yaml)
  types      TypeScript declarations of the records
  pipeline   the JSON Schema of pipeline files, with the configs of the adapters this
             project has installed and of any --load <package-or-path> (repeatable);
             save it beside your pipeline for editors: qicore schema pipeline > pipeline.schema.json`;

export interface SchemaOptions {
  kind?: string;
  io?: string;
  edition?: string;
  schema?: string;
  chunkInterval?: string;
  format?: string;
  load?: readonly string[];
}

export async function schemaCommand(
  what: string | undefined,
  options: SchemaOptions,
  io: CommandIO,
): Promise<number> {
  const kinds = selectKinds(options.kind);
  if (!kinds) {
    io.error(`unknown --kind "${options.kind}"; use one of ${RECORD_KINDS.join(", ")}`);
    return EXIT.INVALID;
  }
  switch (what) {
    case "sql": {
      const edition = options.edition ?? "timescale";
      if (edition !== "timescale" && edition !== "apache" && edition !== "postgres") {
        io.error(`unknown --edition "${edition}"; use timescale, apache or postgres`);
        return EXIT.INVALID;
      }
      try {
        io.out(
          generateSchemaSql({
            edition,
            ...(options.schema ? { schema: options.schema } : {}),
            ...(options.chunkInterval ? { chunkInterval: options.chunkInterval } : {}),
          }),
        );
      } catch (thrown) {
        io.error((thrown as Error).message);
        return EXIT.INVALID;
      }
      return EXIT.OK;
    }
    case "json": {
      const direction = options.io ?? "output";
      if (direction !== "input" && direction !== "output") {
        io.error(`unknown --io "${direction}"; use input or output`);
        return EXIT.INVALID;
      }
      const schemas = kinds.map((kind) => recordJsonSchema(kind, { io: direction }));
      io.out(JSON.stringify(schemas.length === 1 ? schemas[0] : schemas, null, 2));
      return EXIT.OK;
    }
    case "topics":
      io.out(options.format === "json" ? JSON.stringify(generateTopicConfigs(), null, 2) : topicsYaml());
      return EXIT.OK;
    case "types":
      io.out(generateTypeDeclarations());
      return EXIT.OK;
    case "pipeline": {
      const registry = defaultRegistry();
      const problems = await loadAdaptersForCommand(registry, options.load ?? [], io.cwd);
      for (const problem of problems) io.error(problem);
      if (problems.length > 0) return EXIT.INVALID;
      io.out(JSON.stringify(pipelineJsonSchema(registry), null, 2));
      return EXIT.OK;
    }
    default:
      io.error(what ? `unknown schema "${what}"\n\n${schemaHelp}` : schemaHelp);
      return EXIT.INVALID;
  }
}

function selectKinds(kind: string | undefined): RecordKind[] | undefined {
  if (kind === undefined) return [...RECORD_KINDS];
  return (RECORD_KINDS as readonly string[]).includes(kind) ? [kind as RecordKind] : undefined;
}
