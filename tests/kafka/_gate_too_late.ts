/**
 * Run by `kafkajs_gate_test.ts` as a process of its own: loads kafkajs (and so its producer)
 * BEFORE the kafkajs gate, as a stray `import "kafkajs"` in the program would, then loads the
 * gate and prints how that ended.
 *
 * @module
 */

import "kafkajs";

try {
  await import("../../src/kafka/kafkajs.ts");
  console.log("loaded");
} catch (error) {
  console.log(`${(error as Error).name}: ${(error as Error).message}`);
}
