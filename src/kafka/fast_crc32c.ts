/**
 * A faster CRC32C (Castagnoli) for kafkajs 2.2.4's record batches, installed by the kafkajs gate
 * (`src/kafka/kafkajs.ts`). kafkajs checksums every record batch it produces with a table lookup
 * per byte in JavaScript (`src/protocol/recordBatch/crc32C/`), each step waiting on the one
 * before; in a load generator worker that was about a tenth of the CPU. {@linkcode crc32c}
 * computes the same value with "slicing by 8": eight tables, eight bytes per step, the eight
 * lookups independent of each other (`tests/kafka/fast_crc32c_bench.ts` races it against
 * kafkajs' loop). Plain TypeScript: no WebAssembly binary to build or ship, and the compiled
 * program stays as it is.
 *
 * kafkajs' record batch encoder takes the function with `require('../crc32C')` when its module
 * loads, so {@linkcode installFastCrc32c} replaces the exports of that module in the CommonJS
 * cache before the record batch encoder is loaded (the gate fails loudly when it is too late).
 * `tests/kafka/fast_crc32c_test.ts` checks it agrees with kafkajs' own on random buffers, and
 * with {@linkcode fastCrc32cCalls} that kafkajs' record batch encoder runs it.
 *
 * @module
 */

/** The reflected Castagnoli polynomial. */
const POLYNOMIAL = 0x82f63b78;

/**
 * `TABLES[k * 256 + b]`: the CRC of byte `b` followed by `k` zero bytes. Table 0 is the classic
 * byte-at-a-time table (kafkajs' `T`); table `k` advances table `k - 1` by one zero byte.
 */
const TABLES: Int32Array = (() => {
  const t = new Int32Array(8 * 256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    t[b] = c;
  }
  for (let k = 1; k < 8; k++) {
    for (let b = 0; b < 256; b++) {
      const prev = t[(k - 1) * 256 + b];
      t[k * 256 + b] = t[prev & 0xff] ^ (prev >>> 8);
    }
  }
  return t;
})();

/**
 * The CRC32C of `bytes[start, end)`, as an unsigned 32-bit number: what kafkajs writes into a
 * record batch's CRC field. `start` and `end` default to the whole array; they are clamped to it.
 */
export function crc32c(bytes: Uint8Array, start = 0, end: number = bytes.length): number {
  const t = TABLES;
  let i = Math.max(0, start | 0);
  const stop = Math.min(bytes.length, end);
  let crc = -1;
  // Eight bytes per step: the running CRC is folded into the first four, every byte then looks
  // up the table of its distance from the end of the step.
  for (const last8 = stop - 8; i <= last8; i += 8) {
    const a = crc ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    crc = t[1792 + (a & 0xff)] ^ t[1536 + ((a >>> 8) & 0xff)] ^
      t[1280 + ((a >>> 16) & 0xff)] ^ t[1024 + (a >>> 24)] ^
      t[768 + bytes[i + 4]] ^ t[512 + bytes[i + 5]] ^
      t[256 + bytes[i + 6]] ^ t[bytes[i + 7]];
  }
  for (; i < stop; i++) crc = t[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

let calls = 0;

/**
 * How many times kafkajs has called {@linkcode crc32c} through the patch in this process (once
 * per record batch it produces). Tests compare two readings around a send.
 */
export function fastCrc32cCalls(): number {
  return calls;
}

/** What kafkajs' crc32C module exports: the batch's CRC32C, unsigned. */
type Crc32cFunction = (buffer: Uint8Array) => number;

/** The replacement kafkajs calls: counted. */
function kafkajsCrc32c(buffer: Uint8Array): number {
  calls++;
  return crc32c(buffer);
}

let original: Crc32cFunction | undefined;

/** kafkajs' own CRC32C, for tests and benchmarks. Throws before {@linkcode installFastCrc32c}. */
export function originalCrc32c(buffer: Uint8Array): number {
  if (original === undefined) {
    throw new Error(
      "Cannot run kafkajs' own crc32C: the kafkajs gate (src/kafka/kafkajs.ts) has not installed the fast CRC32C.",
    );
  }
  return original(buffer);
}

/** The CommonJS cache entry of a module (`require.cache[path]`). */
export interface CommonJsExportsEntry {
  /** What `require()` of it returns. */
  exports: unknown;
}

/**
 * Makes kafkajs' record batch encoder checksum through {@linkcode crc32c}: replaces the exports
 * of `module`, the CommonJS cache entry of kafkajs' `src/protocol/recordBatch/crc32C/index.js`,
 * keeping the original for tests. Must run before kafkajs' `src/protocol/recordBatch/v0/index.js`
 * is loaded (it takes the function when it loads). Idempotent.
 */
export function installFastCrc32c(module: CommonJsExportsEntry): void {
  if (module.exports === kafkajsCrc32c) return;
  if (typeof module.exports !== "function") {
    throw new TypeError(
      `Cannot install the fast CRC32C: kafkajs' crc32C module exports a ${typeof module
        .exports}, not a function`,
    );
  }
  original = module.exports as Crc32cFunction;
  module.exports = kafkajsCrc32c;
}

/** Whether {@linkcode installFastCrc32c} has run (the gate installs it when it loads). */
export function fastCrc32cInstalled(): boolean {
  return original !== undefined;
}
