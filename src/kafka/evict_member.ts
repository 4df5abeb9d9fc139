/**
 * Removes a dead consumer-group member from its group at once. A trainer killed with SIGKILL
 * leaves its member in the group; the coordinator only drops it when its session times out, and a
 * trainer restarted on the same state directory waits that long (10 s by default) before it gets
 * its partitions. The restarted trainer knows the dead one's member id (the state directory keeps
 * it) and that it is dead (it took over its stale lock), so it sends the coordinator a LeaveGroup
 * request on the dead member's behalf — what the member would have sent had it stopped cleanly.
 *
 * kafkajs 2.2.4 has no admin call for this (no `removeMembers`); this uses its own cluster and
 * broker code, through the client's cluster factory (a private symbol of the `Kafka` instance,
 * which the kafkajs gate, `./kafkajs.ts`, finds and checks).
 *
 * @module
 */

import type { KafkaClient } from "./client.ts";
import { settleWithin, withDeadline } from "../util/deadline.ts";
import { clusterFactory } from "./kafkajs.ts";

interface Broker {
  leaveGroup(request: { groupId: string; memberId: string }): Promise<unknown>;
}

interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(request: { groupId: string }): Promise<Broker>;
}

type ClusterFactory = (options: { allowAutoTopicCreation: boolean }) => Cluster;

/** What became of the request. */
export type EvictOutcome = "removed" | "not-a-member";

/**
 * Asks the group coordinator to remove `memberId` from `groupId`. Resolves `"removed"`, or
 * `"not-a-member"` when the coordinator no longer knows it (its session already expired, or
 * the group was emptied). Throws when the brokers cannot be reached within `timeoutMs`.
 *
 * @param client The connection settings of the group's cluster.
 * @param groupId The consumer group.
 * @param memberId The dead member's id (what the coordinator knows it by).
 * @param timeoutMs The deadline of the whole request, ms; `10_000` when not given.
 */
export async function evictGroupMember(
  client: KafkaClient,
  groupId: string,
  memberId: string,
  timeoutMs = 10_000,
): Promise<EvictOutcome> {
  const factory = clusterFactory(client.kafkajs) as ClusterFactory;
  const cluster = factory({ allowAutoTopicCreation: false });
  try {
    return await withDeadline(
      (async (): Promise<EvictOutcome> => {
        await cluster.connect();
        const coordinator = await cluster.findGroupCoordinator({ groupId });
        try {
          await coordinator.leaveGroup({ groupId, memberId });
          return "removed";
        } catch (error) {
          const type = (error as { type?: string }).type;
          if (type === "UNKNOWN_MEMBER_ID" || type === "GROUP_ID_NOT_FOUND") return "not-a-member";
          throw error;
        }
      })(),
      timeoutMs,
      {
        message:
          `Cannot remove member ${memberId} from group ${groupId}: no answer in ${timeoutMs} ms`,
      },
    );
  } finally {
    await settleWithin(cluster.disconnect(), 5000);
  }
}
