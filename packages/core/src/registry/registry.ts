import { isAbsolute, resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import type {
  AdapterDefinition,
  ProcessorDefinition,
  SourceDefinition,
  TargetDefinition,
} from "../adapters/types";
import { BUILTIN_ADAPTERS } from "../builtin/index";
import { type QiError, qiError } from "../errors/qi-error";
import { err, ok, type Result } from "../result/result";
import { findInstalledAdapterPackages, type InstalledAdapterPackage } from "./discover";
import { describeImportFailure } from "./import-failure";
import { importModule, resolveFrom, TypeScriptLoaderMissing } from "./module-loader";
import { installCommand } from "./package-manager";
import { checkAdapter, isAdapterDefinition } from "./shape";

export type AdapterRole = "source" | "target" | "processor";

export interface AdapterSummary {
  role: AdapterRole;
  name: string;
  description?: string;
  kinds: readonly string[];
  origin: string;
}

/** What `loadInstalled` found in the project. */
export interface InstalledAdapters {
  /** Packages imported, with the adapters each provides. */
  loaded: { package: string; adapters: { role: AdapterRole; name: string }[] }[];
  /** Packages that declare adapters but could not be imported, with the reason. */
  failed: { package: string; error: QiError }[];
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
        qiError(
          "ADAPTER_INVALID",
          `a ${definition.role} named "${definition.name}" is already registered (${existing.origin})`,
          { context: { adapter: definition.name } },
        ),
      );
    }
    this.adapters.set(key, { definition, origin });
    return ok(definition);
  }

  get(role: "source", name: string): SourceDefinition | undefined;
  get(role: "target", name: string): TargetDefinition | undefined;
  get(role: "processor", name: string): ProcessorDefinition | undefined;
  get(role: AdapterRole, name: string): AdapterDefinition | undefined;
  get(role: AdapterRole, name: string): AdapterDefinition | undefined {
    return this.adapters.get(keyOf(role, name))?.definition;
  }

  /**
   * Every `type` a pipeline file may name with its adapter: the adapters' names, and the
   * paths or package names adapters were loaded by.
   */
  types(role: AdapterRole): { type: string; definition: AdapterDefinition }[] {
    return [...this.adapters.entries()]
      .filter(([, entry]) => entry.definition.role === role)
      .map(([key, entry]) => ({ type: key.slice(role.length + 1), definition: entry.definition }))
      .sort((a, b) => a.type.localeCompare(b.type));
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
      return this.loadModule(
        role,
        type,
        file.startsWith("file:") ? file : pathToFileURL(file).href,
        `file ${type}`,
        searchDirs,
      );
    }
    if (looksLikePackage(type))
      return this.loadModule(role, type, resolveFrom(type, searchDirs), `package ${type}`, searchDirs);

    const conventional = `@qicore/${role}-${type}`;
    const loaded = await this.loadModule(
      role,
      type,
      resolveFrom(conventional, searchDirs),
      `package ${conventional}`,
      searchDirs,
      true,
    );
    if (loaded.ok) return loaded;
    // Perhaps a package that declares it under another name; at least the message will
    // list everything the project has installed.
    const installed = await this.loadInstalled(options);
    const found = this.get(role, type);
    if (found) return ok(found);
    return err(this.notFound(role, type, installed.failed));
  }

  /**
   * Imports every adapter package installed in the project at `baseDir` (see
   * `findInstalledAdapterPackages`) and registers its adapters, so listings, the editor
   * schema and "unknown type" messages know them without the pipeline naming them first.
   */
  async loadInstalled(options: ResolveOptions = {}): Promise<InstalledAdapters> {
    // The project is where the pipeline is, not wherever the process happens to run.
    const searchDirs = [options.baseDir ?? process.cwd()];
    const report: InstalledAdapters = { loaded: [], failed: [] };
    for (const installed of findInstalledAdapterPackages(searchDirs)) {
      const outcome = await this.importPackage(installed, searchDirs);
      if (outcome.ok) report.loaded.push({ package: installed.name, adapters: outcome.value });
      else report.failed.push({ package: installed.name, error: outcome.error });
    }
    return report;
  }

  private async importPackage(
    installed: InstalledAdapterPackage,
    searchDirs: readonly string[],
  ): Promise<Result<{ role: AdapterRole; name: string }[], QiError>> {
    let module: Record<string, unknown>;
    try {
      module = (await import(resolveFrom(installed.name, searchDirs))) as Record<string, unknown>;
    } catch (thrown) {
      return err(
        qiError(
          "ADAPTER_INVALID",
          `package ${installed.name} (${installed.dir}) declares QiCore adapters but importing it failed: ${(thrown as Error).message}`,
          { context: { package: installed.name }, cause: thrown },
        ),
      );
    }
    const provided: { role: AdapterRole; name: string }[] = [];
    const definitions = new Set([module.default, ...Object.values(module)].filter(isAdapterDefinition));
    for (const definition of definitions) {
      // Importing registered it in the default registry already; another registry takes the exports.
      const known = this.get(definition.role, definition.name) === definition;
      if (known || this.register(definition, `package ${installed.name}`).ok)
        provided.push({ role: definition.role, name: definition.name });
    }
    for (const role of ["source", "target", "processor"] as const) {
      for (const name of installed.declared[role]) {
        if (this.get(role, name) && !provided.some((entry) => entry.role === role && entry.name === name))
          provided.push({ role, name });
      }
    }
    return ok(provided);
  }

  private async loadModule(
    role: AdapterRole,
    type: string,
    specifier: string,
    origin: string,
    searchDirs: readonly string[],
    quietIfMissing = false,
  ): Promise<Result<AdapterDefinition, QiError>> {
    let module: Record<string, unknown>;
    try {
      module = await importModule(specifier, searchDirs);
    } catch (thrown) {
      if (thrown instanceof TypeScriptLoaderMissing) {
        return err(
          qiError(
            "ADAPTER_INVALID",
            `${role} adapter "${type}" is a TypeScript file: install tsx in your project (${installCommand(searchDirs[0])} -D tsx) or compile the adapter to .js`,
            { context: { role, type } },
          ),
        );
      }
      const failure = describeImportFailure(thrown, specifier);
      if (quietIfMissing && failure.missingItself) return err(this.notFound(role, type));
      // Only a module that is not there gets the list of what is; a module that is there
      // but fails gets its own error, with the file and line where it has them.
      const message = failure.missingItself
        ? `${role} adapter "${type}": ${origin} could not be found. ${this.availableText(role)}`
        : `${role} adapter "${type}": importing ${origin} failed: ${failure.reason}`;
      return err(
        qiError(failure.missingItself ? "ADAPTER_NOT_FOUND" : "ADAPTER_INVALID", message, {
          category: "VALIDATION",
          context: { role, type, ...(failure.location ? { location: failure.location } : {}) },
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
          qiError(
            "ADAPTER_INVALID",
            `${origin} exports no ${role} adapter (it exports ${candidates.map((c) => `${c.role} "${c.name}"`).join(", ") || "nothing adapter-shaped"})`,
            { context: { role, type } },
          ),
      );
    }
    const problem = checkAdapter(chosen, origin);
    if (problem) return err(problem);
    // A file or package adapter is known under the `type` the pipeline used for it.
    this.adapters.set(keyOf(role, type), { definition: chosen, origin });
    return ok(chosen);
  }

  private notFound(role: AdapterRole, type: string, unloadable: InstalledAdapters["failed"] = []): QiError {
    const broken = unloadable
      .map((entry) => ` (installed but not loadable: ${entry.error.message})`)
      .join("");
    return qiError(
      "ADAPTER_NOT_FOUND",
      `unknown ${role} type "${type}". ${this.availableText(role)}${broken}`,
      { context: { role, type, available: this.list(role).map((adapter) => adapter.name) } },
    );
  }

  private availableText(role: AdapterRole): string {
    const names = this.list(role).map((adapter) => adapter.name);
    const installHint = `install one (e.g. ${installCommand()} @qicore/${role}-<name>), or give a file path (./my-${role}.ts) or a package name`;
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
