/**
 * kafkajs 2.2.4's default partitioner, with a message's explicit partition looked at first,
 * installed by the kafkajs gate (`src/kafka/kafkajs.ts`). kafkajs' own
 * (`src/producer/partitioners/legacy/partitioner.js`, which its `DefaultPartitioner` is) filters
 * the topic's partition metadata into a new array for every message before it looks at
 * `message.partition`: for the load generator, which gives every record its partition, that was
 * an array and an object per record and a tenth of what a worker allocated.
 *
 * The replacement returns `message.partition` when it is set, as kafkajs' does, and hands every
 * other message (a key to hash, or none: round robin) to an instance of kafkajs' own
 * partitioner, so those choices are kafkajs' exactly. `tests/kafka/explicit_partition_test.ts`
 * checks the choices against an unpatched kafkajs on random metadata and messages, and with
 * {@linkcode explicitPartitionCalls} that kafkajs' producer partitions through it.
 *
 * @module
 */

/** What kafkajs passes a partitioner for every message. */
interface PartitionArgs {
  topic: string;
  partitionMetadata: unknown[];
  message: { partition?: number | null; key?: unknown };
}

type Partitioner = (args: PartitionArgs) => number;
type PartitionerFactory = () => Partitioner;

/** The exports of kafkajs' `src/producer/partitioners/index.js` (what `Partitioners` is). */
export interface PartitionersModule {
  /** kafkajs' default partitioner's factory. */
  DefaultPartitioner: unknown;
  /** Its deprecated name: the same factory. */
  JavaCompatiblePartitioner: unknown;
}

let calls = 0;

/**
 * How many messages kafkajs has partitioned through the replacement in this process (with an
 * explicit partition or not). Tests compare two readings around a send.
 */
export function explicitPartitionCalls(): number {
  return calls;
}

let original: PartitionerFactory | undefined;

/**
 * The replacement of kafkajs' `DefaultPartitioner`: a partitioner that returns a message's
 * explicit partition, and asks its own instance of kafkajs' default partitioner otherwise.
 */
export function explicitPartitionFirst(): Partitioner {
  const kafkajs = original!();
  return (args) => {
    calls++;
    const partition = args.message.partition;
    return partition !== null && partition !== undefined ? partition : kafkajs(args);
  };
}

/** kafkajs' own `DefaultPartitioner`, for tests. Throws before {@linkcode installExplicitPartition}. */
export function originalDefaultPartitioner(): Partitioner {
  if (original === undefined) {
    throw new Error(
      "Cannot make kafkajs' own DefaultPartitioner: the kafkajs gate (src/kafka/kafkajs.ts) has not installed the explicit-partition partitioner.",
    );
  }
  return original();
}

/**
 * Makes kafkajs' `DefaultPartitioner` (and `JavaCompatiblePartitioner`, the same) the
 * replacement, on the exports of kafkajs' partitioners module (which kafkajs exports as
 * `Partitioners`). Must run before kafkajs' `src/producer/index.js` is loaded (it takes the
 * default when it loads). Idempotent.
 */
export function installExplicitPartition(partitioners: PartitionersModule): void {
  if (partitioners.DefaultPartitioner === explicitPartitionFirst) return;
  if (typeof partitioners.DefaultPartitioner !== "function") {
    throw new TypeError(
      `Cannot install the explicit-partition partitioner: kafkajs' DefaultPartitioner is a ${typeof partitioners
        .DefaultPartitioner}, not a function`,
    );
  }
  original = partitioners.DefaultPartitioner as PartitionerFactory;
  partitioners.DefaultPartitioner = explicitPartitionFirst;
  if (partitioners.JavaCompatiblePartitioner === original) {
    partitioners.JavaCompatiblePartitioner = explicitPartitionFirst;
  }
}

/** Whether {@linkcode installExplicitPartition} has run (the gate installs it when it loads). */
export function explicitPartitionInstalled(): boolean {
  return original !== undefined;
}
