// The dashboard page: plain DOM code, bundled with lightweight-charts into app.js at build time.
import {
  type CandlestickData,
  CandlestickSeries,
  createChart,
  type IChartApi,
  type ISeriesApi,
  type UTCTimestamp,
  type WhitespaceData,
} from "lightweight-charts";

interface GraphNode {
  id: string;
  role: "source" | "processor" | "target";
  type: string;
  label: string;
}
interface Status {
  pipeline: string;
  at: string;
  state: string;
  ready: boolean;
  reasons: string[];
  sources: { id: string; type: string; health?: { details?: Record<string, unknown>; message?: string } }[];
  targets: { id: string; type: string; health?: { details?: Record<string, unknown>; message?: string } }[];
  metrics: {
    recordsIn: Record<string, number>;
    recordsOut: Record<string, number>;
    recordsFailed: Record<string, number>;
    deadLetters: number;
    queueDepth: number;
    retries: Record<string, number>;
    batches: Record<string, { p50Seconds: number; p99Seconds: number }>;
    processors: Record<string, { in: number; out: number; dropped: number; rejected: number }>;
  };
  freshness: { series: string; newest: string; ageSeconds: number; stale?: boolean }[];
  staleAfterSeconds?: number;
}
interface Overview {
  mode: "run" | "stores";
  graph: { nodes: GraphNode[]; edges: { from: string; to: string; kinds: string[] }[] };
  status: Status;
  candleWidths: string[];
  readableTargets: string[];
}
interface Candle {
  timestamp: string;
  open: string;
  high: string;
  low: string;
  close: string;
  isFinal: boolean;
}

/** What the browser tests read back: the values the chart was given to draw. */
declare global {
  interface Window {
    qicoreDashboard: { chartData(): readonly unknown[]; overview?: Overview; statusUpdates: number };
  }
}

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const text = (value: unknown) => document.createTextNode(String(value));

function row(cells: (string | Node)[], className?: string): HTMLTableRowElement {
  const tr = document.createElement("tr");
  if (className) tr.className = className;
  for (const cell of cells) {
    const td = document.createElement("td");
    td.append(typeof cell === "string" ? text(cell) : cell);
    tr.append(td);
  }
  return tr;
}

async function getJson<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, { credentials: "same-origin", ...init });
  const body = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `${response.status}`);
  return body;
}

let chart: IChartApi | undefined;
let series: ISeriesApi<"Candlestick"> | undefined;
let chartData: (CandlestickData | WhitespaceData)[] = [];
window.qicoreDashboard = { chartData: () => series?.data() ?? [], statusUpdates: 0 };

let previous: { at: number; counts: Record<string, number> } | undefined;

function stageCounts(status: Status): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [id, value] of Object.entries(status.metrics.recordsIn)) counts[`source:${id}`] = value;
  for (const [id, value] of Object.entries(status.metrics.recordsOut)) counts[`target:${id}`] = value;
  for (const [id, value] of Object.entries(status.metrics.processors)) counts[`processor:${id}`] = value.out;
  return counts;
}

function drawGraph(overview: Overview): void {
  const graph = element<HTMLDivElement>("graph");
  graph.replaceChildren();
  for (const role of ["source", "processor", "target"] as const) {
    const nodes = overview.graph.nodes.filter((node) => node.role === role);
    if (nodes.length === 0) continue;
    const column = document.createElement("div");
    column.className = "column";
    for (const node of nodes) {
      const box = document.createElement("div");
      box.className = `node ${role}`;
      box.dataset.node = node.id;
      box.innerHTML = `<div class="label"></div><div class="type"></div><div class="count">0</div>`;
      (box.querySelector(".label") as HTMLElement).textContent = node.label;
      (box.querySelector(".type") as HTMLElement).textContent = `${role} · ${node.type}`;
      column.append(box);
    }
    graph.append(column);
  }
  requestAnimationFrame(() => drawEdges(overview));
}

