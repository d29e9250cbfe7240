import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** The command that adds a dependency with the package manager the user runs (`npm install`, `pnpm add` ...). */
export function installCommand(fromDir: string = process.cwd()): string {
  return `${packageManager(fromDir)} ${packageManager(fromDir) === "npm" ? "install" : "add"}`;
}

type PackageManager = "npm" | "pnpm" | "yarn" | "bun";

const LOCKFILES: [string, PackageManager][] = [
  ["pnpm-lock.yaml", "pnpm"],
  ["yarn.lock", "yarn"],
  ["bun.lock", "bun"],
  ["bun.lockb", "bun"],
  ["package-lock.json", "npm"],
];

/** The package manager that runs us (npm_config_user_agent), else the one whose lockfile is nearest. */
function packageManager(fromDir: string): PackageManager {
  const agent = process.env.npm_config_user_agent ?? "";
  for (const name of ["pnpm", "yarn", "bun", "npm"] as const) if (agent.startsWith(`${name}/`)) return name;
  if (process.versions.bun) return "bun";
  for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
    for (const [file, manager] of LOCKFILES) if (existsSync(join(dir, file))) return manager;
    if (dirname(dir) === dir) return "npm";
  }
}
