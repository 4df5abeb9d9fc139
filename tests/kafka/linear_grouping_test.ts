/**
 * The linear grouping returns what kafkajs' quadratic original returns. That kafkajs' producer
 * actually groups through it is `linear_grouping_kafka_test.ts` (a send to the real broker).
 */
import {
  groupMessagesPerPartition,
  linearGroupingCalls,
  originalGroupMessagesPerPartition,
} from "../../src/kafka/linear_grouping.ts";
import "../../src/kafka/kafkajs.ts"; // the gate installs the patches
import assert from "node:assert/strict";
import { Random } from "../../src/util/random.ts";

Deno.test("linear groupMessagesPerPartition() equals kafkajs' original", async (t) => {
  const rng = new Random(5);
  for (const [partitions, count] of [[1, 1000], [3, 999], [7, 50], [4, 0]]) {
    await t.step(`${count} messages on ${partitions} partitions`, () => {
      const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i }));
      const messages = Array.from(
        { length: count },
        (_, i) => ({ key: `k${rng.nextInt(100)}`, i }),
      );
      const partitioner = ({ message }: { message: unknown }) =>
        Number((message as { key: string }).key.slice(1)) % partitions;
      const args = { topic: "t", partitionMetadata, messages, partitioner };
      const before = linearGroupingCalls();
      const fast = groupMessagesPerPartition(args);
      assert.equal(linearGroupingCalls(), before + 1, "the call counter counts each call");
      assert.deepEqual(fast, originalGroupMessagesPerPartition(args));
      assert.deepEqual(Object.keys(fast), Object.keys(originalGroupMessagesPerPartition(args)));
    });
  }
  await t.step("no partition metadata: nothing", () => {
    const args = { topic: "t", partitionMetadata: [], messages: [{}], partitioner: () => 0 };
    assert.deepEqual(groupMessagesPerPartition(args), originalGroupMessagesPerPartition(args));
  });
});