function drawEdges(overview: Overview): void {
  const graph = element<HTMLDivElement>("graph");
  graph.querySelector("svg")?.remove();
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  const origin = graph.getBoundingClientRect();
  for (const edge of overview.graph.edges) {
    const from = graph.querySelector(`[data-node="${CSS.escape(edge.from)}"]`)?.getBoundingClientRect();
    const to = graph.querySelector(`[data-node="${CSS.escape(edge.to)}"]`)?.getBoundingClientRect();
    if (!from || !to) continue;
    const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
    line.setAttribute("x1", String(from.right - origin.left));
    line.setAttribute("y1", String(from.top + from.height / 2 - origin.top));
    line.setAttribute("x2", String(to.left - origin.left));
    line.setAttribute("y2", String(to.top + to.height / 2 - origin.top));
    line.setAttribute("stroke", "#99a");
    line.setAttribute("stroke-width", "2");
    line.dataset.edge = `${edge.from}->${edge.to}`;
    svg.append(line);
  }
  graph.prepend(svg);
}

function showStatus(status: Status): void {
  window.qicoreDashboard.statusUpdates++;
  element("pipeline-name").textContent = status.pipeline;
  const badge = element("state");
  badge.textContent = `${status.state}${status.ready ? " · ready" : ""}`;
  badge.className = `badge ${status.state}`;
  element("updated").textContent = `updated ${new Date(status.at).toLocaleTimeString()}`;

  const now = Date.parse(status.at);
  const counts = stageCounts(status);
  const seconds = previous ? (now - previous.at) / 1000 : 0;
  const rate = (key: string) =>
    previous && seconds > 0 ? (((counts[key] ?? 0) - (previous.counts[key] ?? 0)) / seconds).toFixed(1) : "–";
  for (const box of document.querySelectorAll<HTMLElement>("[data-node]")) {
    const key = box.dataset.node as string;
    (box.querySelector(".count") as HTMLElement).textContent =
      `${(counts[key] ?? 0).toLocaleString("en")} · ${rate(key)}/s`;
  }
  const body = element<HTMLTableElement>("counters").tBodies[0] as HTMLTableSectionElement;
  body.replaceChildren();
  const latency = (id: string) => {
    const batch = status.metrics.batches[id];
    return batch
      ? `${(batch.p50Seconds * 1000).toFixed(1)} / ${(batch.p99Seconds * 1000).toFixed(1)} ms`
      : "–";
  };
  for (const key of Object.keys(counts).sort()) {
    const id = key.slice(key.indexOf(":") + 1);
    const failed = key.startsWith("target:")
      ? (status.metrics.recordsFailed[id] ?? 0)
      : key.startsWith("processor:")
        ? (status.metrics.processors[id]?.rejected ?? 0)
        : 0;
    const tr = row([
      key,
      (counts[key] ?? 0).toLocaleString("en"),
      rate(key),
      String(failed),
      String(status.metrics.retries[id] ?? 0),
      latency(id),
    ]);
    tr.dataset.stage = key;
    body.append(tr);
  }
  element("totals").textContent =
    `dead letters ${status.metrics.deadLetters} · queue ${status.metrics.queueDepth}${status.reasons.length ? ` · ${status.reasons.join("; ")}` : ""}`;
  previous = { at: now, counts };

  const fresh = element<HTMLTableElement>("freshness").tBodies[0] as HTMLTableSectionElement;
  fresh.replaceChildren();
  for (const item of status.freshness) {
    const tr = row(
      [
        item.series,
        item.newest,
        `${item.ageSeconds.toFixed(1)} s`,
        item.stale ? "stale" : item.stale === false ? "fresh" : "no limit",
      ],
      item.stale ? "stale" : undefined,
    );
    tr.dataset.series = item.series;
    fresh.append(tr);
  }
  const coins = element<HTMLSelectElement>("chart-coin");
  for (const item of status.freshness) {
    const coin = item.series.includes(":") ? undefined : item.series;
    if (coin && ![...coins.options].some((option) => option.value === coin)) {
      coins.append(new Option(coin, coin));
      if (coins.options.length === 1) void loadCandles();
    }
  }

  const budgets = element<HTMLDivElement>("budgets");
  budgets.replaceChildren();
  for (const adapter of [...status.sources, ...status.targets]) {
    const block = document.createElement("div");
    const heading = document.createElement("strong");
    heading.textContent = `${adapter.id} (${adapter.type}) `;
    const details = document.createElement("code");
    const health = adapter.health;
    details.textContent = health
      ? JSON.stringify(health.details ?? { message: health.message ?? "healthy" })
      : "no health check yet";
    block.append(heading, details);
    budgets.append(block);
  }
}

