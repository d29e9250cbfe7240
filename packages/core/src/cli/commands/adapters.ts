import { defaultRegistry } from "../../registry/registry";
import { EXIT } from "../exit-codes";
import type { CommandIO } from "../io";

export const adaptersHelp = `Usage: qicore adapters [--load <package-or-path>]... [--json]

Lists the sources and targets this installation knows: the built-ins, every
installed @qicore/source-* and @qicore/target-* package, and any --load'ed module.`;

const KNOWN_PACKAGES = [
  "@qicore/source-coingecko",
  "@qicore/source-redpanda",
  "@qicore/target-timescale",
  "@qicore/target-redpanda",
];

export async function adaptersCommand(
  options: { load: string[]; json: boolean },
  io: CommandIO,
): Promise<number> {
  const registry = defaultRegistry();
  const notes: string[] = [];
  for (const name of KNOWN_PACKAGES) {
    const [role, type] = name.replace("@qicore/", "").split(/-(.*)/s) as ["source" | "target", string];
    await registry.resolve(role, type, { baseDir: io.cwd }); // registers it when installed; silence otherwise
  }
  for (const specifier of options.load) {
    let loaded = false;
    for (const role of ["source", "target"] as const) {
      const result = await registry.resolve(role, specifier, { baseDir: io.cwd });
      if (result.ok) loaded = true;
    }
    if (!loaded) notes.push(`could not load ${specifier}`);
  }
  const adapters = registry.list();
  if (options.json) {
    io.out(JSON.stringify(adapters, null, 2));
  } else {
    for (const role of ["source", "target"] as const) {
      io.out(`${role}s:`);
      for (const adapter of adapters.filter((entry) => entry.role === role)) {
        io.out(
          `  ${adapter.name.padEnd(14)} ${adapter.kinds.join(",").padEnd(24)} ${adapter.description ?? ""}`,
        );
      }
    }
  }
  for (const note of notes) io.error(note);
  return notes.length > 0 ? EXIT.INVALID : EXIT.OK;
}
