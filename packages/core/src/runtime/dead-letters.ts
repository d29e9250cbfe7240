import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { DeadLetter } from "../adapters/types";
import { QiError, qiError, toQiError } from "../errors/qi-error";
import type { Target } from "./target";

/** Where records that cannot be delivered end up, with the reason. */
export interface DeadLetterSink {
  readonly description: string;
  write(letters: readonly DeadLetter[]): Promise<void>;
}

/** Appends dead letters as JSON lines to a local file (the default destination). */
export class FileDeadLetterSink implements DeadLetterSink {
  readonly description: string;
  private chain: Promise<void> = Promise.resolve();
  constructor(readonly path: string) {
    this.description = `file ${path}`;
  }
  write(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return Promise.resolve();
    const text = `${letters.map((letter) => JSON.stringify(letter)).join("\n")}\n`;
    // Appends are chained so concurrent writers never interleave partial lines.
    this.chain = this.chain.then(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      await appendFile(this.path, text, "utf8");
    });
    return this.chain;
  }
}

/** Sends dead letters to a pipeline target that supports them (a Kafka topic, a table). */
export class TargetDeadLetterSink implements DeadLetterSink {
  readonly description: string;
  constructor(private readonly target: Target) {
    this.description = `target "${target.id}" (${target.name})`;
  }
  async write(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const result = await this.target.writeDeadLetters(letters);
    if (!result.ok) throw result.error;
  }
}

export function deadLetterFor(
  kind: DeadLetter["kind"],
  record: unknown,
  error: unknown,
  where: { sourceId: string; targetId?: string; origin?: Record<string, unknown>; attempts?: number },
): DeadLetter {
  const failure = QiError.isInstance(error) ? error : toQiError(error);
  return {
    kind,
    record,
    reason: { code: failure.code, message: failure.message, category: failure.category },
    sourceId: where.sourceId,
    ...(where.targetId ? { targetId: where.targetId } : {}),
    ...(where.origin ? { origin: where.origin } : {}),
    failedAt: new Date().toISOString(),
    attempts: where.attempts ?? (typeof failure.context.attempts === "number" ? failure.context.attempts : 1),
  };
}

/** The run's error when the dead-letter destination itself fails: undeliverable records could not be kept. */
export function deadLetterFailure(sink: DeadLetterSink | undefined, thrown: unknown): QiError {
  const cause = toQiError(thrown);
  return qiError(
    "WRITE_FAILED",
    `dead-letter destination ${sink?.description ?? ""} failed, so undeliverable records cannot be kept: ${cause.message}`,
    { category: "SYSTEM", cause },
  );
}
