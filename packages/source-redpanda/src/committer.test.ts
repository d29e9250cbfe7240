import { silentLogger } from "@qicore/core";
import { describe, expect, it } from "vitest";
import type { PartitionOffset } from "./client/types";
import { type CommitMember, OffsetCommitter } from "./committer";

const offset = (partition: number, value: string): PartitionOffset => ({
  topic: "t",
  partition,
  offset: value,
});

/** A member holding `partitions` that records its commits; `fail` makes the next commits throw. */
function member(partitions: number[], fail: Error[] = []) {
  const commits: PartitionOffset[][] = [];
  const held = new Set(partitions.map((partition) => `t:${partition}`));
  const self: CommitMember & { commits: PartitionOffset[][] } = {
    commits,
    holds: (key) => held.has(key),
    commit: async (offsets) => {
      const failure = fail.shift();
      if (failure) throw failure;
      commits.push([...offsets]);
    },
  };
  return self;
}

const kafkaError = (type: string) => Object.assign(new Error(type), { name: "KafkaJSProtocolError", type });

describe("OffsetCommitter", () => {
  it("keeps what is acknowledged while no member can commit, and commits it when one holds the partitions", async () => {
    const committer = new OffsetCommitter({
      groupId: "g",
      fetchCommitted: async () => [],
      logger: silentLogger,
    });
    await committer.acknowledge([offset(0, "10"), offset(1, "20")]);
    await committer.acknowledge([offset(0, "15")]);
    expect(committer.pending).toBe(2);
    const first = member([0, 1]);
    committer.attach(first);
    await committer.flush();
    expect(first.commits).toEqual([[offset(0, "15"), offset(1, "20")]]);
    expect(committer.pending).toBe(0);
  });

  it("commits only partitions the member holds, and never an offset behind what the group has", async () => {
    let groupOffsets = [offset(0, "-1"), offset(1, "500")];
    const committer = new OffsetCommitter({
      groupId: "g",
      fetchCommitted: async () => groupOffsets,
      logger: silentLogger,
    });
    await committer.acknowledge([offset(0, "100"), offset(1, "300"), offset(2, "7")]);
    // Partition 1 moved on under another member while this one could not commit.
    const back = member([0, 1]);
    committer.attach(back);
    await committer.flush();
    expect(back.commits).toEqual([[offset(0, "100")]]);
    // Partition 2 is not held: kept for a member that will hold it.
    expect(committer.pending).toBe(1);
    groupOffsets = [];
    await committer.acknowledge([offset(1, "600")]);
    expect(back.commits.at(-1)).toEqual([offset(1, "600")]);
  });

  it("waits out a rebalance and commits once it is over", async () => {
    const committer = new OffsetCommitter({
      groupId: "g",
      fetchCommitted: async () => [],
      logger: silentLogger,
    });
    const busy = member([0], [kafkaError("REBALANCE_IN_PROGRESS"), kafkaError("REBALANCE_IN_PROGRESS")]);
    committer.attach(busy);
    await committer.acknowledge([offset(0, "5")]);
    expect(busy.commits).toEqual([[offset(0, "5")]]);
  });

  it("reports a commit the brokers refuse for now, keeps it, and commits it with the next acknowledgement", async () => {
    const committer = new OffsetCommitter({
      groupId: "g",
      fetchCommitted: async () => [],
      logger: silentLogger,
    });
    const away = member(
      [0, 1],
      [Object.assign(new Error("connect ECONNREFUSED"), { name: "KafkaJSConnectionError" })],
    );
    committer.attach(away);
    await committer.flush();
    await expect(committer.acknowledge([offset(0, "5")])).rejects.toMatchObject({ retryable: true });
    expect(committer.pending).toBe(1);
    await committer.acknowledge([offset(1, "9")]);
    expect(away.commits).toEqual([[offset(0, "5"), offset(1, "9")]]);
    expect(committer.pending).toBe(0);
    await committer.close();
  });

  it("stops committing through a member that died", async () => {
    const committer = new OffsetCommitter({
      groupId: "g",
      fetchCommitted: async () => [],
      logger: silentLogger,
    });
    const dead = member([0]);
    committer.attach(dead);
    await committer.flush();
    committer.detach(dead);
    await committer.acknowledge([offset(0, "3")]);
    expect(dead.commits).toEqual([]);
    expect(committer.pending).toBe(1);
  });
});
