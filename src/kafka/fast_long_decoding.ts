/**
 * A value-identical speed-up of kafkajs 2.2.4's record decoding on the consumer side, installed
 * by the kafkajs gate (`src/kafka/kafkajs.ts`), which hands {@linkcode installFastLongDecoding}
 * kafkajs' `Decoder` and `Long`. kafkajs' `Long` is a BigInt in a class; decoding a
 * record reads its timestamp delta as a varlong one byte at a time through several BigInt
 * operations per byte, then parses the batch's first offset and first timestamp from their
 * decimal strings (`Long.fromValue(string)`) for every record of the batch. In the trainer that
 * was about 6% of the CPU per record.
 *
 * - `Decoder.prototype.readVarLong` reads varlongs of up to 7 bytes (|value| < 2^48) with plain
 *   numbers and makes one `Long` from the result; longer ones take kafkajs' own path.
 * - `Long.fromValue(string)` remembers the last two strings it parsed (a batch's first offset and
 *   first timestamp, asked for alternately). `Long` is immutable (every operation returns a new
 *   one), so handing out the same instance again is safe.
 *
 * `tests/kafka/fast_long_decoding_test.ts` checks both against kafkajs' own code on every edge,
 * and with {@linkcode fastLongDecodingCalls} that kafkajs' own record batch decoder runs them.
 *
 * @module
 */

interface LongInstance {
  value: bigint;
}

interface LongClass {
  new (value: bigint): LongInstance;
  fromValue(value: unknown): LongInstance;
}

interface DecoderInstance {
  buffer: Uint8Array;
  offset: number;
}

const MARK = Symbol.for("clickstream.kafka.fastLongDecoding");

/** How many times each replacement has run in this process (see {@linkcode fastLongDecodingCalls}). */
export interface FastLongDecodingCalls {
  /** `Decoder.prototype.readVarLong` (short values and the fallback to kafkajs' own). */
  readVarLong: number;
  /** `Long.fromValue`, any argument. */
  fromValue: number;
  /** `Long.fromValue(string)` answered from the two remembered strings. */
  fromValueCached: number;
}

const calls: FastLongDecodingCalls = { readVarLong: 0, fromValue: 0, fromValueCached: 0 };

/**
 * A copy of the call counters of the replacements: how often kafkajs' decoder has actually run
 * them in this process. Tests compare two readings around a kafkajs call to see that kafkajs
 * goes through the replacements, not just that they were installed.
 */
export function fastLongDecodingCalls(): FastLongDecodingCalls {
  return { ...calls };
}

let installed = false;

/** Whether the fast decoding is installed (the gate installs it when it loads). */
export function fastLongDecodingInstalled(): boolean {
  return installed;
}

/**
 * Replaces `Decoder.prototype.readVarLong` and `Long.fromValue` of kafkajs (the classes of
 * kafkajs' `src/protocol/decoder.js` and `src/utils/long.js`, the module instances its
 * consumer uses). Idempotent.
 */
export function installFastLongDecoding(decoder: unknown, long: unknown): void {
  const D = decoder as { prototype: Record<string | symbol, unknown> };
  const L = long as LongClass;
  installed = true;
  if (D.prototype[MARK] === true) return;
  const slowReadVarLong = D.prototype.readVarLong as (this: DecoderInstance) => LongInstance;
  D.prototype.readVarLong = function (this: DecoderInstance): LongInstance {
    calls.readVarLong++;
    const buf = this.buffer;
    const start = this.offset;
    let o = start;
    let unsigned = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      if (o >= buf.length) break;
      const byte = buf[o++];
      unsigned += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        this.offset = o;
        // zigzag: 0, 1, 2, 3 ... → 0, -1, 1, -2 ...
        const value = unsigned % 2 === 0 ? unsigned / 2 : -(unsigned + 1) / 2;
        return new L(BigInt(value));
      }
      scale *= 128;
    }
    this.offset = start; // longer than 7 bytes (or cut short): kafkajs' own path and errors
    return slowReadVarLong.call(this);
  };

  const slowFromValue = L.fromValue;
  let key1: string | undefined;
  let long1: LongInstance | undefined;
  let key2: string | undefined;
  let long2: LongInstance | undefined;
  L.fromValue = function (this: LongClass, value: unknown): LongInstance {
    calls.fromValue++;
    if (typeof value !== "string") return slowFromValue.call(this, value);
    if (value === key1) {
      calls.fromValueCached++;
      return long1!;
    }
    if (value === key2) {
      calls.fromValueCached++;
      return long2!;
    }
    const long = slowFromValue.call(this, value);
    key2 = key1;
    long2 = long1;
    key1 = value;
    long1 = long;
    return long;
  };
  D.prototype[MARK] = true;
}
