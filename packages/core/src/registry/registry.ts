import { isAbsolute, resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import type { AdapterDefinition, SourceDefinition, TargetDefinition } from "../adapters/types";
import { BUILTIN_ADAPTERS } from "../builtin/index";
import { QiError } from "../errors/qi-error";
import { err, ok, type Result } from "../result/result";
import { ensureTypeScriptLoader, resolveFrom } from "./module-loader";
import { checkAdapter, isAdapterDefinition } from "./shape";

export type AdapterRole = "source" | "target";

export interface AdapterSummary {
  role: AdapterRole;
  name: string;
  description?: string;
  kinds: readonly string[];
  origin: string;
}

export interface ResolveOptions {
  /** Folder that relative paths in `type` are resolved against (the pipeline file's folder). */
  baseDir?: string;
}

/**
 * Knows the adapters a pipeline may name. Adapters register by importing their
 * package (into the default registry) or explicitly with `register`. A `type` that is
 * a path (`./my-source.ts`) or a package name (`@acme/qicore-source-x`) is imported
 * on demand and shape-checked.
 */
export class AdapterRegistry {
  private readonly adapters = new Map<string, { definition: AdapterDefinition; origin: string }>();

  /** Adds an adapter. Registering the same definition twice is harmless; a different one under a taken name is an error. */
  register(definition: AdapterDefinition, origin = "registered in code"): Result<AdapterDefinition, QiError> {
    const problem = checkAdapter(definition, origin);
    if (problem) return err(problem);
    const key = keyOf(definition.role, definition.name);
    const existing = this.adapters.get(key);
    if (existing && existing.definition !== definition && existing.definition.create !== definition.create) {
      return err(
        new QiError({
          code: "ADAPTER_INVALID",
          message: `a ${definition.role} named "${definition.name}" is already registered (${existing.origin})`,
          category: "VALIDATION",
          retryable: false,
          context: { adapter: definition.name },
        }),
      );
    }
    this.adapters.set(key, { definition, origin });
    return ok(definition);
  }

  get(role: "source", name: string): SourceDefinition | undefined;
  get(role: "target", name: string): TargetDefinition | undefined;
  get(role: AdapterRole, name: string): AdapterDefinition | undefined;
  get(role: AdapterRole, name: string): AdapterDefinition | undefined {
    return this.adapters.get(keyOf(role, name))?.definition;
  }

  list(role?: AdapterRole): AdapterSummary[] {
    return [...this.adapters.values()]
      .filter((entry) => role === undefined || entry.definition.role === role)
      .map(({ definition, origin }) => ({
        role: definition.role,
        name: definition.name,
        kinds: definition.capabilities.kinds,
        origin,
        ...(definition.description ? { description: definition.description } : {}),
      }))
      .sort((a, b) => a.role.localeCompare(b.role) || a.name.localeCompare(b.name));
  }

  /**
   * Finds the adapter a pipeline's `type` names: a registered name, a file path, a
   * package name, or a conventional `@qicore/<role>-<type>` package that is installed
   * but not yet imported.
   */
  async resolve(
    role: AdapterRole,
    type: string,
    options: ResolveOptions = {},
  ): Promise<Result<AdapterDefinition, QiError>> {
    const registered = this.get(role, type);
    if (registered) return ok(registered);

    const searchDirs = [options.baseDir ?? process.cwd(), process.cwd()];
    if (looksLikePath(type)) {
      const file = type.startsWith("file:")
        ? type
        : isAbsolute(type)
          ? type
          : resolvePath(searchDirs[0] as string, type);
      if (/\.[cm]?ts$/.test(file) && !process.env.VITEST && !(await ensureTypeScriptLoader(searchDirs))) {
        return err(
          new QiError({
            code: "ADAPTER_INVALID",
            message: `${role} adapter "${type}" is a TypeScript file: install tsx in your project (pnpm add -D tsx) or compile the adapter to .js`,
            category: "VALIDATION",
            retryable: false,
            context: { role, type },
          }),
        );
      }
      return this.loadModule(
        role,
        type,
        file.startsWith("file:") ? file : pathToFileURL(file).href,
        `file ${type}`,
      );
    }
    if (looksLikePackage(type))
      return this.loadModule(role, type, resolveFrom(type, searchDirs), `package ${type}`);

    const conventional = `@qicore/${role}-${type}`;
    const loaded = await this.loadModule(
      role,
      type,
      resolveFrom(conventional, searchDirs),
      `package ${conventional}`,
      true,
    );
    if (loaded.ok) return loaded;
    return err(this.notFound(role, type));
  }

  private async loadModule(
    role: AdapterRole,
    type: string,
    specifier: string,
    origin: string,
    quietIfMissing = false,
  ): Promise<Result<AdapterDefinition, QiError>> {
    let module: Record<string, unknown>;
    try {
      module = (await import(specifier)) as Record<string, unknown>;
    } catch (thrown) {
      if (quietIfMissing) return err(this.notFound(role, type));
      const missing = (thrown as { code?: string }).code;
      const reason =
        missing === "ERR_MODULE_NOT_FOUND" || missing === "ERR_UNSUPPORTED_DIR_IMPORT"
          ? "it could not be found"
          : `importing it failed: ${(thrown as Error).message}`;
      return err(
        new QiError({
          code: "ADAPTER_NOT_FOUND",
          message: `${role} adapter "${type}": ${origin} ${reason}. ${this.availableText(role)}`,
          category: "VALIDATION",
          retryable: false,
          context: { role, type },
          cause: thrown,
        }),
      );
    }
    // Importing a package usually registers it (side effect); otherwise take its exports.
    const registeredByImport = [...this.adapters.values()].find(
      (entry) =>
        entry.definition.role === role && entry.origin.startsWith("import") && entry.definition.name === type,
    );
    if (registeredByImport) return ok(registeredByImport.definition);
    const candidates = [module.default, ...Object.values(module)].filter(isAdapterDefinition);
    const matching = candidates.filter((candidate) => candidate.role === role);
    const chosen = matching[0];
    if (!chosen) {
      const first = module.default ?? Object.values(module)[0];
      const problem = checkAdapter(first, origin);
      return err(
        problem ??
          new QiError({
            code: "ADAPTER_INVALID",
            message: `${origin} exports no ${role} adapter (it exports ${candidates.map((c) => `${c.role} "${c.name}"`).join(", ") || "nothing adapter-shaped"})`,
            category: "VALIDATION",
            retryable: false,
            context: { role, type },
          }),
      );
    }
    const problem = checkAdapter(chosen, origin);
    if (problem) return err(problem);
    // A file or package adapter is known under the `type` the pipeline used for it.
    this.adapters.set(keyOf(role, type), { definition: chosen, origin });
    return ok(chosen);
  }

  private notFound(role: AdapterRole, type: string): QiError {
    return new QiError({
      code: "ADAPTER_NOT_FOUND",
      message: `unknown ${role} type "${type}". ${this.availableText(role)}`,
      category: "VALIDATION",
      retryable: false,
      context: { role, type, available: this.list(role).map((adapter) => adapter.name) },
    });
  }

  private availableText(role: AdapterRole): string {
    const names = this.list(role).map((adapter) => adapter.name);
    const installHint = `install one (e.g. pnpm add @qicore/${role}-<name>), or give a file path (./my-${role}.ts) or a package name`;
    return names.length > 0
      ? `Available ${role}s: ${names.join(", ")}; or ${installHint}.`
      : `No ${role}s are registered; ${installHint}.`;
  }
}

function keyOf(role: AdapterRole, name: string): string {
  return `${role}:${name}`;
}

function looksLikePath(type: string): boolean {
  return type.startsWith("./") || type.startsWith("../") || isAbsolute(type) || type.startsWith("file:");
}

function looksLikePackage(type: string): boolean {
  return type.startsWith("@") || type.includes("/");
}

// One default registry per process, shared by every installed copy of the core, so an
// adapter package that brought its own copy still registers where the runner looks.
const DEFAULT_KEY = Symbol.for("qicore.registry.default");

/** The registry adapters register into when their package is imported. */
export function defaultRegistry(): AdapterRegistry {
  const holder = globalThis as Record<symbol, unknown>;
  const existing = holder[DEFAULT_KEY];
  if (existing instanceof AdapterRegistry) return existing;
  if (existing && typeof (existing as AdapterRegistry).register === "function")
    return existing as AdapterRegistry;
  const created = createRegistry();
  holder[DEFAULT_KEY] = created;
  return created;
}

/**
 * A new registry holding the built-in adapters (synthetic, memory, file) and the
 * given ones, for embedding without globals.
 */
export function createRegistry(...definitions: AdapterDefinition[]): AdapterRegistry {
  const registry = new AdapterRegistry();
  for (const builtin of BUILTIN_ADAPTERS) registry.register(builtin, "built in");
  for (const definition of definitions) {
    const result = registry.register(definition);
    if (!result.ok) throw result.error;
  }
  return registry;
}

/**
 * Registers adapters in the default registry; adapter packages call this at import.
 * Throws on an invalid adapter: that is a bug in the adapter, found at import.
 */
export function registerAdapter(...definitions: AdapterDefinition[]): void {
  for (const definition of definitions) {
    const result = defaultRegistry().register(
      definition,
      `import of ${definition.role} "${definition.name}"`,
    );
    if (!result.ok) throw result.error;
  }
}