/** Numbers each candle request, so only the newest one's answer is drawn. */
let candleRequests = 0;

async function loadCandles(): Promise<void> {
  const request = ++candleRequests;
  const coin = element<HTMLSelectElement>("chart-coin").value;
  const width = element<HTMLSelectElement>("chart-width").value;
  const target = element<HTMLSelectElement>("chart-target").value;
  const note = element("chart-note");
  if (!coin || !target) {
    note.textContent = target ? "no instrument yet" : "no readable target";
    return;
  }
  try {
    const answer = await getJson<{ candles: Candle[] }>(
      `/api/candles?coin=${encodeURIComponent(coin)}&width=${encodeURIComponent(width)}&target=${encodeURIComponent(target)}`,
    );
    // A user switching widths quickly has several requests in flight; an older answer arriving
    // last would draw the width no longer selected.
    if (request !== candleRequests) return;
    chartData = withGaps(answer.candles, width);
    if (!chart) {
      chart = createChart(element("chart"), {
        autoSize: true,
        timeScale: { timeVisible: true, secondsVisible: false },
      });
      series = chart.addSeries(CandlestickSeries, {});
    }
    series?.setData(chartData);
    chart.timeScale().fitContent();
    const open = answer.candles.filter((candle) => !candle.isFinal).length;
    note.textContent = `${answer.candles.length} candles${open ? `, ${open} not final (grey)` : ""}`;
    Object.assign(element("chart").dataset, { candles: String(answer.candles.length), coin, width });
  } catch (thrown) {
    if (request === candleRequests) note.textContent = (thrown as Error).message;
  }
}

const WIDTH_SECONDS: Record<string, number> = {
  "1m": 60,
  "5m": 300,
  "15m": 900,
  "1h": 3600,
  "4h": 14400,
  "1d": 86400,
};

/** Candles with a whitespace point in every empty bucket between them, so gaps stay gaps. */
function withGaps(candles: readonly Candle[], width: string): (CandlestickData | WhitespaceData)[] {
  const step = WIDTH_SECONDS[width] ?? 60;
  const points: (CandlestickData | WhitespaceData)[] = [];
  let last: number | undefined;
  for (const candle of candles) {
    const time = Date.parse(candle.timestamp) / 1000;
    if (last !== undefined)
      for (let gap = last + step; gap < time && points.length < 5000; gap += step)
        points.push({ time: gap as UTCTimestamp });
    const grey = candle.isFinal ? {} : { color: "#9aa0aa", wickColor: "#9aa0aa", borderColor: "#9aa0aa" };
    points.push({
      time: time as UTCTimestamp,
      open: Number(candle.open),
      high: Number(candle.high),
      low: Number(candle.low),
      close: Number(candle.close),
      ...grey,
    });
    last = time;
  }
  return points;
}

async function loadDeadLetters(): Promise<void> {
  const page = await getJson<{
    destination: string;
    browsable: boolean;
    total: number;
    canResend: boolean;
    letters: {
      id: number;
      kind: string;
      sourceId: string;
      targetId?: string;
      reason: { code: string; message: string };
      failedAt: string;
      resent?: { at: string; targets: string[] };
    }[];
  }>("/api/dead-letters");
  element("dead-letter-destination").textContent =
    `${page.destination} · ${page.total}${page.browsable ? "" : " (kept in a target: not browsable here)"}`;
  const body = element<HTMLTableElement>("dead-letters").tBodies[0] as HTMLTableSectionElement;
  // The list is refreshed every few seconds: what the user ticked stays ticked.
  const ticked = new Set(selectedDeadLetters());
  body.replaceChildren();
  for (const letter of page.letters) {
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = String(letter.id);
    box.disabled = !page.canResend;
    box.checked = page.canResend && ticked.has(letter.id);
    const tr = row([
      box,
      String(letter.id),
      letter.kind,
      `${letter.sourceId} → ${letter.targetId ?? "(validation)"}`,
      `${letter.reason.code}: ${letter.reason.message}`,
      letter.failedAt,
      letter.resent ? `${letter.resent.at} → ${letter.resent.targets.join(", ")}` : "",
    ]);
    tr.dataset.deadLetter = String(letter.id);
    body.append(tr);
  }
  element<HTMLButtonElement>("resend").disabled = !page.canResend || page.letters.length === 0;
  element<HTMLButtonElement>("resend").title = page.canResend ? "" : "re-sending needs qicore run --ui";
}

