import {
  type AdapterDefinition,
  AdapterRegistry,
  type AdapterRole,
  err,
  ok,
  type QiError,
  qiError,
  type Result,
} from "@qicore/core";

/**
 * A registry that knows only adapters already loaded in this process. Pipeline text
 * from an agent is checked against it, so a `type` naming a file or a package is
 * refused instead of imported: validating text must never run code from it.
 */
export class SealedRegistry extends AdapterRegistry {
  constructor(from: AdapterRegistry) {
    super();
    for (const summary of from.list()) {
      const definition = from.get(summary.role, summary.name);
      if (definition) this.register(definition, summary.origin);
    }
  }

  override async resolve(role: AdapterRole, type: string): Promise<Result<AdapterDefinition, QiError>> {
    const found = this.get(role, type);
    if (found) return ok(found);
    const names = this.list(role).map((adapter) => adapter.name);
    return err(
      qiError(
        "ADAPTER_NOT_FOUND",
        `unknown ${role} type "${type}" (only adapters installed with the server can be named here, not files or packages). Available ${role}s: ${names.join(", ") || "none"}`,
        { context: { role, type, available: names } },
      ),
    );
  }
}
