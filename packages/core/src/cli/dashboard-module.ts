import { resolveFrom } from "../registry/module-loader";
import type { Logger } from "../runtime/logger";
import type { Pipeline } from "../runtime/pipeline";
import type { CommandIO } from "./io";

const SPECIFIER = "@qicore/dashboard";

/** What `qicore ui` and `qicore run --ui` use of @qicore/dashboard (a package of its own, so the core stays small). */
export interface DashboardModule {
  runDashboardCli(args: readonly string[], io: CommandIO): Promise<number>;
  startDashboard(options: {
    pipeline: Pipeline;
    host?: string;
    port?: number;
    token?: string;
    /** A file holding the token (`--ui-token-file`); the dashboard reads it. */
    tokenFile?: string;
    logger: Logger;
  }): Promise<{ ok: true; value: { url: string; close(): Promise<void> } } | { ok: false; error: Error }>;
}

/** Loads the dashboard package installed in the user's project; the problem as text otherwise. */
export async function loadDashboard(
  io: CommandIO,
  fromDirs: readonly string[] = [io.cwd],
): Promise<DashboardModule | string> {
  try {
    const module = (await import(resolveFrom(SPECIFIER, fromDirs))) as Partial<DashboardModule>;
    if (typeof module.runDashboardCli !== "function" || typeof module.startDashboard !== "function")
      throw new Error(`${SPECIFIER} has no runDashboardCli/startDashboard exports`);
    return module as DashboardModule;
  } catch (thrown) {
    return `needs ${SPECIFIER}: pnpm add ${SPECIFIER} (${(thrown as Error).message})`;
  }
}
