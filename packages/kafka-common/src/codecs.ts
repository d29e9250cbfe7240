import LZ4Codec from "@2l/kafkajs-lz4";
import { compress as zstdCompress, decompress as zstdDecompress } from "@mongodb-js/zstd";
import kafkajs from "kafkajs";
import snappyCodec from "kafkajs-snappy";

const { CompressionCodecs, CompressionTypes } = kafkajs;

/** Level 3 is zstd's own default: most of the ratio for little CPU. */
const ZSTD_LEVEL = 3;

let registered = false;

/**
 * Teaches kafkajs the codecs it lacks (it ships gzip only): snappy (pure JavaScript),
 * lz4 and zstd (prebuilt Node-API binaries, no native build on install). kafkajs keeps
 * codecs in one module-wide table, so this runs once per process; consumers need the
 * same codecs to read what any producer wrote.
 */
export function registerCodecs(): void {
  if (registered) return;
  registered = true;
  CompressionCodecs[CompressionTypes.Snappy] = snappyCodec;
  CompressionCodecs[CompressionTypes.LZ4] = new LZ4Codec().codec;
  CompressionCodecs[CompressionTypes.ZSTD] = () => ({
    compress: (encoder: { buffer: Buffer }) => zstdCompress(encoder.buffer, ZSTD_LEVEL),
    decompress: (buffer: Buffer) => zstdDecompress(buffer),
  });
}
