/**
 * The dense part of a version-2 feature-log record (see `row_codec.ts`): instead of every
 * row's `w` values as `Float64` (`8·w` bytes a row, most of them the zeros and ones of one-hot
 * features), two bitmaps a row — which coordinates are not `+0`, and which of those are exactly
 * `1` — and the remaining values, in row-major order, as `Float64`. Each bitmap is
 * `ceil(w / 32)` words of 32 bits (bit `j % 32` of word `⌊j / 32⌋` is coordinate `j`); a row's
 * nonzero words come first, then its ones words.
 *
 * A coordinate is `+0` or `1` by its bits (so `-0`, and every `NaN`, is a stored value), and a
 * stored value is gathered as its two 32-bit halves and scattered as one `Float64` move (no
 * arithmetic): the rows decode bit for bit to the `Float64` rows encoded.
 *
 * @module
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** The upper half of `1.0`'s bits (its lower half is 0). */
const ONE_HIGH = 0x3ff00000;
/** Index of the lower (first) and upper 32-bit half of a `Float64` in a `Uint32Array` view. */
const LO = LITTLE_ENDIAN ? 0 : 1, HI = 1 - LO;

/** Bitmap words per row of width `w`. */
export function maskWords(w: number): number {
  return Math.ceil(w / 32);
}

/** The 32-bit halves of `a` (a view of its buffer). */
export function halves(a: Float64Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
}

/**
 * Writes the bitmaps of rows `[start, end)` of `dense` (width `w`, as {@linkcode halves}) to
 * `masks` (from 0) and returns how many values those rows store (neither `+0` nor `1`); with
 * `stored`, each row's count too, at `stored[i - start]`.
 */
export function denseMasks(
  dense: Uint32Array,
  start: number,
  end: number,
  w: number,
  masks: Uint32Array,
  stored?: Uint32Array,
): number {
  const m = maskWords(w);
  let k = 0, at = 0;
  for (let i = start; i < end; i++, at += 2 * m) {
    const before = k;
    for (let q = 0; q < m; q++) {
      let nonzero = 0, ones = 0;
      const from = i * w + 32 * q, to = Math.min(from + 32, (i + 1) * w);
      for (let j = from; j < to; j++) {
        const lo = dense[2 * j + LO], hi = dense[2 * j + HI];
        if (lo === 0 && hi === 0) continue;
        const bit = 1 << (j - from);
        nonzero |= bit;
        if (lo === 0 && hi === ONE_HIGH) ones |= bit;
        else k++;
      }
      masks[at + q] = nonzero;
      masks[at + m + q] = ones;
    }
    if (stored !== undefined) stored[i - start] = k - before;
  }
  return k;
}

/**
 * Copies the stored values of rows `[start, end)` of `dense` (width `w`, as
 * {@linkcode halves}), in row-major order, into `values` (as halves, from 0), by their bitmaps.
 */
export function gatherValues(
  dense: Uint32Array,
  start: number,
  w: number,
  masks: Uint32Array,
  n: number,
  values: Uint32Array,
): void {
  const m = maskWords(w);
  let v = 0;
  for (let r = 0, at = 0; r < n; r++, at += 2 * m) {
    const base = (start + r) * w;
    for (let q = 0; q < m; q++) {
      let other = masks[at + q] & ~masks[at + m + q];
      while (other !== 0) {
        const j = base + 32 * q + 31 - Math.clz32(other & -other);
        values[v++] = dense[2 * j];
        values[v++] = dense[2 * j + 1];
        other &= other - 1;
      }
    }
  }
}

/**
 * Checks `n` rows of bitmaps (width `w`) against `k` stored values: returns `null` when every
 * ones bit is a nonzero bit, no bit lies past the width and the stored values add up to `k`,
 * else what is wrong.
 */
export function checkMasks(masks: Uint32Array, n: number, w: number, k: number): string | null {
  const m = maskWords(w);
  const tail = w % 32 === 0 ? 0 : ~((1 << (w % 32)) - 1);
  let stored = 0;
  for (let r = 0, at = 0; r < n; r++, at += 2 * m) {
    for (let q = 0; q < m; q++) {
      const nonzero = masks[at + q], ones = masks[at + m + q];
      if ((ones & ~nonzero) !== 0) return `row ${r} marks a 1 where it marks no nonzero value`;
      if (q === m - 1 && (nonzero & tail) !== 0) {
        return `row ${r} marks a value past its width ${w}`;
      }
      stored += popcount(nonzero & ~ones);
    }
  }
  return stored === k ? null : `its rows store ${stored} dense values, the header says ${k}`;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * Writes `n` rows (width `w`) into `dense` from row `at` on: `+0`, `1` or the next of `values` by
 * the bitmaps (checked by {@linkcode checkMasks}). A stored value is moved as a `Float64` (a load
 * and a store, no arithmetic: its bits are kept, NaN payloads and signalling NaNs too), one move
 * instead of its two 32-bit halves.
 */
export function scatterValues(
  dense: Float64Array,
  at: number,
  w: number,
  masks: Uint32Array,
  n: number,
  values: Float64Array,
): void {
  dense.fill(0, at * w, (at + n) * w);
  const m = maskWords(w);
  let v = 0;
  for (let r = 0, mat = 0; r < n; r++, mat += 2 * m) {
    const base = (at + r) * w;
    for (let q = 0; q < m; q++) {
      const nonzero = masks[mat + q];
      if (nonzero === 0) continue;
      let ones = masks[mat + m + q];
      let other = nonzero & ~ones;
      const b = base + 32 * q;
      while (ones !== 0) {
        dense[b + 31 - Math.clz32(ones & -ones)] = 1;
        ones &= ones - 1;
      }
      // The run of stored values from the word's first coordinate on (a `shop` row's first 11,
      // its counts and positions) as a plain copy loop, the rest bit by bit.
      const gap = ~other;
      const run = gap === 0 ? 32 : 31 - Math.clz32(gap & -gap);
      for (let t = 0; t < run; t++) dense[b + t] = values[v + t];
      v += run;
      other = run === 32 ? 0 : other & (-1 << run);
      while (other !== 0) {
        dense[b + 31 - Math.clz32(other & -other)] = values[v++];
        other &= other - 1;
      }
    }
  }
}
