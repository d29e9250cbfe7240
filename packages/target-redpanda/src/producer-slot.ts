import type { Logger } from "@qicore/core/adapter";
import type { KafkaProducer, TopicMessages } from "./client/types";
import type { Sender } from "./send-queue";

/**
 * The target's producer, replaceable: after a refused request or a producer-state error
 * (see needsNewProducer) the queue asks for a new one, which starts its sequence numbers
 * afresh under a new producer id.
 */
export class ProducerSlot implements Sender {
  private current: KafkaProducer;

  constructor(
    private readonly create: () => KafkaProducer,
    private readonly logger: Logger,
  ) {
    this.current = create();
  }

  connect(): Promise<void> {
    return this.current.connect();
  }

  disconnect(): Promise<void> {
    return this.current.disconnect();
  }

  send(request: readonly TopicMessages[]): Promise<void> {
    return this.current.send(request);
  }

  async renew(): Promise<void> {
    const old = this.current;
    this.current = this.create();
    this.logger.info(
      "target-redpanda: producing on a new producer (the previous one's sequence numbers are spent)",
    );
    // A producer whose brokers are gone may not close quickly; it holds nothing worth waiting for.
    await Promise.race([old.disconnect().catch(() => undefined), delay(5000)]);
    await this.current.connect();
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());
