import { compress as zstdCompress, decompress as zstdDecompress } from "@mongodb-js/zstd";
import kafkajs from "kafkajs";
import snappyCodec from "kafkajs-snappy";
import { compressFrame, decompressFrameSync } from "lz4-napi";

const { CompressionCodecs, CompressionTypes } = kafkajs;

/** Level 3 is zstd's own default: most of the ratio for little CPU. */
const ZSTD_LEVEL = 3;

let registered = false;

/**
 * Teaches kafkajs the codecs it lacks (it ships gzip only): snappy (pure JavaScript),
 * lz4 (lz4-napi) and zstd (prebuilt Node-API binaries, no native build on install). kafkajs keeps
 * codecs in one module-wide table, so this runs once per process; consumers need the
 * same codecs to read what any producer wrote.
 */
export function registerCodecs(): void {
  if (registered) return;
  registered = true;
  CompressionCodecs[CompressionTypes.Snappy] = snappyCodec;
  CompressionCodecs[CompressionTypes.LZ4] = () => ({
    compress: (encoder: { buffer: Buffer }) => compressFrame(encoder.buffer),
    // Decompressed on the calling thread, not in libuv's thread pool (lz4-napi's async call):
    // through the pool a 1,000,000-message consume peaked about 100 MiB higher at the same rate
    // (529-547 against 421-449 MiB; memory freed on other threads, we think, stays in their
    // malloc arenas). A 0.74 MiB batch of price JSON decompresses in 0.6 ms here.
    decompress: async (buffer: Buffer) => decompressFrameSync(buffer),
  });
  CompressionCodecs[CompressionTypes.ZSTD] = () => ({
    compress: (encoder: { buffer: Buffer }) => zstdCompress(encoder.buffer, ZSTD_LEVEL),
    decompress: (buffer: Buffer) => zstdDecompress(buffer),
  });
}
