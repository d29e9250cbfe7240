import type { Logger } from "@qicore/core/adapter";

/** Warnings said once per topic and item: a poll every minute must not repeat the same one. */
export class WarnOnce {
  private readonly warned = new Set<string>();

  constructor(private readonly logger: Logger) {}

  warn(topic: string, items: readonly string[], message: string): void {
    const fresh = items.filter((item) => !this.warned.has(`${topic}:${item}`));
    if (fresh.length === 0) return;
    for (const item of fresh) this.warned.add(`${topic}:${item}`);
    this.logger.warn(message, { items: fresh });
  }
}
