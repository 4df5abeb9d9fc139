/**
 * Connects a consumer-group member that resumes from the checkpoint: its `onAssignment` hook
 * applies the seek rule (`seek_rule.ts`) to each new assignment — the checkpoint's offsets
 * against the group's committed ones — and records the member; its `onRestart` hook and a
 * reconnect remove stale members (`group_membership.ts`). Everything Kafka comes in through
 * ports: `connect` builds the consumer with the hooks, `offsets` reads the group's committed
 * offsets, and the consumer itself is the `seek` port. Works for a consumer of any topic. A
 * consumer that places itself otherwise (`featurize`, which rebuilds state by replaying) gives
 * its own `place` instead of the seek rule, and keeps the same member handling.
 *
 * @module
 */

import { seeksFor, type TopicAssignment, type TopicOffset } from "./seek_rule.ts";

export type { TopicAssignment, TopicOffset };

/** The consumer as the hook needs it: it can be moved. (`EventConsumer` fits.) */
export interface Seekable {
  /** Continues `partition` of `topic` from `offset`. */
  seek(partition: number, offset: number, topic: string): void;
}

/** The group's committed offsets. (`KafkaAdmin` fits.) */
export interface GroupOffsetsPort {
  /** Committed offset per partition of `topic` (`-1` or absent: none). */
  groupOffsets(group: string, topic: string): Promise<ReadonlyMap<number, number>>;
}

/** The hooks a consumer is connected with (`EventConsumerOptions` has them). */
export interface ResumeHooks {
  /** Called after every join with the member's partitions and id, before their records. */
  onAssignment(assignment: TopicAssignment[], memberId: string): Promise<void>;
  /** Called when the consumer was restarted as a new member, with the former id. */
  onRestart(previousMemberId: string): void;
}

/** The member bookkeeping the hooks drive. (`GroupMembership` fits.) */
export interface MembershipPort {
  /** The consumer joined the group as `memberId`: remember it, and record it. */
  joined(memberId: string): Promise<void>;
  /** The consumer was restarted as a new member: remove the former one. */
  restarted(previous: string): void;
  /** Before a new consumer replaces a failed one: remove the failed one's member. */
  beforeReconnect(): Promise<void>;
}

/** What {@linkcode resumingConnect} needs whichever way the consumer is placed. */
export interface ConnectPorts<C extends Seekable> {
  /** The consumer group. Required. */
  group: string;
  /** Connects a consumer with the given hooks. Required. */
  connect: (hooks: ResumeHooks) => Promise<C>;
  /** This process's member and the removal of stale ones. Required. */
  membership: MembershipPort;
}

/** Placing each assignment by the seek rule. */
export interface BySeekRule {
  /** Reads the group's committed offsets. Required. */
  offsets: GroupOffsetsPort;
  /** The offsets the checkpoint covers now (the truth to resume from). Required. */
  checkpoint: () => readonly TopicOffset[];
  /** Absent: the seek rule places the consumer. */
  place?: undefined;
}

/** Placing each assignment some other way. */
export interface ByOwnRule<C> {
  /** Moves the consumer as the new assignment requires, before its records come. Required. */
  place: (consumer: C, assignment: TopicAssignment[]) => Promise<void>;
  /** Absent: `place` reads what it needs itself. */
  offsets?: undefined;
  /** Absent: `place` decides where each partition resumes. */
  checkpoint?: undefined;
}

/** Options of {@linkcode resumingConnect}: the ports, and the seek rule's or an own `place`. */
export type ResumingConnectOptions<C extends Seekable> =
  & ConnectPorts<C>
  & (BySeekRule | ByOwnRule<C>);

/**
 * Applies the seek rule to `assignment` on `consumer`: reads the committed offsets of the
 * assigned topics (only when the checkpoint has offsets at all) and seeks what must move.
 * Resolves with the seeks made.
 */
export async function resumeAssignment(
  consumer: Seekable,
  assignment: readonly TopicAssignment[],
  checkpoint: readonly TopicOffset[],
  group: string,
  offsets: GroupOffsetsPort,
): Promise<TopicOffset[]> {
  if (checkpoint.length === 0) return [];
  const committed: TopicOffset[] = [];
  for (const topic of new Set(assignment.map((a) => a.topic))) {
    for (const [partition, offset] of await offsets.groupOffsets(group, topic)) {
      committed.push({ topic, partition, offset });
    }
  }
  const seeks = seeksFor(assignment, checkpoint, committed);
  for (const s of seeks) consumer.seek(s.partition, s.offset, s.topic);
  return seeks;
}

/**
 * A `connect` for `ReconnectingConsumer`: each call removes the failed consumer's member (on a
 * reconnect), then connects a consumer whose every assignment resumes from the checkpoint.
 */
export function resumingConnect<C extends Seekable>(
  options: ResumingConnectOptions<C>,
): () => Promise<C> {
  const { group, membership } = options;
  return async () => {
    await membership.beforeReconnect();
    // The hook may run before `connect` resolves: it waits for the consumer.
    const ready = Promise.withResolvers<C>();
    ready.promise.catch(() => {});
    try {
      const consumer = await options.connect({
        onRestart: (previous) => membership.restarted(previous),
        onAssignment: async (assignment, memberId) => {
          await membership.joined(memberId);
          if (options.place !== undefined) {
            await options.place(await ready.promise, assignment);
            return;
          }
          const checkpoint = options.checkpoint();
          if (checkpoint.length === 0) return;
          await resumeAssignment(
            await ready.promise,
            assignment,
            checkpoint,
            group,
            options.offsets,
          );
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
