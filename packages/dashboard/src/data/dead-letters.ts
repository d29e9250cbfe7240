import { createReadStream } from "node:fs";
import { appendFile, stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { DeadLetter, MarketRecord, Pipeline, RecordKind } from "@qicore/core";

/** A dead letter as the dashboard lists it: its line in the file is its id. */
export interface ListedDeadLetter extends DeadLetter {
  id: number;
  /** When and where it was re-sent from the dashboard, if it was. */
  resent?: { at: string; targets: string[] };
}

export interface DeadLetterPage {
  /** Where the pipeline keeps its dead letters (`file ...`, `target "dlq"`). */
  destination: string;
  /** False when they are in a target (a topic, a table): the dashboard reads only files. */
  browsable: boolean;
  total: number;
  letters: ListedDeadLetter[];
}

/** Letters listed per page at most. */
export const DEAD_LETTER_PAGE = 200;

/**
 * The dead letters of a pipeline whose destination is a JSON-lines file (the default). The file
 * is only ever appended to, so a line number stays the letter's id; re-sends are kept in a
 * file beside it (`<file>.resent.jsonl`) instead of rewriting what the pipeline appends to.
 */
export class DeadLetterFile {
  constructor(private readonly path: string | undefined) {}

  get resentPath(): string | undefined {
    return this.path === undefined ? undefined : `${this.path}.resent.jsonl`;
  }

  async page(destination: string, offset: number, limit = DEAD_LETTER_PAGE): Promise<DeadLetterPage> {
    if (this.path === undefined) return { destination, browsable: false, total: 0, letters: [] };
    const resent = await this.resent();
    const letters: ListedDeadLetter[] = [];
    let total = 0;
    for await (const [id, letter] of this.lines()) {
      total++;
      if (id < offset || letters.length >= limit) continue;
      const sent = resent.get(id);
      letters.push({ ...letter, id, ...(sent ? { resent: sent } : {}) });
    }
    return { destination, browsable: true, total, letters };
  }

  async byIds(ids: ReadonlySet<number>): Promise<Map<number, DeadLetter>> {
    const found = new Map<number, DeadLetter>();
    for await (const [id, letter] of this.lines()) if (ids.has(id)) found.set(id, letter);
    return found;
  }

  async markResent(id: number, targets: readonly string[]): Promise<void> {
    const path = this.resentPath;
    if (path === undefined) return;
    await appendFile(path, `${JSON.stringify({ id, at: new Date().toISOString(), targets })}\n`, "utf8");
  }

  private async resent(): Promise<Map<number, { at: string; targets: string[] }>> {
    const marks = new Map<number, { at: string; targets: string[] }>();
    const path = this.resentPath;
    if (path === undefined || !(await exists(path))) return marks;
    for await (const line of createInterface({
      input: createReadStream(path, "utf8"),
      crlfDelay: Infinity,
    })) {
      try {
        const mark = JSON.parse(line) as { id: number; at: string; targets: string[] };
        marks.set(mark.id, { at: mark.at, targets: mark.targets });
      } catch {
        // A line cut by a crash: that re-send is shown as not done, the safe side.
      }
    }
    return marks;
  }

  private async *lines(): AsyncGenerator<[number, DeadLetter]> {
    if (this.path === undefined || !(await exists(this.path))) return;
    let id = -1;
    for await (const line of createInterface({
      input: createReadStream(this.path, "utf8"),
      crlfDelay: Infinity,
    })) {
      id++;
      if (line.trim() === "") continue;
      try {
        yield [id, JSON.parse(line) as DeadLetter];
      } catch {
        yield [
          id,
          {
            kind: "unknown",
            record: line.slice(0, 2000),
            reason: {
              code: "UNREADABLE",
              message: "this line of the dead-letter file is not JSON",
              category: "VALIDATION",
            },
            sourceId: "",
            failedAt: "",
            attempts: 0,
          },
        ];
      }
    }
  }
}

/** What re-sending one letter did. */
export interface ResendOutcome {
  id: number;
  ok: boolean;
  targets: string[];
  message?: string;
}

/**
 * Writes dead letters again to the target that refused them (or, for records that failed
 * before any target, to every target their source is routed to for that kind), through the
 * running pipeline's targets, so the write has the pipeline's validation and retries.
 */
export async function resendDeadLetters(
  pipeline: Pipeline,
  file: DeadLetterFile,
  ids: readonly number[],
): Promise<ResendOutcome[]> {
  const letters = await file.byIds(new Set(ids));
  const outcomes: ResendOutcome[] = [];
  for (const id of ids) {
    const letter = letters.get(id);
    if (!letter) {
      outcomes.push({ id, ok: false, targets: [], message: "no such dead letter" });
      continue;
    }
    if (letter.kind === "unknown") {
      outcomes.push({
        id,
        ok: false,
        targets: [],
        message: "its record did not parse as any kind; fix it at the source",
      });
      continue;
    }
    const kind = letter.kind as RecordKind;
    const targetIds = letter.targetId
      ? [letter.targetId]
      : pipeline.config.routes
          .filter((route) => route.from === letter.sourceId && route.emits.includes(kind))
          .flatMap((route) => route.to);
    const problems: string[] = [];
    const done: string[] = [];
    for (const targetId of new Set(targetIds)) {
      const target = pipeline.target(targetId);
      if (!target) {
        problems.push(`target "${targetId}" is not running`);
        continue;
      }
      const written = await target.write(kind, [letter.record as MarketRecord]);
      if (!written.ok) problems.push(`${targetId}: ${written.error.message}`);
      else if (written.value.failed.length > 0)
        problems.push(`${targetId}: ${written.value.failed[0]?.error.message ?? "refused"}`);
      else done.push(targetId);
    }
    if (done.length > 0) await file.markResent(id, done);
    outcomes.push({
      id,
      ok: problems.length === 0 && done.length > 0,
      targets: done,
      ...(problems.length > 0
        ? { message: problems.join("; ") }
        : done.length === 0
          ? { message: "no target to send it to" }
          : {}),
    });
  }
  return outcomes;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
