import { defaultRegistry } from "../../registry/registry";
import { EXIT } from "../exit-codes";
import type { CommandIO } from "../io";
import { loadAdaptersForCommand } from "./load-adapters";

export const adaptersHelp = `Usage: qicore adapters [--load <package-or-path>]... [--json]

Lists the sources and targets this project can use: the built-ins, every installed
adapter package (@qicore/source-*, @qicore/target-*, and packages whose package.json
declares "qicore": { "adapters": ... }), and any --load'ed module.`;

export async function adaptersCommand(
  options: { load: string[]; json: boolean },
  io: CommandIO,
): Promise<number> {
  const registry = defaultRegistry();
  const problems = await loadAdaptersForCommand(registry, options.load, io.cwd);
  const adapters = registry.list();
  if (options.json) {
    io.out(JSON.stringify(adapters, null, 2));
  } else {
    for (const role of ["source", "target", "processor"] as const) {
      io.out(`${role}s:`);
      for (const adapter of adapters.filter((entry) => entry.role === role)) {
        io.out(
          `  ${adapter.name.padEnd(14)} ${adapter.kinds.join(",").padEnd(24)} ${adapter.description ?? ""}`,
        );
      }
    }
  }
  for (const problem of problems) io.error(problem);
  return problems.length > 0 ? EXIT.INVALID : EXIT.OK;
}
