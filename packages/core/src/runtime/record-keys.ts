import { type MarketRecord, RECORD_KIND_DEFINITIONS, type RecordKind } from "../dsl/kinds";

/**
 * The primary keys of records, as 32-bit hashes (FNV-1a of the key fields as text). Two
 * writes whose sets share no hash share no key; a shared hash may be a collision, which only
 * makes the runtime wait where it need not.
 */
export function keyHashes(kind: RecordKind, records: readonly MarketRecord[]): Set<number> {
  const fields = RECORD_KIND_DEFINITIONS[kind].primaryKey;
  const hashes = new Set<number>();
  for (const record of records) hashes.add(keyHash(record as unknown as Record<string, unknown>, fields));
  return hashes;
}

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

/** Whether two sets share a member (looking up the smaller one's in the larger). */
export function overlaps(first: ReadonlySet<number>, second: ReadonlySet<number>): boolean {
  const [small, large] = first.size <= second.size ? [first, second] : [second, first];
  for (const hash of small) if (large.has(hash)) return true;
  return false;
}
