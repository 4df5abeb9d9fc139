/**
 * Replaces kafkajs 2.2.4's `groupMessagesPerPartition`, which is quadratic in the records per
 * partition of one send (it rebuilds the partition's array with `[...current, message]` for
 * every record: 1000 records on one partition copy half a million array slots), with a linear
 * version that returns the same object. At 1000 records per request it was about 30 % of a load
 * generator worker's CPU.
 *
 * kafkajs' producer takes the function with `require('./groupMessagesPerPartition')` when its
 * module is first loaded, so this works only when imported BEFORE anything imports `kafkajs`
 * (it replaces the module's exports in the CommonJS cache). {@linkcode linearGroupingInstalled}
 * says whether that happened; `tests/kafka/linear_grouping_test.ts` checks the results are equal,
 * `tests/kafka/linear_grouping_kafka_test.ts` that a producer's send to a real broker groups
 * through it ({@linkcode linearGroupingCalls}).
 *
 * @module
 */

import { createRequire } from "node:module";
import original from "kafkajs/src/producer/groupMessagesPerPartition.js";

interface GroupArgs {
  topic: string;
  partitionMetadata: unknown[];
  messages: unknown[];
  partitioner: (args: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number;
}

let calls = 0;

/**
 * How many times {@linkcode groupMessagesPerPartition} has run in this process: kafkajs'
 * producer calls it once per topic of every send when the replacement is in place. Tests compare
 * two readings around a send to see that kafkajs groups through it.
 */
export function linearGroupingCalls(): number {
  return calls;
}

/** The linear grouping: `{ [partition]: messages in their order }`, as kafkajs' original. */
export function groupMessagesPerPartition(
  { topic, partitionMetadata, messages, partitioner }: GroupArgs,
): Record<number, unknown[]> {
  calls++;
  if (partitionMetadata.length === 0) return {};
  const result: Record<number, unknown[]> = {};
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (result[partition] ??= []).push(message);
  }
  return result;
}

/** kafkajs' own (quadratic) version, for tests. */
export const originalGroupMessagesPerPartition = original as unknown as (
  args: GroupArgs,
) => Record<number, unknown[]>;

let installed = false;

function install(): void {
  const require = createRequire(import.meta.url);
  const cache = require.cache as Record<string, { exports: unknown } | undefined>;
  const keys = Object.keys(cache);
  const group = keys.find((k) =>
    /kafkajs[\\/].*src[\\/]producer[\\/]groupMessagesPerPartition\.js$/.test(k)
  );
  const tooLate = keys.some((k) => /kafkajs[\\/].*src[\\/]producer[\\/]sendMessages\.js$/.test(k));
  if (group === undefined || tooLate) return;
  cache[group]!.exports = groupMessagesPerPartition;
  installed = true;
}

install();

/**
 * Whether kafkajs' producer will use the linear grouping: `false` when kafkajs' producer was
 * loaded before this module (import this module first).
 */
export function linearGroupingInstalled(): boolean {
  return installed;
}
