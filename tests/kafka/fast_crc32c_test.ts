/**
 * The slicing-by-8 CRC32C agrees with kafkajs' own byte-at-a-time one (from an unpatched copy of
 * kafkajs, and the original the gate kept) on random buffers: every length from 0 to 17 (the
 * 8-byte steps and the tail), unaligned subarrays of a larger buffer, and large ones; and it is
 * the function kafkajs' record batch encoder now calls.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import fc from "fast-check";
import {
  crc32c,
  fastCrc32cCalls,
  fastCrc32cInstalled,
  originalCrc32c,
} from "../../src/kafka/fast_crc32c.ts";
import "../../src/kafka/kafkajs.ts"; // the gate installs the patches
import { pristineKafkaJs } from "./_pristine_kafkajs.ts";

const kafkajsCrc32c = pristineKafkaJs("src/protocol/recordBatch/crc32C/index.js") as (
  b: Uint8Array,
) => number;

/** kafkajs' crc32C takes a Buffer (it reads `buffer.length` and `buffer[i]`). */
const asBuffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

Deno.test("crc32c() of the standard check input is 0xE3069283", () => {
  assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
  assert.equal(kafkajsCrc32c(Buffer.from("123456789")), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
});

Deno.test("crc32c() agrees with kafkajs' crc32C on every length from 0 to 17", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 17 }), (bytes) => {
      const want = kafkajsCrc32c(asBuffer(bytes));
      assert.equal(crc32c(bytes), want);
      assert.equal(originalCrc32c(asBuffer(bytes)), want);
    }),
    { numRuns: 3000 },
  );
  for (let n = 0; n <= 17; n++) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
    assert.equal(crc32c(bytes), kafkajsCrc32c(asBuffer(bytes)), `length ${n}`);
  }
});

Deno.test("crc32c() agrees on unaligned subarrays and on start/end ranges", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 600 }),
      fc.nat(),
      fc.nat(),
      (bytes, a, b) => {
        const start = a % (bytes.length + 1);
        const end = start + (b % (bytes.length - start + 1));
        const sub = bytes.subarray(start, end);
        const want = kafkajsCrc32c(asBuffer(sub));
        assert.equal(crc32c(sub), want, `subarray [${start}, ${end}) of ${bytes.length}`);
        assert.equal(crc32c(bytes, start, end), want, `range [${start}, ${end})`);
      },
    ),
    { numRuns: 3000 },
  );
});

Deno.test("crc32c() agrees on large random buffers", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1 << 16, max: 1 << 20 }), fc.integer(), (length, seed) => {
      const bytes = new Uint8Array(length);
      let x = seed | 1;
      for (let i = 0; i < length; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        bytes[i] = x;
      }
      assert.equal(crc32c(bytes), kafkajsCrc32c(asBuffer(bytes)));
      assert.equal(crc32c(bytes, 3, length - 5), kafkajsCrc32c(asBuffer(bytes.subarray(3, -5))));
    }),
    { numRuns: 20 },
  );
});

Deno.test("kafkajs' record batch encoder checksums through the fast CRC32C", async () => {
  assert.ok(fastCrc32cInstalled());
  const require = createRequire(import.meta.url);
  const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0/index.js") as {
    RecordBatch: (args: Record<string, unknown>) => Promise<{ buffer: Buffer }>;
  };
  const Record = require("kafkajs/src/protocol/recordBatch/record/v0/index.js") as (
    args: Record<string, unknown>,
  ) => unknown;
  const before = fastCrc32cCalls();
  const records = [Record({ key: Buffer.from("k"), value: Buffer.from("v") })];
  const batch = (await RecordBatch({ records, firstTimestamp: 1, maxTimestamp: 1 })).buffer;
  assert.equal(fastCrc32cCalls() - before, 1);
  // The batch's CRC field (bytes 17..21) is the CRC32C of everything after it.
  assert.equal(batch.readUInt32BE(17), kafkajsCrc32c(batch.subarray(21)));
});
