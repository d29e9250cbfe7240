import semver from "semver";
import { ADAPTER_CONTRACT_VERSION, type AdapterDefinition } from "../adapters/types";
import { RECORD_KINDS } from "../dsl/kinds";
import { type QiError, qiError } from "../errors/qi-error";
import { CORE_VERSION } from "../version";

/** Problems with a value that claims to be an adapter definition (empty when it is one). */
export function adapterShapeProblems(candidate: unknown): string[] {
  if (typeof candidate !== "object" || candidate === null) return ["is not an object"];
  const value = candidate as Record<string, unknown>;
  const problems: string[] = [];
  if (value.role !== "source" && value.role !== "target" && value.role !== "processor")
    problems.push(`role must be "source", "target" or "processor"`);
  if (typeof value.name !== "string" || !/^[a-z0-9][a-z0-9-]*$/.test(value.name))
    problems.push("name must be a lowercase name (letters, digits, dashes)");
  if (typeof value.contractVersion !== "number") problems.push("contractVersion must be a number");
  if (typeof value.coreVersion !== "string" || semver.validRange(value.coreVersion) === null)
    problems.push("coreVersion must be a semver range such as ^0.1.0");
  const schema = value.configSchema as { safeParse?: unknown } | undefined;
  if (!schema || typeof schema.safeParse !== "function") problems.push("configSchema must be a zod schema");
  if (typeof value.create !== "function") problems.push("create must be a function");
  if (value.openReader !== undefined && (value.role !== "target" || typeof value.openReader !== "function"))
    problems.push("openReader, when present, must be a function of a target");
  const capabilities = value.capabilities as { kinds?: unknown } | undefined;
  if (!capabilities || !Array.isArray(capabilities.kinds) || capabilities.kinds.length === 0)
    problems.push("capabilities.kinds must list at least one record kind");
  else {
    const unknownKinds = capabilities.kinds.filter(
      (kind) => !(RECORD_KINDS as readonly unknown[]).includes(kind),
    );
    if (unknownKinds.length > 0)
      problems.push(
        `capabilities.kinds has unknown kinds ${unknownKinds.join(", ")} (known: ${RECORD_KINDS.join(", ")})`,
      );
  }
  return problems;
}

/**
 * Whether a core version meets an adapter's `coreVersion` range. Breaking changes of the
 * contract change ADAPTER_CONTRACT_VERSION, which is checked separately; so while the core is
 * 0.x, an adapter built for `^0.1.0` keeps working with 0.2, 0.3 ... (a caret range alone would
 * refuse every new 0.x minor), and is refused by 1.0.
 */
export function coreSatisfies(range: string, coreVersion: string): boolean {
  if (semver.satisfies(coreVersion, range, { includePrerelease: true })) return true;
  const lowest = semver.minVersion(range);
  return (
    lowest !== null &&
    lowest.major === 0 &&
    semver.satisfies(coreVersion, `>=${lowest.version} <1.0.0`, { includePrerelease: true })
  );
}

export function isAdapterDefinition(candidate: unknown): candidate is AdapterDefinition {
  return adapterShapeProblems(candidate).length === 0;
}

/** Checks shape, contract version and supported core range; the error says which and what to do. */
export function checkAdapter(candidate: unknown, origin: string): QiError | null {
  const problems = adapterShapeProblems(candidate);
  if (problems.length > 0) {
    return qiError("ADAPTER_INVALID", `${origin} is not a QiCore adapter: ${problems.join("; ")}`, {
      context: { origin, problems },
    });
  }
  const definition = candidate as AdapterDefinition;
  if (definition.contractVersion !== ADAPTER_CONTRACT_VERSION) {
    return qiError(
      "ADAPTER_INCOMPATIBLE",
      `adapter "${definition.name}" (${origin}) implements adapter contract v${definition.contractVersion}, this core implements v${ADAPTER_CONTRACT_VERSION}; install a version of the adapter built for this core`,
      { context: { adapter: definition.name, contractVersion: definition.contractVersion } },
    );
  }
  if (!coreSatisfies(definition.coreVersion, CORE_VERSION)) {
    return qiError(
      "ADAPTER_INCOMPATIBLE",
      `adapter "${definition.name}" (${origin}) supports @qicore/core ${definition.coreVersion}, but ${CORE_VERSION} is installed`,
      { context: { adapter: definition.name, coreVersion: definition.coreVersion, installed: CORE_VERSION } },
    );
  }
  return null;
}
