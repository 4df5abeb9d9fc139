/** The reference encoding of Kafka's varints and varlongs, in BigInt: zigzag, then LEB128. */

/** The bytes of a signed 64-bit value as a zigzag LEB128 varlong (a varint for 32-bit values). */
export function zigzagBytes(value: bigint): number[] {
  let z = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return out;
}
