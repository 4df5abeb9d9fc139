/**
 * The slicing-by-8 CRC32C against kafkajs' own byte-at-a-time one (the baseline, from an
 * unpatched copy of kafkajs) on a record batch's worth of bytes (128 KiB, about the load
 * generator's 1000 records per request) and on a small batch (1 KiB).
 *
 * ```sh
 * deno bench -A tests/kafka/fast_crc32c_bench.ts
 * ```
 */
import { Buffer } from "node:buffer";
import { crc32c } from "../../src/kafka/fast_crc32c.ts";
import { pristineKafkaJs } from "./_pristine_kafkajs.ts";

const kafkajsCrc32c = pristineKafkaJs("src/protocol/recordBatch/crc32C/index.js") as (
  b: Uint8Array,
) => number;

function randomBuffer(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let x = 0x2545f491;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x;
  }
  return bytes;
}

for (const [label, length] of [["128 KiB", 128 * 1024], ["1 KiB", 1024]] as const) {
  const bytes = randomBuffer(length);
  const want = kafkajsCrc32c(bytes);
  if (crc32c(bytes) !== want) throw new Error(`the two CRC32Cs disagree on ${label}`);
  Deno.bench(`kafkajs crc32C, ${label}`, { group: label, baseline: true }, () => {
    if (kafkajsCrc32c(bytes) !== want) throw new Error("wrong CRC");
  });
  Deno.bench(`slicing-by-8 crc32c, ${label}`, { group: label }, () => {
    if (crc32c(bytes) !== want) throw new Error("wrong CRC");
  });
}
