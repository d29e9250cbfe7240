import { type ConfigProblem, loadPipelineFile, type Pipeline, redactedConfig } from "@qicore/core";

/** The loaded config with secrets masked, and what `qicore validate` says of the file now. */
export interface ConfigView {
  file?: string;
  config: unknown;
  validate: { valid: boolean; problems: ConfigProblem[] };
}

export async function configView(
  pipeline: Pipeline,
  env: Record<string, string | undefined>,
): Promise<ConfigView> {
  const { config } = pipeline;
  const base = { ...(config.file ? { file: config.file } : {}), config: redactedConfig(config) };
  if (!config.file) return { ...base, validate: { valid: true, problems: [] } };
  const loaded = await loadPipelineFile(config.file, { env });
  if (loaded.ok) return { ...base, validate: { valid: true, problems: [] } };
  const problems = (loaded.error.context.problems as ConfigProblem[] | undefined) ?? [
    { path: "", message: loaded.error.message },
  ];
  return { ...base, validate: { valid: false, problems } };
}
