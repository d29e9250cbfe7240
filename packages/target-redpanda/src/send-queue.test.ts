import { QiError } from "@qicore/core";
import { describe, expect, it } from "vitest";
import type { OutgoingMessage, TopicMessages } from "./client/types";
import { QueuedWrite } from "./queued-write";
import { type FailureVerdict, type QueueEntry, SendQueue } from "./send-queue";

const message = (key: string, size = 10): OutgoingMessage => ({
  key,
  value: Buffer.alloc(size, 1),
  headers: {},
});

/** A write of `keys` to one topic, as the target queues it. */
function write(
  keys: readonly string[],
  topic = "t",
  size = 10,
): { write: QueuedWrite; entries: QueueEntry[] } {
  const queued = new QueuedWrite(keys.length);
  return {
    write: queued,
    entries: keys.map((key, index) => ({ topic, message: message(key, size), write: queued, index })),
  };
}

const keys = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

/** A producer that records requests and completes or fails them when told. */
function recorder() {
  const requests: TopicMessages[][] = [];
  const pending: { resolve: () => void; reject: (error: Error) => void }[] = [];
  let renewals = 0;
  return {
    requests,
    get renewals() {
      return renewals;
    },
    sender: {
      send: (request: readonly TopicMessages[]) => {
        requests.push([...request]);
        return new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
      },
      renew: async () => {
        renewals++;
      },
    },
    completeAll: () => {
      for (const { resolve } of pending.splice(0)) resolve();
    },
    failAll: (error: Error) => {
      for (const { reject } of pending.splice(0)) reject(error);
    },
  };
}

/** Kafka's verdicts, as the target judges them: refused errors say so in their message here. */
const judge = (thrown: unknown): FailureVerdict => {
  const text = (thrown as Error).message;
  return {
    error: new QiError({
      code: "EXTERNAL_ERROR",
      message: text,
      category: "EXTERNAL",
      retryable: !text.includes("refused"),
    }),
    refused: text.includes("refused"),
    renew: text.includes("sequence"),
  };
};

const count = (batch: TopicMessages[]) => batch.reduce((sum, topic) => sum + topic.messages.length, 0);
const sentKeys = (batch: TopicMessages[]) => batch.flatMap((topic) => topic.messages.map((m) => m.key));
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const options = { lingerMs: 0, batchMessages: 1000, batchBytes: 1_000_000 };

