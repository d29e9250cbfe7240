/** A text frame as it arrived, or the news that a connection (re)opened. */
export type QueuedItem =
  | { type: "frame"; text: string; receivedAt: number; connection: number; epoch: number }
  | { type: "open"; connection: number; epoch: number };

/**
 * Frames between the sockets and the reader. Past `highWater` items the sockets are
 * paused (TCP pushes back on the exchange) until the reader is below `lowWater`, so a slow
 * target bounds memory instead of growing a buffer.
 */
export class FrameQueue {
  private items: QueuedItem[] = [];
  private head = 0;
  private waiter: (() => void) | undefined;
  private pausedAt = false;

  constructor(
    private readonly flow: { pause(): void; resume(): void },
    private readonly highWater = 20_000,
    private readonly lowWater = 5_000,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: QueuedItem): void {
    this.items.push(item);
    if (!this.pausedAt && this.length > this.highWater) {
      this.pausedAt = true;
      this.flow.pause();
    }
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  /**
   * Up to `max` items, waiting for the first; undefined once `signal` aborts. One wait per
   * burst instead of one per frame: at hundreds of thousands of frames a second, the
   * promise turns would cost more than the frames.
   */
  async take(max: number, signal: AbortSignal): Promise<QueuedItem[] | undefined> {
    while (this.length === 0) {
      if (signal.aborted) return undefined;
      await this.arrival(signal);
    }
    if (signal.aborted) return undefined;
    const end = Math.min(this.items.length, this.head + max);
    const taken = this.items.slice(this.head, end);
    this.head = end;
    this.compact();
    return taken;
  }

  private compact(): void {
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (this.pausedAt && this.length < this.lowWater) {
      this.pausedAt = false;
      this.flow.resume();
    }
  }

  /** Resolves at the next push, or when `signal` aborts. */
  private arrival(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const onAbort = () => {
        this.waiter = undefined;
        resolve();
      };
      this.waiter = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}
