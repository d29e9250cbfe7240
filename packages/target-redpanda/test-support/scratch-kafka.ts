/**
 * A Kafka broker of a test file's own (scripts/services.sh scratch kafka), for outage tests:
 * stopping, killing or pausing the shared broker would break the tests running beside them.
 * It listens on `port` and its controller on `port + 1`; its data stays across restarts.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("../../../scripts/services.sh", import.meta.url));

export type ScratchAction = "start" | "stop" | "kill" | "pause" | "resume";

export class ScratchKafka {
  constructor(readonly port: number) {}

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  start(): Promise<void> {
    return this.run("start");
  }

  /** A graceful shutdown (SIGTERM, then waits for the process to end). */
  stop(): Promise<void> {
    return this.run("stop");
  }

  /** Stops the broker, then starts it again; resolves once it answers. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  kill(): Promise<void> {
    return this.run("kill");
  }

  pause(): Promise<void> {
    return this.run("pause");
  }

  resume(): Promise<void> {
    return this.run("resume");
  }

  /** Asynchronous, so pipelines running in the test's own process keep working meanwhile. */
  private run(action: ScratchAction): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile(
        "bash",
        [script, "scratch", "kafka", String(this.port), action],
        { timeout: 180_000 },
        (error, stdout, stderr) => {
          if (error)
            reject(
              new Error(`scratch kafka ${this.port} ${action} failed: ${error.message}\n${stdout}${stderr}`),
            );
          else resolve();
        },
      );
    });
  }
}
