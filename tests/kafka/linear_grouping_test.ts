/** The linear grouping returns what kafkajs' quadratic original returns, and is installed. */
import {
  groupMessagesPerPartition,
  linearGroupingInstalled,
  originalGroupMessagesPerPartition,
} from "../../src/kafka/linear_grouping.ts";
import assert from "node:assert/strict";
import { Random } from "../../src/generator/random.ts";

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
      const fast = groupMessagesPerPartition(args);
      assert.deepEqual(fast, originalGroupMessagesPerPartition(args));
      assert.deepEqual(Object.keys(fast), Object.keys(originalGroupMessagesPerPartition(args)));
    });
  }
  await t.step("no partition metadata: nothing", () => {
    const args = { topic: "t", partitionMetadata: [], messages: [{}], partitioner: () => 0 };
    assert.deepEqual(groupMessagesPerPartition(args), originalGroupMessagesPerPartition(args));
  });
});

Deno.test("linearGroupingInstalled() is true when imported before kafkajs' producer", async () => {
  assert.equal(linearGroupingInstalled(), true);
  // Loading kafkajs now (after the patch) must pick the linear version up.
  const { createRequire } = await import("node:module");
  await import("../../src/kafka/client.ts");
  const require = createRequire(import.meta.url);
  const entry = Object.entries(require.cache as Record<string, { exports: unknown }>).find(([k]) =>
    /groupMessagesPerPartition\.js$/.test(k)
  );
  assert.equal(entry?.[1].exports, groupMessagesPerPartition);
});
