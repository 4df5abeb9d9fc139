/**
 * A small, fast, seedable pseudo-random source for the session generator and the seed-mode
 * sampler: `sfc32` (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state, period
 * at least 2^32, passes PractRand to many terabytes), seeded through `splitmix32` so that any
 * 32-bit seed — 0 included — gives a well-mixed starting state. Pure 32-bit integer arithmetic,
 * no allocation per draw, and the state is four integers that can be saved and restored.
 *
 * Not for cryptography.
 *
 * @module
 */

/** The saved state of a {@linkcode Random}: four unsigned 32-bit integers. */
export type RandomState = [number, number, number, number];

const TWO_POW_32 = 4294967296;

/** A splitmix32 step: a well-mixed 32-bit value for `x` (used to seed and to derive seeds). */
export function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Derives an independent 32-bit seed for stream `index` of a family seeded with `seed`, e.g.
 * one per load-generator shard.
 */
export function deriveSeed(seed: number, index: number): number {
  return splitmix32(splitmix32(seed >>> 0) ^ Math.imul(index + 1, 0x632be5ab));
}

/**
 * The sfc32 generator: `next()` is uniform in [0, 1) with 32 bits of resolution.
 *
 * @example Seeded, and resumable from its state
 * ```ts
 * import assert from "node:assert/strict";
 * import { Random } from "./random.ts";
 *
 * const random = new Random(42);
 * const state = random.getState();
 * const draws = [random.next(), random.nextInt(6), random.nextUint32()];
 * assert.ok(draws[0] >= 0 && draws[0] < 1);
 * assert.ok(Number.isInteger(draws[1]) && draws[1] >= 0 && draws[1] < 6);
 *
 * const again = Random.fromState(state);
 * assert.deepEqual([again.next(), again.nextInt(6), again.nextUint32()], draws);
 * assert.deepEqual(new Random(42).getState(), state); // the same seed, the same stream
 * ```
 */
export class Random {
  #a = 0;
  #b = 0;
  #c = 0;
  #d = 0;

  /**
   * Creates a generator seeded with `seed`.
   *
   * @param seed Any number; only its low 32 bits are used (non-integers are truncated).
   * @throws {TypeError} if `seed` is not a finite number.
   */
  constructor(seed: number) {
    if (typeof seed !== "number" || !Number.isFinite(seed)) {
      throw new TypeError(`Cannot seed Random with ${String(seed)}: expected a finite number.`);
    }
    let s = Math.trunc(seed) >>> 0;
    s = splitmix32(s);
    this.#a = s;
    s = splitmix32(s);
    this.#b = s;
    s = splitmix32(s);
    this.#c = s;
    this.#d = 1;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Restores a generator from {@linkcode Random.getState}. */
  static fromState(state: RandomState): Random {
    if (!Array.isArray(state) || state.length !== 4 || !state.every(Number.isInteger)) {
      throw new TypeError(
        `Cannot restore Random from ${JSON.stringify(state)}: expected four integers.`,
      );
    }
    const r = new Random(0);
    r.#a = state[0] >>> 0;
    r.#b = state[1] >>> 0;
    r.#c = state[2] >>> 0;
    r.#d = state[3] >>> 0;
    return r;
  }

  /** The current state, for {@linkcode Random.fromState}. */
  getState(): RandomState {
    return [this.#a >>> 0, this.#b >>> 0, this.#c >>> 0, this.#d >>> 0];
  }

  /** A uniform unsigned 32-bit integer. */
  nextUint32(): number {
    const a = this.#a, b = this.#b, c = this.#c, d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    const c2 = (c << 21) | (c >>> 11);
    this.#c = (c2 + t) | 0;
    return t >>> 0;
  }

  /** A uniform number in [0, 1), a multiple of 2^-32. */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** A uniform integer in [0, n) for 0 < n ≤ 2^32 (bias below n / 2^32). */
  nextInt(n: number): number {
    return Math.floor(this.next() * n);
  }
}
