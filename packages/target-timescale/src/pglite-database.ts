import { mkdir } from "node:fs/promises";
import { isAbsolute, resolve as resolvePath } from "node:path";
import type { Database, QueryResult, SqlSession } from "./database";

/**
 * What QiCore needs of a PGlite instance. Structural, so the official
 * `@electric-sql/pglite` and compatible builds (such as one bundling TimescaleDB) both fit.
 */
export interface PGliteLike {
  query<Row>(
    text: string,
    params?: unknown[],
    options?: { blob?: Blob },
  ): Promise<{ rows: Row[]; affectedRows?: number }>;
  close(): Promise<void>;
  readonly closed?: boolean;
  readonly waitReady?: Promise<void>;
}

/** A lock held by one session at a time: PGlite has one connection, so a transaction must not interleave. */
class SessionLock {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release = () => {};
    this.tail = new Promise((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  }
}

function toResult<Row>(result: { rows: Row[]; affectedRows?: number }): QueryResult<Row> {
  return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
}

interface PGliteDatabaseOptions {
  instance: PGliteLike;
  location: string;
  /** Called by close(); an injected instance passes nothing and stays open. */
  release?: () => Promise<void>;
}

// One lock per PGlite instance, shared by every Database over it (a target and a reader).
const locks = new WeakMap<PGliteLike, SessionLock>();

function lockFor(instance: PGliteLike): SessionLock {
  let lock = locks.get(instance);
  if (!lock) {
    lock = new SessionLock();
    locks.set(instance, lock);
  }
  return lock;
}

/** A Database over one PGlite instance. */
export function createPGliteDatabase(options: PGliteDatabaseOptions): Database {
  const { instance } = options;
  const lock = lockFor(instance);
  const session: SqlSession = {
    async query<Row>(text: string, params: readonly unknown[] = []) {
      return toResult<Row>(await instance.query<Row>(text, [...params]));
    },
    async copyFrom(target, chunks) {
      // PGlite reads COPY data from a virtual file rather than a protocol stream.
      const blob = new Blob([...chunks]);
      await instance.query(`COPY ${target} FROM '/dev/blob'`, [], { blob });
    },
  };
  let closed = false;
  return {
    engine: "pglite",
    location: options.location,
    query: (text, params) => lock.run(() => session.query(text, params)),
    withSession: (work) => lock.run(() => work(session)),
    async close() {
      if (closed) return;
      closed = true;
      await lock.run(async () => options.release?.());
    },
  };
}

interface SharedEmbedded {
  instance: Promise<PGliteLike>;
  users: number;
  persistent: boolean;
}

// Two targets (or a target and a reader) naming the same embedded database in one
// process must share one instance: two PGlite instances on one folder would corrupt it.
const shared = new Map<string, SharedEmbedded>();
const closing = new Map<string, Promise<void>>();

export interface EmbeddedLocation {
  /** Key of the instance in this process. */
  key: string;
  /** PGlite dataDir: a folder, or `memory://...` for an in-memory database. */
  dataDir: string;
  persistent: boolean;
}

/**
 * `embedded` → the process' shared in-memory database; `embedded:memory://name` → a
 * named in-memory one; `embedded:<dir>` → a folder, relative to `baseDir`.
 */
export function embeddedLocation(connectionString: string, baseDir: string): EmbeddedLocation {
  const rest = connectionString === "embedded" ? "" : connectionString.slice("embedded:".length).trim();
  if (rest === "" || rest === "memory://")
    return { key: "memory://", dataDir: "memory://", persistent: false };
  if (rest.startsWith("memory://")) return { key: rest, dataDir: rest, persistent: false };
  const dataDir = isAbsolute(rest) ? rest : resolvePath(baseDir, rest);
  return { key: dataDir, dataDir, persistent: true };
}

async function openPGlite(location: EmbeddedLocation): Promise<PGliteLike> {
  const { PGlite } = await import("@electric-sql/pglite");
  if (location.persistent) await mkdir(location.dataDir, { recursive: true });
  const instance = await PGlite.create(location.dataDir);
  return instance as unknown as PGliteLike;
}

/**
 * Opens (or joins) an embedded database. A folder is closed when its last user
 * closes; an in-memory database lives as long as the process, so a reader opened
 * after a pipeline finished still sees what the pipeline wrote.
 */
export async function openEmbeddedDatabase(location: EmbeddedLocation): Promise<Database> {
  let entry = shared.get(location.key);
  if (!entry) {
    // A folder still being closed by its previous last user must be closed before it is reopened.
    const previousClose = closing.get(location.key) ?? Promise.resolve();
    entry = {
      instance: previousClose.then(() => openPGlite(location)),
      users: 0,
      persistent: location.persistent,
    };
    shared.set(location.key, entry);
  }
  entry.users++;
  const current = entry;
  let instance: PGliteLike;
  try {
    instance = await current.instance;
  } catch (thrown) {
    current.users--;
    if (shared.get(location.key) === current) shared.delete(location.key);
    throw thrown;
  }
  const description = location.persistent
    ? `embedded PGlite in ${location.dataDir}`
    : "embedded PGlite in memory";
  return createPGliteDatabase({
    instance,
    location: description,
    release: async () => {
      current.users--;
      if (current.users > 0 || !current.persistent) return;
      if (shared.get(location.key) === current) shared.delete(location.key);
      const done = instance.close().finally(() => {
        if (closing.get(location.key) === done) closing.delete(location.key);
      });
      closing.set(location.key, done);
      await done;
    },
  });
}

/** Closes every embedded database this process opened (in-memory ones included); for tests and shutdown. */
export async function closeEmbeddedDatabases(): Promise<void> {
  const entries = [...shared.values()];
  shared.clear();
  await Promise.all(
    entries.map(async (entry) => {
      const instance = await entry.instance.catch(() => undefined);
      if (instance && !instance.closed) await instance.close();
    }),
  );
}
