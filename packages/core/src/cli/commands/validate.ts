import { resolve } from "node:path";
import { formatConfigProblems, loadPipelineFile } from "../../config/index";
import type { ConfigProblem } from "../../config/types";
import { defaultRegistry } from "../../registry/registry";
import { EXIT } from "../exit-codes";
import type { CommandIO } from "../io";

export const validateHelp = `Usage: qicore validate <pipeline.yaml> [--json]

Checks a pipeline file without running it: its shape, \${VAR} references, adapter
types (loading third-party adapters) and each adapter's config. Prints every problem
with file:line:column and exits 2 when there is any, 0 when the file is valid.

  --json   print { valid, problems[] } as JSON`;

export async function validateCommand(
  file: string,
  options: { json: boolean },
  io: CommandIO,
): Promise<number> {
  const path = resolve(io.cwd, file);
  const loaded = await loadPipelineFile(path, { registry: defaultRegistry(), env: io.env });
  if (loaded.ok) {
    const pipeline = loaded.value;
    if (options.json) io.out(JSON.stringify({ valid: true, problems: [] }));
    else
      io.out(
        `${file}: valid pipeline "${pipeline.name}" (${pipeline.sources.length} source(s), ${pipeline.targets.length} target(s), ${pipeline.routes.length} route(s))`,
      );
    return EXIT.OK;
  }
  const problems = (loaded.error.context.problems as ConfigProblem[] | undefined) ?? [
    { path: "", message: loaded.error.message },
  ];
  if (options.json) io.out(JSON.stringify({ valid: false, problems }, null, 2));
  else {
    io.error(formatConfigProblems(problems));
    io.error(`${problems.length} problem(s) in ${file}`);
  }
  return EXIT.INVALID;
}
