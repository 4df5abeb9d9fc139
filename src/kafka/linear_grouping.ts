/**
 * Replaces kafkajs 2.2.4's `groupMessagesPerPartition`, which is quadratic in the records per
 * partition of one send (it rebuilds the partition's array with `[...current, message]` for
 * every record: 1000 records on one partition copy half a million array slots), with a linear
 * version that returns the same object. At 1000 records per request it was about 30 % of a load
 * generator worker's CPU.
 *
 * kafkajs' producer takes the function with `require('./groupMessagesPerPartition')` when its
 * module is first loaded, so this works only when installed BEFORE kafkajs' producer loads: it
 * replaces the module's exports in the CommonJS cache. The kafkajs gate (`src/kafka/kafkajs.ts`)
 * does that first thing, and fails loudly when it is too late (something loaded kafkajs before
 * the gate). `tests/kafka/linear_grouping_test.ts` checks the results are equal,
 * `tests/kafka/linear_grouping_kafka_test.ts` that a producer's send to a real broker groups
 * through it ({@linkcode linearGroupingCalls}).
 *
 * @module
 */

/** What kafkajs' producer passes `groupMessagesPerPartition` (the fields the grouping reads). */
export interface GroupArgs {
  /** The topic of the send. */
  topic: string;
  /** The topic's partition metadata; empty when it is not known yet (nothing is grouped). */
  partitionMetadata: unknown[];
  /** kafkajs' messages of the send, in send order. */
  messages: unknown[];
  /** kafkajs' partitioner: the partition of one message. */
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

let original: ((args: GroupArgs) => Record<number, unknown[]>) | undefined;

/** kafkajs' own (quadratic) version, for tests. Throws before {@linkcode installLinearGrouping}. */
export function originalGroupMessagesPerPartition(args: GroupArgs): Record<number, unknown[]> {
  if (original === undefined) {
    throw new Error(
      "Cannot run kafkajs' own groupMessagesPerPartition: the kafkajs gate (src/kafka/kafkajs.ts) has not installed the linear grouping.",
    );
  }
  return original(args);
}

/** The CommonJS cache entry of a module (`require.cache[path]`). */
export interface CommonJsModule {
  /** What `require()` of it returns. */
  exports: unknown;
}

/**
 * Makes kafkajs' producer group through {@linkcode groupMessagesPerPartition}: replaces the
 * exports of `module`, the CommonJS cache entry of kafkajs'
 * `src/producer/groupMessagesPerPartition.js`, keeping the original for tests. Must run before
 * kafkajs' `src/producer/sendMessages.js` is loaded (it takes the function when it loads).
 * Idempotent.
 */
export function installLinearGrouping(module: CommonJsModule): void {
  if (module.exports === groupMessagesPerPartition) return;
  original = module.exports as (args: GroupArgs) => Record<number, unknown[]>;
  module.exports = groupMessagesPerPartition;
}

/** Whether {@linkcode installLinearGrouping} has run (the gate installs it when it loads). */
export function linearGroupingInstalled(): boolean {
  return original !== undefined;
}
