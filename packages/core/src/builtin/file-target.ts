import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { defineTarget } from "../adapters/define";
import { ADAPTER_CONTRACT_VERSION } from "../adapters/types";
import { RECORD_KINDS } from "../dsl/kinds";

export const fileConfigSchema = z
  .object({
    path: z.string().min(1).describe("JSON Lines file to append to (relative to the pipeline file)."),
  })
  .strict();

export type FileTargetConfig = z.output<typeof fileConfigSchema>;

/**
 * Appends records (and dead letters) to a JSON Lines file, one `{ kind, record }`
 * object a line. Handy as a dead-letter destination and for inspecting a pipeline.
 */
export const fileTarget = defineTarget({
  name: "file",
  description: "Appends records and dead letters to a JSON Lines file.",
  contractVersion: ADAPTER_CONTRACT_VERSION,
  coreVersion: "^0.1.0",
  configSchema: fileConfigSchema,
  capabilities: { kinds: RECORD_KINDS, deadLetter: true },
  create(config, context) {
    const path = resolve(context.baseDir, config.path);
    let stream: WriteStream | undefined;
    const append = async (lines: string) => {
      if (!stream) {
        await mkdir(dirname(path), { recursive: true });
        stream = createWriteStream(path, { flags: "a" });
      }
      if (!stream.write(lines)) await once(stream, "drain");
    };
    return {
      async write(kind, records) {
        await append(records.map((record) => `${JSON.stringify({ kind, record })}\n`).join(""));
      },
      async writeDeadLetters(letters) {
        await append(letters.map((letter) => `${JSON.stringify({ deadLetter: letter })}\n`).join(""));
      },
      async disconnect() {
        if (!stream) return;
        const closing = stream;
        stream = undefined;
        await new Promise<void>((done, fail) =>
          closing.end((error?: Error | null) => (error ? fail(error) : done())),
        );
      },
      async flush() {
        // An empty write's callback runs once everything written before it reached the OS.
        // ("drain" would only come after a write that filled the buffer.)
        const current = stream;
        if (!current) return;
        await new Promise<void>((done, fail) => current.write("", (error) => (error ? fail(error) : done())));
      },
    };
  },
});
