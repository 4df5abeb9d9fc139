/**
 * Topic administration over kafkajs: create a topic if it is missing (idempotent, so every
 * command can call it on first use; replicated on up to three brokers), list and delete topics,
 * and read partition end offsets and where the replicas are.
 * `KafkaAdmin` is `AsyncDisposable`: `await using admin = await KafkaAdmin.connect(client)`.
 *
 * @module
 */

import type { Admin } from "./kafkajs.ts";
import { connectWithin, type KafkaClient, settleWithin } from "./client.ts";
import { retry } from "../util/retry.ts";

/** Options of {@linkcode KafkaAdmin.connect}. */
export interface KafkaAdminConnectOptions {
  /**
   * Give up connecting after this many ms.
   *
   * @default {15_000}
   */
  connectTimeoutMs?: number;
}

/** Options of {@linkcode KafkaAdmin.ensureTopic}. */
export interface EnsureTopicOptions {
  /**
   * Partitions of a newly created topic (an existing topic is left as is).
   *
   * @default {1}
   */
  partitions?: number;
  /**
   * Replication factor of a newly created topic. Without one,
   * {@linkcode defaultReplicationFactor} of the brokers in the cluster metadata: 3 on a cluster
   * of three or more, 1 on a single broker.
   *
   * @default {defaultReplicationFactor(brokerCount)}
   */
  replicationFactor?: number;
  /**
   * Topic configs of a newly created topic, e.g. `{ "retention.ms": "3600000" }`. Without them,
   * the broker's defaults.
   */
  configs?: Record<string, string>;
  /**
   * How long to wait until every partition has a leader, ms.
   *
   * @default {30_000}
   */
  timeoutMs?: number;
}

/** The most replicas {@linkcode KafkaAdmin.ensureTopic} gives a topic by default. */
export const MAX_DEFAULT_REPLICATION_FACTOR = 3;

/**
 * The replication factor of a topic created on a cluster of `brokers` brokers when none is
 * given: `min(3, brokers)`. (Topics and their dead letters then survive one lost broker of three
 * with `min.insync.replicas=2`; a single development broker gets 1.)
 */
export function defaultReplicationFactor(brokers: number): number {
  return Math.max(1, Math.min(MAX_DEFAULT_REPLICATION_FACTOR, brokers));
}

/** Where one partition's replicas are (see {@linkcode KafkaAdmin.topicReplicas}). */
export interface PartitionReplicas {
  /** Partition number. */
  partition: number;
  /** The leader's broker id, `-1` when there is none. */
  leader: number;
  /** The broker ids of every replica, sorted. */
  replicas: number[];
  /** The broker ids of the in-sync replicas, sorted. */
  isr: number[];
}

/** One partition's offsets. */
export interface PartitionOffsets {
  /** Partition number. */
  partition: number;
  /** The earliest offset still in the log. */
  low: number;
  /** The next offset to be written (the end). */
  high: number;
}

/** Topic administration on one connection; make one with {@linkcode KafkaAdmin.connect}. */
export class KafkaAdmin implements AsyncDisposable {
  #admin: Admin;
  #closed = false;

  private constructor(admin: Admin) {
    this.#admin = admin;
  }

  /**
   * Connects an admin client. Throws `KafkaUnavailableError` naming the brokers when they
   * cannot be reached within `connectTimeoutMs`.
   *
   * @example A topic, its partitions and offsets (needs a broker: `deno task kafka`)
   * ```ts ignore
   * import { KafkaAdmin } from "./admin.ts";
   * import { KafkaClient } from "./client.ts";
   *
   * const client = new KafkaClient({ brokers: "127.0.0.1:9092" });
   * await using admin = await KafkaAdmin.connect(client, { connectTimeoutMs: 5000 });
   * const created = await admin.ensureTopic("clickstream_v2", {
   *   partitions: 12,
   *   configs: { "retention.ms": String(24 * 3_600_000) },
   * }); // false when it already existed: the call is idempotent
   * console.log(created, await admin.partitionCount("clickstream_v2"));
   * for (const { partition, low, high } of await admin.topicOffsets("clickstream_v2")) {
   *   console.log(`partition ${partition}: offsets ${low}..${high}`);
   * }
   * ```
   *
   * @param client The connection settings (brokers, TLS, SASL).
   * @param options The connect deadline.
   * @returns A connected admin; close it (or `await using` it) when done.
   */
  static async connect(
    client: KafkaClient,
    options: KafkaAdminConnectOptions = {},
  ): Promise<KafkaAdmin> {
    const admin = client.kafkajs.admin();
    await connectWithin(
      client.brokers,
      options.connectTimeoutMs ?? 15_000,
      () => admin.connect(),
      () => admin.disconnect(),
      () => client.diagnoseTls(),
    );
    return new KafkaAdmin(admin);
  }

