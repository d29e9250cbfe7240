/**
 * @qicore/dashboard: the local web dashboard of a pipeline (`qicore run --ui`, `qicore ui`).
 *
 *     const dashboard = await startDashboard({ pipeline, logger });
 *     if (dashboard.ok) console.log(dashboard.value.url);
 */
export { runDashboardCli, uiHelp } from "./cli";
export type { GraphEdge, GraphNode, PipelineGraph } from "./data/graph";
export { pipelineGraph } from "./data/graph";
export type { ChartCandle } from "./data/readers";
export { CANDLE_WIDTHS } from "./data/readers";
export { MIN_TOKEN_LENGTH } from "./http/security";
export {
  type DashboardOptions,
  MAX_BODY_BYTES,
  MAX_EVENT_STREAMS,
  type RunningDashboard,
  startDashboard,
} from "./server";
