/**
 * The blast server's trade frames: Binance combined-stream trade events of BTCUSDT whose
 * fields follow from the trade id, as WebSocket text frames (server frames are unmasked: a
 * 2-byte header, or 4 bytes from 126 bytes of text).
 *
 * A frame's text is built once per id length and side as a template; a block of frames is
 * one copy of a prebuilt block of templates with the digits written in place. The sender
 * must not be what the benchmark measures: building each frame as a string, encoding and
 * framing it costs about as much CPU as the receiver's JSON.parse, on a machine with two cores.
 */

const FRAMES_PER_BLOCK = 512;

/** The text of trade `id` stamped `time`: what a block's frames read as. */
export const frameText = (id, time) =>
  `{"stream":"btcusdt@trade","data":{"e":"trade","E":${time},"s":"BTCUSDT","t":${id},"p":"${60000 + (id % 1000)}.${String(id % 100).padStart(2, "0")}000000","q":"0.00${String(id % 1000).padStart(3, "0")}000","T":${time},"m":${id % 2 === 0},"M":true}}`;

/** One text frame, header included. */
export function encodeFrame(text) {
  const length = Buffer.byteLength(text);
  const header = length < 126 ? 2 : 4;
  const buffer = Buffer.allocUnsafe(header + length);
  buffer[0] = 0x81;
  if (length < 126) buffer[1] = length;
  else {
    buffer[1] = 126;
    buffer.writeUInt16BE(length, 2);
  }
  buffer.write(text, header, "latin1");
  return buffer;
}

/**
 * Where the variable digits of a frame sit: the template of an id with `digits` digits,
 * even or odd (the side), and the offsets of its fields within the encoded frame.
 */
function template(digits, even) {
  let id = 10 ** (digits - 1);
  if ((id % 2 === 0) !== even) id++;
  const time = 1_000_000_000_000;
  const text = frameText(id, time);
  const frame = encodeFrame(text);
  const header = frame.length - text.length;
  const after = (marker, from = 0) => header + text.indexOf(marker, from) + marker.length;
  return {
    frame,
    event: after('"E":'),
    id: after('"t":'),
    price: after('"p":"'),
    cents: after('"p":"') + 6,
    quantity: after('"q":"0.00'),
    trade: after('"T":'),
    digits,
  };
}

/** `value`, below 2^31, as `width` decimal digits at `offset`. */
function writeDigits(buffer, offset, width, value) {
  let rest = value;
  for (let index = offset + width - 1; index >= offset; index--) {
    const next = (rest / 10) | 0;
    buffer[index] = 48 + rest - next * 10;
    rest = next;
  }
}

/** A 13-digit time in two int32 halves: doubles' modulo is several times slower. */
function writeTime(buffer, offset, time) {
  const high = Math.floor(time / 1_000_000);
  writeDigits(buffer, offset, 7, high);
  writeDigits(buffer, offset + 7, 6, time - high * 1_000_000);
}

/**
 * Blocks of FRAMES_PER_BLOCK consecutive trades from `firstId`, each stamped
 * `timeOf(id)` (13 digits: epoch milliseconds from 2001 to 2286).
 */
export class TradeBlocks {
  #blocks = new Map();

  /** The block of trades firstId .. firstId + FRAMES_PER_BLOCK - 1. */
  block(firstId, timeOf) {
    const lastId = firstId + FRAMES_PER_BLOCK - 1;
    const digits = String(firstId).length;
    // A block across a power of ten has frames of two lengths: built frame by frame (rare).
    if (String(lastId).length !== digits) return this.#slowBlock(firstId, timeOf);
    const prebuilt = this.#prebuilt(digits, firstId % 2 === 0);
    const buffer = Buffer.from(prebuilt.bytes);
    for (let index = 0; index < FRAMES_PER_BLOCK; index++) {
      const id = firstId + index;
      const layout = prebuilt.layouts[index % 2];
      const at = prebuilt.offsets[index];
      const time = timeOf(id);
      writeTime(buffer, at + layout.event, time);
      writeDigits(buffer, at + layout.id, digits, id);
      writeDigits(buffer, at + layout.price, 5, 60000 + (id % 1000));
      writeDigits(buffer, at + layout.cents, 2, id % 100);
      writeDigits(buffer, at + layout.quantity, 3, id % 1000);
      writeTime(buffer, at + layout.trade, time);
    }
    return buffer;
  }

  get framesPerBlock() {
    return FRAMES_PER_BLOCK;
  }

  #slowBlock(firstId, timeOf) {
    const frames = [];
    for (let id = firstId; id < firstId + FRAMES_PER_BLOCK; id++)
      frames.push(encodeFrame(frameText(id, timeOf(id))));
    return Buffer.concat(frames);
  }

  /** FRAMES_PER_BLOCK templates, alternating sides, starting with the side of an even or odd id. */
  #prebuilt(digits, evenFirst) {
    const key = `${digits}:${evenFirst}`;
    let prebuilt = this.#blocks.get(key);
    if (prebuilt) return prebuilt;
    const layouts = [template(digits, evenFirst), template(digits, !evenFirst)];
    const offsets = [];
    const parts = [];
    let size = 0;
    for (let index = 0; index < FRAMES_PER_BLOCK; index++) {
      const frame = layouts[index % 2].frame;
      offsets.push(size);
      parts.push(frame);
      size += frame.length;
    }
    prebuilt = { bytes: Buffer.concat(parts), layouts, offsets };
    this.#blocks.set(key, prebuilt);
    return prebuilt;
  }
}
