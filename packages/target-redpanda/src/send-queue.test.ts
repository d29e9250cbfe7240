import { describe, expect, it } from "vitest";
import type { OutgoingMessage, TopicMessages } from "./client/types";
import { SendQueue } from "./send-queue";

const message = (key: string, size = 10): OutgoingMessage => ({
  key,
  value: Buffer.alloc(size, 1),
  headers: {},
});

/** A send function that records requests and completes them when told. */
function recorder() {
  const requests: TopicMessages[][] = [];
  const pending: (() => void)[] = [];
  let failNext: Error | undefined;
  const send = (batch: TopicMessages[]) => {
    requests.push(batch);
    if (failNext) {
      const error = failNext;
      failNext = undefined;
      return Promise.reject(error);
    }
    return new Promise<void>((resolve) => pending.push(resolve));
  };
  return {
    requests,
    send,
    completeAll: () => {
      for (const resolve of pending.splice(0)) resolve();
    },
    failWith: (error: Error) => {
      failNext = error;
    },
  };
}

const count = (batch: TopicMessages[]) => batch.reduce((sum, topic) => sum + topic.messages.length, 0);
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("SendQueue", () => {
  it("splits a large write into requests of at most batchMessages, one in flight at a time", async () => {
    const sent = recorder();
    const queue = new SendQueue(sent.send, { lingerMs: 0, batchMessages: 100, batchBytes: 1_000_000 });
    let done = false;
    const write = queue
      .add([{ topic: "t", messages: Array.from({ length: 250 }, (_, i) => message(`k${i}`)) }])
      .then(() => {
        done = true;
      });
    await tick();
    expect(sent.requests.map(count)).toEqual([100]);
    for (const expected of [
      [100, 100],
      [100, 100, 50],
    ]) {
      sent.completeAll();
      await tick();
      expect(sent.requests.map(count)).toEqual(expected);
    }
    expect(done).toBe(false);
    sent.completeAll();
    await write;
    expect(done).toBe(true);
  });

  it("gathers what arrives while a request is in flight into the next request", async () => {
    const sent = recorder();
    const queue = new SendQueue(sent.send, { lingerMs: 0, batchMessages: 1000, batchBytes: 1_000_000 });
    const first = queue.add([{ topic: "a", messages: [message("x")] }]);
    const others = Array.from({ length: 20 }, (_, i) =>
      queue.add([{ topic: i % 2 ? "a" : "b", messages: [message(`k${i}`)] }]),
    );
    await tick();
    expect(sent.requests.map(count)).toEqual([1]);
    sent.completeAll();
    await first;
    await tick();
    expect(sent.requests.map(count)).toEqual([1, 20]);
    expect(sent.requests[1]?.map((topic) => topic.topic).sort()).toEqual(["a", "b"]);
    sent.completeAll();
    await Promise.all(others);
  });

  it("bounds requests by bytes too", async () => {
    const sent = recorder();
    const queue = new SendQueue(sent.send, { lingerMs: 0, batchMessages: 1000, batchBytes: 250 });
    const write = queue.add([
      { topic: "t", messages: Array.from({ length: 10 }, (_, i) => message(`k${i}`, 99)) },
    ]);
    for (let round = 0; round < 5; round++) {
      await tick();
      sent.completeAll();
    }
    await write;
    expect(sent.requests.map(count)).toEqual([2, 2, 2, 2, 2]);
  });

  it("waits lingerMs for more messages before sending a partial request", async () => {
    const sent = recorder();
    const queue = new SendQueue(sent.send, { lingerMs: 30, batchMessages: 1000, batchBytes: 1_000_000 });
    const writes = [queue.add([{ topic: "t", messages: [message("a")] }])];
    await tick();
    writes.push(queue.add([{ topic: "t", messages: [message("b")] }]));
    expect(sent.requests).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(sent.requests.map(count)).toEqual([2]);
    sent.completeAll();
    await Promise.all(writes);
  });

  it("rejects the writes of a failed request and goes on with the next", async () => {
    const sent = recorder();
    const queue = new SendQueue(sent.send, { lingerMs: 0, batchMessages: 1, batchBytes: 1_000_000 });
    sent.failWith(new Error("broker gone"));
    const failed = queue.add([{ topic: "t", messages: [message("a")] }]);
    const next = queue.add([{ topic: "t", messages: [message("b")] }]);
    await expect(failed).rejects.toThrow("broker gone");
    await tick();
    sent.completeAll();
    await expect(next).resolves.toBeUndefined();
  });

  it("flush sends what is gathered and waits for it", async () => {
    const sent = recorder();
    const queue = new SendQueue(sent.send, { lingerMs: 60_000, batchMessages: 1000, batchBytes: 1_000_000 });
    void queue.add([{ topic: "t", messages: [message("a"), message("b")] }]);
    expect(queue.pendingMessages).toBe(2);
    const flushed = queue.flush();
    await tick();
    expect(sent.requests.map(count)).toEqual([2]);
    sent.completeAll();
    await flushed;
    expect(queue.pendingMessages).toBe(0);
  });
});