function selectedDeadLetters(): number[] {
  return [...document.querySelectorAll<HTMLInputElement>("#dead-letters input:checked")].map((box) =>
    Number(box.value),
  );
}

async function resendSelected(): Promise<void> {
  const ids = selectedDeadLetters();
  const result = element("resend-result");
  if (ids.length === 0) {
    result.textContent = "select dead letters first";
    return;
  }
  try {
    const answer = await getJson<{ results: { id: number; ok: boolean; message?: string }[] }>(
      "/api/dead-letters/resend",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ids }),
      },
    );
    const failed = answer.results.filter((item) => !item.ok);
    result.textContent = `${answer.results.length - failed.length} re-sent${failed.length ? `, ${failed.length} failed: ${failed.map((item) => `#${item.id} ${item.message}`).join("; ")}` : ""}`;
  } catch (thrown) {
    result.textContent = (thrown as Error).message;
  }
  await loadDeadLetters();
}

async function loadStatic(): Promise<void> {
  const [config, checkpoints] = await Promise.all([
    getJson<{
      config: unknown;
      validate: { valid: boolean; problems: { path: string; message: string; line?: number }[] };
    }>("/api/config"),
    getJson<{ location: string; sources: { id: string; checkpoint: unknown; error?: string }[] }>(
      "/api/checkpoints",
    ),
  ]);
  element("config").textContent = JSON.stringify(config.config, null, 2);
  const validate = element("validate");
  validate.textContent = config.validate.valid
    ? "validate: valid"
    : `validate: ${config.validate.problems.length} problem(s)`;
  validate.className = config.validate.valid ? "ok" : "bad";
  const problems = element("problems");
  problems.replaceChildren(
    ...config.validate.problems.map((problem) => {
      const item = document.createElement("li");
      item.textContent = `${problem.path}${problem.line ? ` (line ${problem.line})` : ""}: ${problem.message}`;
      return item;
    }),
  );
  element("checkpoint-location").textContent = checkpoints.location;
  const body = element<HTMLTableElement>("checkpoints").tBodies[0] as HTMLTableSectionElement;
  body.replaceChildren(
    ...checkpoints.sources.map((source) =>
      row([source.id, source.error ?? JSON.stringify(source.checkpoint)]),
    ),
  );
}

async function start(): Promise<void> {
  const overview = await getJson<Overview>("/api/overview");
  window.qicoreDashboard.overview = overview;
  const widths = element<HTMLSelectElement>("chart-width");
  for (const width of overview.candleWidths) widths.append(new Option(width, width));
  const targets = element<HTMLSelectElement>("chart-target");
  for (const target of overview.readableTargets) targets.append(new Option(target, target));
  for (const id of ["chart-coin", "chart-width", "chart-target"])
    element(id).addEventListener("change", () => void loadCandles());
  element("resend").addEventListener("click", () => void resendSelected());
  drawGraph(overview);
  showStatus(overview.status);
  const events = new EventSource("/api/events");
  events.addEventListener("status", (event) =>
    showStatus(JSON.parse((event as MessageEvent<string>).data) as Status),
  );
  await Promise.all([loadStatic(), loadDeadLetters()]);
  setInterval(() => void loadDeadLetters().catch(() => undefined), 5_000);
  window.addEventListener("resize", () => drawEdges(overview));
}

void start().catch((thrown: Error) => {
  element("state").textContent = `failed: ${thrown.message}`;
});
