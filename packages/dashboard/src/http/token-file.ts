import { open } from "node:fs/promises";
import { type QiError, qiError } from "@qicore/core";

/** A token file larger than this is not a token file (a wrong path, a key, a log). */
const MAX_TOKEN_FILE_BYTES = 4096;

/**
 * Reads the dashboard token from a file (`--ui-token-file`, `--token-file`, a Docker or
 * Kubernetes secret), so the secret is in neither the command line nor the environment,
 * which other users see in `ps` and /proc. One line; a trailing newline is dropped. No error
 * says what the file holds: they name the path and the problem only.
 */
export async function readTokenFile(
  path: string,
): Promise<{ ok: true; token: string; warning?: string } | { ok: false; error: QiError }> {
  const fail = (problem: string) => ({
    ok: false as const,
    error: qiError("INSECURE_CONFIG", `the dashboard token file ${path} ${problem}`, {
      category: "SECURITY",
    }),
  });
  let text: string;
  let mode: number;
  try {
    const file = await open(path, "r");
    try {
      const stat = await file.stat();
      if (!stat.isFile()) return fail("is not a file");
      if (stat.size > MAX_TOKEN_FILE_BYTES)
        return fail(
          `is ${stat.size} bytes long; a token file holds one token (at most ${MAX_TOKEN_FILE_BYTES} bytes)`,
        );
      mode = stat.mode;
      text = await file.readFile("utf8");
    } finally {
      await file.close();
    }
  } catch (thrown) {
    // The code (ENOENT, EACCES), not the message, so nothing but the path is repeated.
    return fail(`cannot be read (${(thrown as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const token = text.replace(/\r?\n$/, "");
  if (token === "") return fail("is empty; write the token into it (e.g. openssl rand -hex 32 > <file>)");
  if (/\s/.test(token))
    return fail("holds whitespace or more than one line; it must hold the token alone, on one line");
  // Readable by every user of the machine, the file is no better than the command line.
  const warning =
    (mode & 0o004) !== 0
      ? `the dashboard token file ${path} is readable by every user of this machine; chmod 600 it`
      : undefined;
  return { ok: true, token, ...(warning ? { warning } : {}) };
}
