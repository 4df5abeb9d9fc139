/**
 * kafkajs' `DefaultPartitioner`, as the gate leaves it, chooses the partitions an unpatched
 * kafkajs chooses (`_pristine_kafkajs.ts`) on random partition metadata and messages: a
 * message's explicit partition, the murmur2 of its key, and for messages with neither the same
 * round robin over the partitions with a leader (it starts at a random place in both).
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import fc from "fast-check";
import {
  explicitPartitionCalls,
  explicitPartitionInstalled,
} from "../../src/kafka/explicit_partition.ts";
import { Partitioners } from "../../src/kafka/kafkajs.ts";
import { pristineKafkaJs } from "./_pristine_kafkajs.ts";

interface Message {
  partition?: number | null;
  key?: Buffer | string | null;
}
interface Metadata {
  partitionId: number;
  leader: number;
}
type Partitioner = (
  args: { topic: string; partitionMetadata: Metadata[]; message: Message },
) => number;

const pristine = pristineKafkaJs("src/producer/partitioners/index.js") as {
  DefaultPartitioner: () => Partitioner;
};
const patched = Partitioners as unknown as { DefaultPartitioner: () => Partitioner };

const metadata = fc.integer({ min: 1, max: 8 }).chain((n) =>
  fc.tuple(
    fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
    fc.array(fc.integer({ min: -1, max: 3 }), { minLength: n, maxLength: n }),
  ).map(([ids, leaders]) => ids.map((partitionId, i) => ({ partitionId, leader: leaders[i] })))
);
const key = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
  fc.string({ maxLength: 20 }),
);
const placedMessage: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ partition: fc.nat(20), key: fc.option(key, { nil: undefined }) }),
  fc.record({ partition: fc.constantFrom(null, undefined), key }),
);

Deno.test("the gate installs it, and it is kafkajs' Partitioners.DefaultPartitioner", () => {
  assert.ok(explicitPartitionInstalled());
  assert.notEqual(patched.DefaultPartitioner, pristine.DefaultPartitioner);
});

Deno.test("explicit partitions and keys: the partitions of unpatched kafkajs", () => {
  const before = explicitPartitionCalls();
  let n = 0;
  fc.assert(
    fc.property(metadata, fc.array(placedMessage, { maxLength: 20 }), (partitionMetadata, ms) => {
      const ours = patched.DefaultPartitioner();
      const theirs = pristine.DefaultPartitioner();
      for (const message of ms) {
        const args = { topic: "t", partitionMetadata, message };
        assert.equal(ours(args), theirs(args), JSON.stringify(message));
        n++;
      }
    }),
    { numRuns: 1000 },
  );
  assert.equal(explicitPartitionCalls() - before, n);
});

Deno.test("no partition and no key: the same round robin over the partitions with a leader", () => {
  fc.assert(
    fc.property(metadata, fc.integer({ min: 1, max: 30 }), (partitionMetadata, count) => {
      const sequence = (p: Partitioner) =>
        Array.from({ length: count }, () => p({ topic: "t", partitionMetadata, message: {} }));
      const ours = sequence(patched.DefaultPartitioner());
      const theirs = sequence(pristine.DefaultPartitioner());
      const available = partitionMetadata.filter((p) => p.leader >= 0).map((p) => p.partitionId);
      // The cycle both walk: the partitions with a leader in metadata order, or (none has one)
      // every partition number.
      const cycle = available.length > 0 ? available : [...Array(partitionMetadata.length).keys()];
      for (const seq of [ours, theirs]) {
        const start = cycle.indexOf(seq[0]);
        assert.ok(start >= 0, `${seq[0]} is not in ${cycle}`);
        seq.forEach((p, j) => assert.equal(p, cycle[(start + j) % cycle.length]));
      }
    }),
    { numRuns: 500 },
  );
});
