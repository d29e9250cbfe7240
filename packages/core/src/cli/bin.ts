#!/usr/bin/env node
import { main } from "./main";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Exit even if a library left a handle open; the unref'd timer does not itself keep the process alive.
    setTimeout(() => process.exit(code), 1000).unref();
  },
  (thrown: unknown) => {
    process.stderr.write(
      `qicore: unexpected error: ${thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown)}\n`,
    );
    process.exitCode = 1;
  },
);
