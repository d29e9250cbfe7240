import pg from "pg";

let counter = 0;

/** A new empty database on the server of `url`, dropped by the returned function. */
export async function createScratchDatabase(
  url: string,
  label: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  counter++;
  const name = `qicore_tt_${label}_${process.pid}_${Date.now().toString(36)}_${counter}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const scratch = new URL(url);
  scratch.pathname = `/${name}`;
  return {
    url: scratch.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
