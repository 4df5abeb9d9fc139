/**
 * A byte-identical speed-up of kafkajs 2.2.4's record encoding, installed by the kafkajs gate
 * (`src/kafka/kafkajs.ts`), which hands {@linkcode installFastVarints} kafkajs' `Encoder`. kafkajs writes every varint of every record (length, offset delta, key and
 * value lengths, header count) by building a JavaScript array of bytes and copying it in through
 * `Buffer.from(array)`, and every varlong (the timestamp delta) through its 64-bit `Long`
 * emulation; in the load generator that was about a third of the CPU per record. Here
 * `Encoder.prototype.writeUVarInt` writes the bytes straight into the encoder's buffer, and
 * `writeVarLong` / `Encoder.sizeOfVarLong` take the 32-bit path for values that fit in 32 bits
 * (the same zigzag bytes; anything larger still goes through `Long`). The wire bytes do not
 * change: `tests/kafka/fast_varints_test.ts` checks them against a BigInt reference, and with
 * {@linkcode fastVarintsCalls} that kafkajs' own record encoder runs these replacements.
 *
 * @module
 */

interface EncoderInstance {
  buf: Uint8Array;
  offset: number;
  ensureAvailable(length: number): void;
  writeVarInt(value: number): EncoderInstance;
}

interface EncoderClass {
  prototype: Record<string, unknown>;
  sizeOfVarInt(value: number): number;
  sizeOfVarLong(value: unknown): number;
}

const MARK = Symbol.for("clickstream.kafka.fastVarints");

/** How many times each replacement has run in this process (see {@linkcode fastVarintsCalls}). */
export interface FastVarintsCalls {
  /** `Encoder.prototype.writeUVarInt` (every varint, signed ones through `writeVarInt`). */
  writeUVarInt: number;
  /** `Encoder.prototype.writeVarLong` (32-bit fast path and 64-bit fallback). */
  writeVarLong: number;
  /** `Encoder.sizeOfVarLong`. */
  sizeOfVarLong: number;
}

const calls: FastVarintsCalls = { writeUVarInt: 0, writeVarLong: 0, sizeOfVarLong: 0 };

/**
 * A copy of the call counters of the replacements: how often kafkajs' encoder has actually run
 * them in this process. Tests compare two readings around a kafkajs call to see that kafkajs
 * goes through the replacements, not just that they were installed.
 */
export function fastVarintsCalls(): FastVarintsCalls {
  return { ...calls };
}

let installed = false;

/** Whether the fast varint encoding is installed (the gate installs it when it loads). */
export function fastVarintsInstalled(): boolean {
  return installed;
}

/**
 * Replaces `writeUVarInt`, `writeVarLong` and `sizeOfVarLong` of kafkajs' `Encoder` (the class
 * of kafkajs' `src/protocol/encoder.js`, the module instance its producer uses). Idempotent.
 */
export function installFastVarints(encoder: unknown): void {
  const E = encoder as EncoderClass;
  installed = true;
  if (E.prototype[MARK as unknown as string] === true) return;
  const proto = E.prototype;
  const slowWriteVarLong = proto.writeVarLong as (this: EncoderInstance, v: unknown) => unknown;
  const slowSizeOfVarLong = E.sizeOfVarLong;

  proto.writeUVarInt = function (this: EncoderInstance, value: number) {
    calls.writeUVarInt++;
    this.ensureAvailable(5);
    const buf = this.buf;
    let o = this.offset;
    while ((value & 0xffffff80) !== 0) {
      buf[o++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[o++] = value & 0x7f;
    this.offset = o;
    return this;
  };
  proto.writeVarLong = function (this: EncoderInstance, value: unknown) {
    calls.writeVarLong++;
    if (typeof value === "number" && (value | 0) === value) return this.writeVarInt(value);
    return slowWriteVarLong.call(this, value);
  };
  E.sizeOfVarLong = (value: unknown) => {
    calls.sizeOfVarLong++;
    return typeof value === "number" && (value | 0) === value
      ? E.sizeOfVarInt(value)
      : slowSizeOfVarLong.call(E, value);
  };
  proto[MARK as unknown as string] = true;
}
