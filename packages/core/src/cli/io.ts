/** Where a command writes: standard output for results, standard error for diagnostics. */
export interface CommandIO {
  out: (text: string) => void;
  error: (text: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
}

export const processIO = (): CommandIO => ({
  out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  error: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
  env: process.env,
  cwd: process.cwd(),
});