  /**
   * Creates `topic` unless it exists. Returns `true` when this call created it. Safe to call
   * concurrently from several processes.
   */
  async ensureTopic(topic: string, options: EnsureTopicOptions = {}): Promise<boolean> {
    const partitions = options.partitions ?? 1;
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new RangeError(
        `Cannot create topic "${topic}": partitions must be an integer >= 1, got ${partitions}.`,
      );
    }
    if (topic.length === 0 || !/^[a-zA-Z0-9._-]{1,249}$/.test(topic)) {
      throw new TypeError(
        `Cannot create topic "${topic}": a name is 1..249 of a-z A-Z 0-9 . _ -.`,
      );
    }
    const given = options.replicationFactor;
    if (given !== undefined && (!Number.isInteger(given) || given < 1)) {
      throw new RangeError(
        `Cannot create topic "${topic}": replicationFactor must be an integer >= 1, got ${given}.`,
      );
    }
    const replicationFactor = given ?? defaultReplicationFactor(await this.brokerCount());
    let created = false;
    try {
      // Not kafkajs' waitForLeaders: its wait retries only LEADER_NOT_AVAILABLE, while Kafka 4
      // (KRaft) may still answer UNKNOWN_TOPIC_OR_PARTITION for a moment after the creation.
      created = await this.#admin.createTopics({
        waitForLeaders: false,
        topics: [{
          topic,
          numPartitions: partitions,
          replicationFactor,
          configEntries: Object.entries(options.configs ?? {}).map(([name, value]) => ({
            name,
            value,
          })),
        }],
      });
    } catch (error) {
      const errors = (error as { errors?: { type?: string; message?: string }[] }).errors;
      const text = JSON.stringify(errors ?? "") + String((error as { type?: string }).type);
      // TOPIC_ALREADY_EXISTS: a concurrent creator won the race, the topic exists, as asked.
      if (!text.includes("TOPIC_ALREADY_EXISTS")) {
        if (!Array.isArray(errors)) throw error;
        // The broker refused the topic (kafkajs says only "Topic creation errors"): say why.
        throw new Error(
          `Cannot create topic "${topic}" (${partitions} partition(s), replication factor ${replicationFactor}): ${
            errors.map((e) => `${e.type}: ${e.message}`).join("; ")
          }`,
          { cause: error },
        );
      }
    }
    await this.#waitForLeaders(topic, options.timeoutMs ?? 30_000);
    return created;
  }

  /** Polls metadata until every partition of `topic` has a leader. */
  async #waitForLeaders(topic: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const noLeaderYet = new Error("some partitions have no leader yet");
    const waiting = (error: unknown) => {
      const type = (error as { type?: string }).type;
      return error === noLeaderYet || type === "UNKNOWN_TOPIC_OR_PARTITION" ||
        type === "LEADER_NOT_AVAILABLE";
    };
    try {
      await retry(async () => {
        const meta = await this.#admin.fetchTopicMetadata({ topics: [topic] });
        const parts = meta.topics[0]?.partitions ?? [];
        if (!(parts.length > 0 && parts.every((p) => p.leader >= 0))) throw noLeaderYet;
      }, {
        initialDelayMs: 50,
        maxDelayMs: 500,
        shouldRetry: (error) => waiting(error) && Date.now() <= deadline,
      });
    } catch (error) {
      if (!waiting(error)) throw error;
      throw new Error(
        `Topic "${topic}" has no leader for every partition after ${timeoutMs} ms: ${
          (error as Error).message
        }`,
        { cause: error },
      );
    }
  }

  /** The number of brokers in the cluster metadata (live brokers). */
  async brokerCount(): Promise<number> {
    return (await this.#admin.describeCluster()).brokers.length;
  }

  /**
   * Leader, replicas and in-sync replicas of every partition of `topic`, by partition. A topic
   * just created may not be in every broker's metadata yet: "does not host this
   * topic-partition" is retried for up to about 5 s.
   */
  async topicReplicas(topic: string): Promise<PartitionReplicas[]> {
    const meta = await retry(() => this.#admin.fetchTopicMetadata({ topics: [topic] }), {
      initialDelayMs: 100,
      maxDelayMs: 1000,
      maxAttempts: 10,
      shouldRetry: (error) => /does not host this topic-partition/.test(error.message),
    });
    const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);
    return (meta.topics[0]?.partitions ?? []).map((p) => ({
      partition: p.partitionId,
      leader: p.leader,
      replicas: sorted(p.replicas),
      isr: sorted(p.isr),
    })).sort((a, b) => a.partition - b.partition);
  }

  /**
   * The configs of `topic` as the broker resolves them (its own and the defaults), by name, e.g.
   * `retention.ms`.
   */
  async topicConfigs(topic: string): Promise<Record<string, string>> {
    // 2: kafkajs' ConfigResourceTypes.TOPIC (a number here, so this file imports only types).
    const { resources } = await this.#admin.describeConfigs({
      resources: [{ type: 2, name: topic }],
      includeSynonyms: false,
    });
    return Object.fromEntries(
      (resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]),
    );
  }

  /** The names of all topics, internal ones (`__consumer_offsets`) excluded, sorted. */
  async listTopics(): Promise<string[]> {
    const topics = await this.#admin.listTopics();
    return topics.filter((t) => !t.startsWith("__")).sort();
  }

  /** The number of partitions of `topic`, or `undefined` when it does not exist. */
  async partitionCount(topic: string): Promise<number | undefined> {
    const topics = await this.#admin.listTopics();
    if (!topics.includes(topic)) return undefined;
    const meta = await this.#admin.fetchTopicMetadata({ topics: [topic] });
    return meta.topics[0]?.partitions.length;
  }

  /** Deletes topics; names that do not exist are ignored. */
  async deleteTopics(topics: readonly string[]): Promise<void> {
    const existing = new Set(await this.#admin.listTopics());
    const doomed = topics.filter((t) => existing.has(t));
    if (doomed.length === 0) return;
    await this.#admin.deleteTopics({ topics: doomed, timeout: 30_000 });
  }

  /** Earliest and end offsets of every partition of `topic`. */
  async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const offsets = await this.#admin.fetchTopicOffsets(topic);
    return offsets.map((o) => ({
      partition: o.partition,
      low: Number(o.low),
      high: Number(o.high),
    })).sort((a, b) => a.partition - b.partition);
  }

  /** The committed offsets of a consumer group on `topic` (`-1` where nothing is committed). */
  async groupOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
    const result = await this.#admin.fetchOffsets({ groupId, topics: [topic] });
    const map = new Map<number, number>();
    for (const p of result[0]?.partitions ?? []) map.set(p.partition, Number(p.offset));
    return map;
  }

  /** The member ids of a consumer group as its coordinator sees them now (empty when none). */
  async groupMembers(groupId: string): Promise<string[]> {
    const { groups } = await this.#admin.describeGroups([groupId]);
    return (groups[0]?.members ?? []).map((m) => m.memberId).sort();
  }

  /** Closes the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await settleWithin(this.#admin.disconnect(), 15_000);
  }

  /** Same as {@linkcode KafkaAdmin.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
