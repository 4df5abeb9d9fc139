/**
 * The options of `EventConsumer.connect()`, and what they come to: the checked topic list, where
 * a new group starts, and the settings of the kafkajs consumer.
 *
 * @module
 */

import type { TopicPartitions } from "./consumed_record.ts";
import type { ConsumerConfig } from "./kafkajs.ts";

/** Options of {@linkcode EventConsumer.connect}. */
export interface EventConsumerOptions {
  /** The topic (or topics) to read. Required. */
  topic: string | readonly string[];
  /** The consumer group. Required. */
  groupId: string;
  /**
   * Where to start on partitions the group has no committed offset for: `"earliest"` (the
   * oldest record) or `"latest"` (only new records).
   *
   * @default {"latest"}
   */
  startingOffsets?: "earliest" | "latest";
  /**
   * Commit processed offsets after each batch, before partitions are given away in a
   * rebalance, and on close. Turn off to commit with `commit()` yourself.
   *
   * @default {true}
   */
  autoCommit?: boolean;
  /**
   * Read one fetch ahead: kafkajs fetches the next batch while the iterator still works through
   * the last, so a loop body faster than the broker never waits a round trip between fetches (at
   * most two fetched batches are held, and one fetch is in flight). With `autoCommit` a batch's
   * offsets are then committed when the batch after it is handed over (or on close) instead of
   * as soon as it was processed, and a rebalance kafkajs notices between two fetches gives the
   * partitions away without that commit (records processed since the last one are delivered
   * again: at least once still), so it is off there by default.
   *
   * @default {!autoCommit}
   */
  readAhead?: boolean;
  /**
   * Group session timeout, ms (the broker allows 6000+ by default; tests' broker 1000+).
   *
   * @default {10_000}
   */
  sessionTimeoutMs?: number;
  /**
   * Heartbeat interval, ms.
   *
   * @default {1000}
   */
  heartbeatIntervalMs?: number;
  /**
   * How long the group waits for members to rejoin in a rebalance, ms.
   *
   * @default {30_000}
   */
  rebalanceTimeoutMs?: number;
  /**
   * How long a fetch waits for data, ms (also bounds how long `close()` waits).
   *
   * @default {500}
   */
  maxWaitMs?: number;
  /**
   * Most bytes fetched per partition per request. Above 10 MiB, kafkajs' bound on a whole
   * fetch (`maxBytes`, 10 MiB by default, which would cap it) is raised to the same.
   *
   * @default {1_048_576}
   */
  maxBytesPerPartition?: number;
  /**
   * Give up connecting and joining after this many ms.
   *
   * @default {30_000}
   */
  connectTimeoutMs?: number;
  /**
   * `close()` waits at most this long for the last commit, and again for leaving the group.
   *
   * @default {15_000}
   */
  closeTimeoutMs?: number;
  /**
   * Called after every group (re)join with this member's partitions and its member id (which the
   * coordinator knows it by), before records of them are delivered: the place to `seek()` to
   * offsets kept elsewhere.
   */
  onAssignment?: (assignment: TopicPartitions[], memberId: string) => void | Promise<void>;
  /**
   * Called when kafkajs restarts the consumer after a failure it retries (the broker went away,
   * say), with the member id the consumer had: the restarted consumer joins as a new member, and
   * the group's coordinator may keep the old one until its session expires, holding up the join.
   * The place to remove it (see `src/kafka/evict_member.ts`).
   */
  onRestart?: (previousMemberId: string) => void;
  /**
   * Called after every fetch round (kafkajs' `consumer.fetch` event), with records or without,
   * paused partitions included: a probe to wait for "the consumer has looked again" on, instead
   * of sleeping.
   */
  onFetch?: () => void;
  /**
   * Reuse large fetch responses (`response_pool.ts`) once the caller said, with
   * `EventConsumer.release(record)`, that it is done with every record handed out up to one.
   * Only for a caller that keeps no view of a record's bytes past that call (`learn`): what must
   * outlive it (a bad record's value for a dead-letter topic, sent later) must be copied first.
   *
   * @default {false}
   */
  recycleResponses?: boolean;
  /** Aborting closes the consumer (the iteration then ends). */
  signal?: AbortSignal;
}

/** {@linkcode EventConsumerOptions} checked and with their defaults, as kafkajs takes them. */
export interface ConsumerSettings {
  /** The topics to subscribe to (at least one). */
  topics: string[];
  /** Whether a partition with no committed offset starts at the oldest record. */
  fromBeginning: boolean;
  /** The kafkajs consumer's settings. */
  config: ConsumerConfig;
}

/** kafkajs' default bound on the bytes of one fetch, all partitions together (`maxBytes`). */
const KAFKAJS_MAX_BYTES = 10_485_760;

/**
 * Checks `options` (`TypeError` for no topic or no group, `RangeError` for an unknown
 * `startingOffsets`, each naming the value) and fills in the defaults.
 */

export function consumerSettings(options: EventConsumerOptions): ConsumerSettings {
  const topics = typeof options.topic === "string" ? [options.topic] : [...options.topic];
  if (topics.length === 0) throw new TypeError("Cannot consume: no topic given.");
  if (!options.groupId) throw new TypeError("Cannot consume: no consumer group given.");
  const starting = options.startingOffsets ?? "latest";
  if (starting !== "earliest" && starting !== "latest") {
    throw new RangeError(
      `Cannot consume: startingOffsets must be "earliest" or "latest", got "${starting}".`,
    );
  }
  const perPartition = options.maxBytesPerPartition ?? 1_048_576;
  return {
    topics,
    fromBeginning: starting === "earliest",
    config: {
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 1000,
      rebalanceTimeout: options.rebalanceTimeoutMs ?? 30_000,
      maxWaitTimeInMs: options.maxWaitMs ?? 500,
      maxBytesPerPartition: perPartition,
      ...(perPartition > KAFKAJS_MAX_BYTES ? { maxBytes: perPartition } : {}),
      allowAutoTopicCreation: false,
    },
  };
}