describe("SendQueue", () => {
  it("splits a large write into requests of at most batchMessages, one in flight at a time", async () => {
    const sent = recorder();
    const queue = new SendQueue(sent.sender, { ...options, batchMessages: 100 }, judge);
    const big = write(keys("k", 250));
    queue.add(big.entries);
    let done = false;
    const waiting = big.write.wait().then(() => {
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
    await waiting;
    expect(done).toBe(true);
  });

  it("gathers what arrives while a request is in flight into the next request", async () => {
    const sent = recorder();
    const queue = new SendQueue(sent.sender, options, judge);
    const first = write(["x"], "a");
    queue.add(first.entries);
    const others = Array.from({ length: 20 }, (_, i) => write([`k${i}`], i % 2 ? "a" : "b"));
    for (const other of others) queue.add(other.entries);
    await tick();
    expect(sent.requests.map(count)).toEqual([1]);
    sent.completeAll();
    await first.write.wait();
    await tick();
    expect(sent.requests.map(count)).toEqual([1, 20]);
    expect(sent.requests[1]?.map((topic) => topic.topic).sort()).toEqual(["a", "b"]);
    sent.completeAll();
    await Promise.all(others.map((other) => other.write.wait()));
  });

  it("bounds requests by bytes too", async () => {
    const sent = recorder();
    const queue = new SendQueue(sent.sender, { ...options, batchBytes: 250 }, judge);
    const ten = write(keys("k", 10), "t", 99);
    queue.add(ten.entries);
    for (let round = 0; round < 5; round++) {
      await tick();
      sent.completeAll();
    }
    await ten.write.wait();
    expect(sent.requests.map(count)).toEqual([2, 2, 2, 2, 2]);
  });

  it("waits lingerMs for more messages before sending a partial request", async () => {
    const sent = recorder();
    const queue = new SendQueue(sent.sender, { ...options, lingerMs: 30 }, judge);
    const a = write(["a"]);
    queue.add(a.entries);
    await tick();
    const b = write(["b"]);
    queue.add(b.entries);
    expect(sent.requests).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(sent.requests.map(count)).toEqual([2]);
    sent.completeAll();
    await Promise.all([a.write.wait(), b.write.wait()]);
  });

  it("after a passing failure sends nothing on its own; the retry sends the same request, then the rest, each once", async () => {
    const sent = recorder();
    const queue = new SendQueue(sent.sender, { ...options, batchMessages: 3 }, judge);
    const call = write(keys("k", 7));
    queue.add(call.entries);
    const attempt = call.write.wait();
    await tick();
    sent.completeAll(); // k0-k2 stored
    await tick();
    sent.failAll(new Error("broker restarting")); // k3-k5 failed: maybe stored, maybe not
    await expect(attempt).rejects.toThrow("broker restarting");
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Nothing behind the failed request went out, and the failed one was not retried by the queue.
    expect(sent.requests.map(sentKeys)).toEqual([
      ["k0", "k1", "k2"],
      ["k3", "k4", "k5"],
    ]);
    expect(queue.isStalled).toBe(true);

    // The caller's retry of the same write: the failed request again, unchanged, then k6.
    queue.resume();
    const retry = call.write.wait();
    await tick();
    expect(sent.requests[2]).toEqual(sent.requests[1]);
    sent.completeAll();
    await tick();
    sent.completeAll();
    await expect(retry).resolves.toEqual([]);
    expect(sent.requests.map(sentKeys)).toEqual([
      ["k0", "k1", "k2"],
      ["k3", "k4", "k5"],
      ["k3", "k4", "k5"],
      ["k6"],
    ]);
  });

  it("fails every waiting write on a passing failure, so none waits for a retry that is not its own", async () => {
    const sent = recorder();
    const queue = new SendQueue(sent.sender, options, judge);
    const records = write(["a"]);
    queue.add(records.entries);
    const letters = write(["dead-letter"], "dlq");
    queue.add(letters.entries); // gathered behind the request in flight
    const waits = [records.write.wait(), letters.write.wait()];
    await tick();
    sent.failAll(new Error("connection reset"));
    for (const wait of waits) await expect(wait).rejects.toThrow("connection reset");
    // A new write resumes the queue: the failed request goes first, then what gathered.
    const later = write(["b"]);
    queue.add(later.entries);
    await tick();
    sent.completeAll();
    await tick();
    sent.completeAll();
    await Promise.all([records.write.wait(), letters.write.wait(), later.write.wait()]);
    expect(sent.requests.map(sentKeys)).toEqual([["a"], ["a"], ["dead-letter", "b"]]);
  });

  it("refuses the records of a request refused for good, by index, and goes on with a new producer", async () => {
    const sent = recorder();
    const queue = new SendQueue(sent.sender, { ...options, batchMessages: 2 }, judge);
    const call = write(keys("k", 4));
    queue.add(call.entries);
    const outcome = call.write.wait();
    await tick();
    sent.failAll(new Error("refused: MESSAGE_TOO_LARGE"));
    await tick();
    expect(sent.renewals).toBe(1);
    sent.completeAll();
    const failures = await outcome;
    expect(failures.map((failure) => failure.index)).toEqual([0, 1]);
    expect(failures[0]?.error.retryable).toBe(false);
    expect(sent.requests.map(sentKeys)).toEqual([
      ["k0", "k1"],
      ["k2", "k3"],
    ]);
  });

  it("renews the producer before sending again after a sequence-number error", async () => {
    const sent = recorder();
    const queue = new SendQueue(sent.sender, options, judge);
    const call = write(["a"]);
    queue.add(call.entries);
    const first = call.write.wait();
    await tick();
    sent.failAll(new Error("OUT_OF_ORDER_SEQUENCE_NUMBER: sequence"));
    await expect(first).rejects.toThrow("sequence");
    expect(sent.renewals).toBe(0);
    queue.resume();
    const retry = call.write.wait();
    await tick();
    expect(sent.renewals).toBe(1);
    sent.completeAll();
    await expect(retry).resolves.toEqual([]);
  });

  it("flush sends what is gathered and waits for it; a passing failure rejects it", async () => {
    const sent = recorder();
    const queue = new SendQueue(sent.sender, { ...options, lingerMs: 60_000 }, judge);
    queue.add(write(["a", "b"]).entries);
    expect(queue.pendingMessages).toBe(2);
    const flushed = queue.flush();
    await tick();
    expect(sent.requests.map(count)).toEqual([2]);
    sent.completeAll();
    await flushed;
    expect(queue.pendingMessages).toBe(0);

    queue.add(write(["c"]).entries);
    const failing = queue.flush();
    await tick();
    sent.failAll(new Error("broker gone"));
    await expect(failing).rejects.toThrow("broker gone");
    expect(queue.pendingMessages).toBe(1);
  });
});
