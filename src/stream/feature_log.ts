/**
 * The feature log: `<topic>.features`, where `featurize` writes the rows of every input
 * partition, packed many per record (`row_codec.ts`), and `learn` reads them. ONE partition, so
 * the rows of all input partitions have a single order and every `learn` replica reads the same
 * sequence; infinite retention (`retention.ms=-1`), so a replica that starts late replays it from
 * offset 0 (docs/design.md "Scaling out").
 *
 * @module
 */

import type { Clock } from "../util/clock.ts";
import { retry } from "../util/retry.ts";

/** The feature log of input topic `topic`: `<topic>.features`. */
export function featureLogTopic(topic: string): string {
  return `${topic}.features`;
}

/** The partitions of the feature log: one. */
export const FEATURE_LOG_PARTITIONS = 1;

/** The topic configs the feature log is created with: kept forever. */
export const FEATURE_LOG_CONFIGS: Readonly<Record<string, string>> = Object.freeze({
  "retention.ms": "-1",
});

/** The admin calls {@linkcode ensureFeatureLog} needs (`KafkaAdmin` fits). */
export interface FeatureLogAdmin {
  /** Creates `topic` unless it exists; `true` when this call created it. */
  ensureTopic(
    topic: string,
    options: { partitions: number; configs: Record<string, string> },
  ): Promise<boolean>;
  /** The number of partitions of `topic`, or `undefined` when it does not exist. */
  partitionCount(topic: string): Promise<number | undefined>;
}

/** A feature log that cannot give one order: it has more than one partition. */
export class FeatureLogError extends Error {
  /** The topic concerned. */
  readonly topic: string;
  /** Creates the error. */
  constructor(topic: string, message: string) {
    super(message);
    this.name = "FeatureLogError";
    this.topic = topic;
  }
}

/** Options of {@linkcode ensureFeatureLog}. */
export interface EnsureFeatureLogOptions {
  /**
   * Reads of the partition count while no broker reports the topic yet (on a cluster, a topic
   * just created by this or another process reaches each broker's metadata a moment later).
   *
   * @default {20}
   */
  maxAttempts?: number;
  /**
   * The clock of the waits between those reads (100 ms, doubling, at most 1 s).
   *
   * @default {SYSTEM_CLOCK}
   */
  clock?: Clock;
}

/**
 * Creates the feature log of `topic` unless it exists (one partition, kept forever) and checks
 * that it has one partition. Resolves `true` when this call created it.
 *
 * @throws {FeatureLogError} when the topic exists with more than one partition, or no broker
 * reports its partitions after `maxAttempts` reads
 */
export async function ensureFeatureLog(
  admin: FeatureLogAdmin,
  topic: string,
  options: EnsureFeatureLogOptions = {},
): Promise<boolean> {
  const log = featureLogTopic(topic);
  const created = await admin.ensureTopic(log, {
    partitions: FEATURE_LOG_PARTITIONS,
    configs: { ...FEATURE_LOG_CONFIGS },
  });
  const attempts = options.maxAttempts ?? 20;
  const partitions = await retry(async () => {
    const count = await admin.partitionCount(log);
    if (count === undefined) {
      throw new FeatureLogError(
        log,
        `The feature log ${log} exists, but no broker reported its partitions after ${attempts} reads: is the cluster healthy?`,
      );
    }
    return count;
  }, {
    maxAttempts: attempts,
    initialDelayMs: 100,
    maxDelayMs: 1000,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  if (partitions !== FEATURE_LOG_PARTITIONS) {
    throw new FeatureLogError(
      log,
      `The feature log ${log} has ${partitions} partitions: it needs exactly one, so that all rows have one order. Delete it, or give featurize and learn another topic.`,
    );
  }
  return created;
}
