/**
 * The consumer `featurize` reads `<topic>.sessions` with (docs/design.md "Session snapshots"):
 * a group of its own that commits nothing, reading every partition from its start — or, for a
 * reader that replaces a failed one, from the offsets its {@linkcode SnapshotFollower} has read
 * so far, so a reconnect reads nothing twice. Each reader joins a group of a new name, so a dead
 * reader's member, which the coordinator keeps until its session expires, holds nothing up.
 *
 * @module
 */

import type { KafkaClient } from "../kafka/client.ts";
import { EventConsumer } from "../kafka/consumer.ts";
import type { SnapshotFollower } from "../stream/snapshot_follower.ts";

/** Options of {@linkcode snapshotReader}. */
export interface SnapshotReaderOptions {
  /** The snapshots' topic, `<topic>.sessions`. Required. */
  topic: string;
  /** The groups' name prefix; each reader's group is `<prefix>-<uuid>`. Required. */
  groupPrefix: string;
  /** Where each partition goes on from: the follower's next offset read (0: its start). */
  follower: Pick<SnapshotFollower, "read">;
  /**
   * How long joining may take, ms.
   *
   * @default {90000}
   */
  connectTimeoutMs?: number;
}

/** The `open` of `SnapshotFollower.keepFollowing`: connects a new reader of the topic. */
export function snapshotReader(
  client: KafkaClient,
  options: SnapshotReaderOptions,
): () => Promise<EventConsumer> {
  return async () => {
    // The hook may run before `connect` resolves: it waits for the consumer.
    const ready = Promise.withResolvers<EventConsumer>();
    ready.promise.catch(() => {});
    try {
      const consumer = await EventConsumer.connect(client, {
        topic: options.topic,
        groupId: `${options.groupPrefix}-${crypto.randomUUID()}`,
        startingOffsets: "earliest",
        autoCommit: false,
        connectTimeoutMs: options.connectTimeoutMs ?? 90_000,
        onAssignment: async (assignment) => {
          const reader = await ready.promise;
          for (const a of assignment) {
            for (const partition of a.partitions) {
              const from = options.follower.read(partition);
              if (from > 0) reader.seek(partition, from, a.topic);
            }
          }
        },
      });
      ready.resolve(consumer);
      return consumer;
    } catch (error) {
      ready.reject(error);
      throw error;
    }
  };
}
