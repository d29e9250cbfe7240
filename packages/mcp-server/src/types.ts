/**
 * Where a command writes, as the `qicore` CLI hands it over: standard output for
 * results, standard error for diagnostics, the environment and the working folder.
 * The same shape as @qicore/core's CommandIO.
 */
export interface CommandIO {
  out: (text: string) => void;
  error: (text: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
}
