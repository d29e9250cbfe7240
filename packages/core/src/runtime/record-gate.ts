/**
 * Bounds how many records are between sources and targets. A source waits in
 * `acquire` while the pipeline holds `capacity` records, which is how backpressure
 * reaches it (a Kafka consumer pauses, a poller waits) and why memory stays flat.
 */
export class RecordGate {
  private inFlight = 0;
  private waiters: { count: number; resolve: () => void }[] = [];

  constructor(
    readonly capacity: number,
    private readonly onChange?: (inFlight: number) => void,
  ) {}

  get size(): number {
    return this.inFlight;
  }

  acquire(count: number): Promise<void> | undefined {
    // A batch larger than the whole capacity still passes when nothing else is in flight.
    if (this.waiters.length === 0 && (this.inFlight + count <= this.capacity || this.inFlight === 0)) {
      this.inFlight += count;
      this.onChange?.(this.inFlight);
      return undefined;
    }
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  release(count: number): void {
    this.inFlight -= count;
    while (this.waiters.length > 0) {
      const next = this.waiters[0] as { count: number; resolve: () => void };
      if (this.inFlight + next.count > this.capacity && this.inFlight > 0) break;
      this.waiters.shift();
      this.inFlight += next.count;
      next.resolve();
    }
    this.onChange?.(this.inFlight);
  }
}
