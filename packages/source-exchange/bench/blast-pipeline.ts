/**
 * The pipeline the throughput benchmark and its profiling twin run: the exchange source on
 * blast-server.mjs's one Binance trade stream into a counting memory target, batched as the
 * benchmark measures it. One definition, so a profile is of what the benchmark times.
 */
export function blastPipelineConfig(name: string, port: number, store: string) {
  return {
    name,
    sources: [
      {
        id: "binance",
        type: "exchange",
        config: {
          exchange: "binance",
          symbols: ["BTCUSDT"],
          websocketUrl: `ws://127.0.0.1:${port}`,
          restUrl: `http://127.0.0.1:${port}`,
          batchSize: 5_000,
          staleAfter: "30s",
        },
      },
    ],
    targets: [{ id: "count", type: "memory", config: { store, keep: false } }],
    delivery: { batch: { maxRecords: 5_000, maxWait: "5ms" } },
  };
}
