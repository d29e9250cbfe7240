import { Admin } from "@platformatic/kafka";
import type { ConnectionConfig } from "./connection";
import { platformaticConnectionOptions } from "./platformatic-connection";

/**
 * Removes members from a consumer group (LeaveGroup on their behalf), for
 * @qicore/source-redpanda: a consumer that died while the brokers were away could not leave,
 * and until its session times out the group waits for it before letting a new member in.
 * kafkajs has no such call; @platformatic/kafka's admin has.
 */
export async function removeGroupMembers(
  connection: ConnectionConfig,
  groupId: string,
  memberIds: readonly string[],
  reason: string,
): Promise<void> {
  if (memberIds.length === 0) return;
  const admin = new Admin({ ...platformaticConnectionOptions(connection), retries: 1 });
  try {
    await admin.removeMembersFromConsumerGroup({
      groupId,
      members: memberIds.map((memberId) => ({ memberId, reason })),
    });
  } finally {
    await admin.close().catch(() => undefined);
  }
}
