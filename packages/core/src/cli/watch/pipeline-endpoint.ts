import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { loadPipelineFile } from "../../config/load";
import { defaultRegistry } from "../../registry/registry";
import type { CommandIO } from "../io";

/**
 * The metrics server of a running pipeline, from what `qicore top` and `qicore tap` are
 * given: its URL (`http://127.0.0.1:9464`), or a pipeline file whose `metrics` section says
 * where `qicore run` serves it (./pipeline.yaml when nothing is given). A problem as text.
 */
export async function pipelineEndpoint(given: string | undefined, io: CommandIO): Promise<URL | string> {
  if (given !== undefined && /^https?:\/\//i.test(given)) {
    try {
      const url = new URL(given);
      url.pathname = url.pathname.replace(/\/(status|metrics|tap)?\/?$/, "");
      url.search = "";
      return url;
    } catch {
      return `"${given}" is not a URL`;
    }
  }
  const file = given ?? "pipeline.yaml";
  const path = resolve(io.cwd, file);
  if (!existsSync(path))
    return given === undefined
      ? `give the pipeline's URL (http://127.0.0.1:9464) or its file: there is no pipeline.yaml in ${io.cwd}`
      : `no such file: ${file} (give a pipeline file or the URL of its metrics server)`;
  const loaded = await loadPipelineFile(path, { registry: defaultRegistry(), env: io.env });
  if (!loaded.ok) return `${file} is not a valid pipeline file: ${loaded.error.message}`;
  const metrics = loaded.value.metrics;
  if (!metrics)
    return `${file} has no metrics section, so it does not say where \`qicore run\` serves its status: add \`metrics: { port: 9464 }\` (or run it with --metrics-port) and give that URL`;
  // A server listening on every address is reachable on loopback.
  const host = metrics.host === "0.0.0.0" || metrics.host === "::" ? "127.0.0.1" : metrics.host;
  return new URL(`http://${host.includes(":") ? `[${host}]` : host}:${metrics.port}`);
}
