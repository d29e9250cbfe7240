import type { AdapterRegistry } from "../../registry/registry";

/**
 * What `adapters` and `schema pipeline` know about: the project's installed adapter
 * packages and the modules given with `--load`. Returns one message per module that
 * could not be loaded, with its real cause.
 */
export async function loadAdaptersForCommand(
  registry: AdapterRegistry,
  load: readonly string[],
  cwd: string,
): Promise<string[]> {
  const installed = await registry.loadInstalled({ baseDir: cwd });
  const problems = installed.failed.map((entry) => entry.error.message);
  for (const specifier of load) {
    const outcomes = await Promise.all(
      (["source", "target", "processor"] as const).map((role) =>
        registry.resolve(role, specifier, { baseDir: cwd }),
      ),
    );
    let loaded = false;
    for (const outcome of outcomes) {
      if (!outcome.ok) continue;
      loaded = true;
      // Listed and offered in the editor schema under its own name, as a package would be.
      const definition = outcome.value;
      if (!registry.get(definition.role, definition.name))
        registry.register(definition, `--load ${specifier}`);
    }
    if (loaded) continue;
    // Every role failed; a module that exports one kind only fails the others as "exports no
    // source adapter", so the more telling message is the one that is not about the role.
    const messages = outcomes.flatMap((outcome) => (outcome.ok ? [] : [outcome.error.message]));
    const telling = messages.find((message) => !/exports no (source|target|processor) adapter/.test(message));
    problems.push(`could not load ${specifier}: ${telling ?? messages.join("; ")}`);
  }
  return problems;
}
