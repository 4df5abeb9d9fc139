import assert from "node:assert/strict";
import fc from "fast-check";
import {
  checkMasks,
  denseMasks,
  halves,
  maskWords,
  scatterValues,
} from "../../src/stream/row_dense.ts";

/** The bitmaps' meaning, coordinate by coordinate: `+0`, `1`, or the next stored value. */
function naive(w: number, masks: Uint32Array, n: number, values: Float64Array): Float64Array {
  const m = maskWords(w), out = new Float64Array(n * w);
  let v = 0;
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < w; j++) {
      const q = j >>> 5, bit = 1 << (j & 31);
      const nonzero = masks[2 * m * r + q], ones = masks[2 * m * r + m + q];
      if ((nonzero & bit) === 0) continue;
      if ((ones & bit) !== 0) out[r * w + j] = 1;
      else out[r * w + j] = values[v++];
    }
  }
  return out;
}

/** A value's bits as two 32-bit halves (NaN payloads and the sign of zero included). */
const bitsOf = (a: Float64Array) => Array.from(halves(a));

Deno.test("scatterValues writes every coordinate as the bitmaps say, bit for bit, runs of stored values and gaps alike", () => {
  const special = fc.constantFrom(NaN, -0, Infinity, -Infinity, 0, 1, 2.5, -1, 5e-324);
  // Rows whose coordinates are mostly `+0`, `1` or stored in runs (a one-hot's zeros, a row's
  // first counts), and NaNs of several payloads.
  const coordinate = fc.oneof(
    fc.constant(0),
    fc.constant(1),
    special,
    fc.double(),
    fc.integer({ min: 0, max: 0xfffff }).map((payload) => {
      const x = new Float64Array(1), h = halves(x);
      h[0] = payload;
      h[1] = 0x7ff80000 | (payload & 0x7ffff); // a quiet NaN with a payload
      return x[0];
    }),
  );
  const shape = fc.tuple(fc.constantFrom(1, 5, 31, 32, 33, 64, 70), fc.integer({ min: 1, max: 6 }));
  fc.assert(
    fc.property(
      shape.chain(([w, n]) =>
        fc.tuple(
          fc.constant(w),
          fc.constant(n),
          fc.array(coordinate, { minLength: w * n, maxLength: w * n }),
        )
      ),
      fc.integer({ min: 0, max: 3 }),
      ([w, n, list], at) => {
        const rows = Float64Array.from(list);
        const m = maskWords(w), masks = new Uint32Array(2 * m * n);
        const k = denseMasks(halves(rows), 0, n, w, masks);
        assert.equal(checkMasks(masks, n, w, k), null);
        // The stored values in order, gathered by the bitmaps' meaning.
        const values: number[] = [];
        for (let j = 0; j < n * w; j++) {
          const x = rows[j];
          if (!(Object.is(x, 0) || x === 1)) values.push(x);
        }
        const stored = new Float64Array(k);
        const hs = halves(stored), hr = halves(rows);
        for (let j = 0, v = 0; j < n * w; j++) {
          const x = rows[j];
          if (Object.is(x, 0) || x === 1) continue;
          hs[2 * v] = hr[2 * j];
          hs[2 * v + 1] = hr[2 * j + 1];
          v++;
        }
        assert.equal(values.length, k);
        const dense = new Float64Array((at + n) * w).fill(7); // a reused buffer's old values
        scatterValues(dense, at, w, masks, n, stored);
        const expected = naive(w, masks, n, stored);
        assert.deepEqual(bitsOf(dense.subarray(at * w)), bitsOf(expected));
        assert.deepEqual(bitsOf(expected), bitsOf(rows), "the rows encoded");
        for (let j = 0; j < at * w; j++) assert.equal(dense[j], 7, "rows before `at` untouched");
      },
    ),
    { numRuns: 2000 },
  );
});
