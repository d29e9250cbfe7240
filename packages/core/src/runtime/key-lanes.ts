import { type MarketRecord, RECORD_KIND_DEFINITIONS, type RecordKind } from "../dsl/kinds";

/**
 * Splits records into `lanes` lists by their primary key, keeping the input's order within
 * each list. A key always lands in the same lane, so writes of different lanes never touch
 * the same row: they can run at the same time while each key's writes stay in read order (an
 * upsert's last write still wins), and two lanes never wait on each other's row locks.
 */
export function splitByKey(
  kind: RecordKind,
  records: readonly MarketRecord[],
  lanes: number,
): MarketRecord[][] {
  const parts: MarketRecord[][] = Array.from({ length: lanes }, () => []);
  const fields = RECORD_KIND_DEFINITIONS[kind].primaryKey;
  for (const record of records)
    (parts[keyHash(record as unknown as Record<string, unknown>, fields) % lanes] as MarketRecord[]).push(
      record,
    );
  return parts;
}

/** FNV-1a over the key's fields as text: cheap, and spreads instruments and times evenly. */
function keyHash(record: Record<string, unknown>, fields: readonly string[]): number {
  let hash = 0x811c9dc5;
  for (const field of fields) {
    const value = record[field];
    const text = value === undefined || value === null ? "" : String(value);
    for (let position = 0; position < text.length; position++) {
      hash ^= text.charCodeAt(position);
      hash = Math.imul(hash, 0x01000193);
    }
    // A separator, so ("ab", "c") and ("a", "bc") differ.
    hash ^= 0x1f;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
