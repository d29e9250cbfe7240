/**
 * Latest values per instrument from every source of a pipeline, for processors that compare
 * or combine sources (quarantine across sources, consolidate). A pipeline runs one processor
 * instance per source and route; instances of one `group` share a board.
 */
export interface BoardEntry {
  value: string;
  time: number;
  weight?: string;
  source: string;
  attribution?: string;
}

const boards = new Map<string, Map<string, Map<string, BoardEntry>>>();

/** The board of a pipeline's group: instrument key → source key → latest entry. */
export function sharedBoard(pipelineName: string, group: string): Map<string, Map<string, BoardEntry>> {
  const key = `${pipelineName}\u0000${group}`;
  let board = boards.get(key);
  if (!board) {
    board = new Map();
    boards.set(key, board);
  }
  return board;
}

/** The latest entries of an instrument from every source, within `maxAgeMs` of `time`. */
export function freshEntries(
  board: Map<string, Map<string, BoardEntry>>,
  instrument: string,
  time: number,
  maxAgeMs: number,
): [string, BoardEntry][] {
  return [...(board.get(instrument)?.entries() ?? [])].filter(
    ([, entry]) => Math.abs(time - entry.time) <= maxAgeMs,
  );
}

export function post(
  board: Map<string, Map<string, BoardEntry>>,
  instrument: string,
  sourceKey: string,
  entry: BoardEntry,
) {
  let sources = board.get(instrument);
  if (!sources) {
    sources = new Map();
    board.set(instrument, sources);
  }
  sources.set(sourceKey, entry);
}
