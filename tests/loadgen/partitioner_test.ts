/** The fast murmur2 agrees with Kafka's (values from kafkajs' Long-based port of the Java one). */
import assert from "node:assert/strict";
import { murmur2, partitionOf } from "../../src/loadgen/partitioner.ts";

const text = new TextEncoder();

Deno.test("murmur2() equals Kafka's murmur2 on keys of every length mod 4 and UTF-8", () => {
  const expected: [string, number][] = [
    ["", 275646681],
    ["a", -1563381124],
    ["ab", 316155434],
    ["abc", 479470107],
    ["abcd", -1323649548],
    ["p3k9x0a1mz", 696169590],
    ["0123456789", -631703640],
    ["sé✓", -1193241461],
    ["clickstream", 506550254],
  ];
  for (const [key, hash] of expected) assert.equal(murmur2(text.encode(key)), hash, key);
});

Deno.test("partitionOf() is toPositive(murmur2) modulo the partition count", () => {
  assert.equal(partitionOf(text.encode("a"), 1), 0);
  assert.equal(partitionOf(text.encode("a"), 7), (-1563381124 & 0x7fffffff) % 7);
  assert.equal(partitionOf(text.encode("p3k9x0a1mz"), 3), 696169590 % 3);
});
