import assert from "node:assert/strict";
import { take } from "../../src/stream/row_layout.ts";

Deno.test("take() copies a column from any byte alignment, and refuses to write past either end", () => {
  const values = new Float64Array([1.5, -0, NaN, 2 ** 53]);
  const raw = new Uint8Array(values.buffer);
  for (let shift = 0; shift < 8; shift++) {
    const bytes = new Uint8Array(raw.length + 8).subarray(shift, shift + raw.length);
    bytes.set(raw);
    const into = new Float64Array(5);
    take(bytes, 0, 4, into, 1);
    assert.deepEqual(new Uint8Array(into.buffer, 8), raw, `shift ${shift}`);
  }
  const odd = new Uint8Array(raw.length + 1).subarray(1);
  odd.set(raw);
  // Past the column's end: a view of its buffer would not stop there (here a subarray of a longer one).
  const column = new Float64Array(8).subarray(0, 3);
  assert.throws(() => take(odd, 0, 4, column, 0), /into index 0 of a column of 3/);
  assert.deepEqual([...new Float64Array(column.buffer)], new Array(8).fill(0));
  // Past the record's end.
  assert.throws(() => take(odd.subarray(0, 20), 0, 4, new Float64Array(4), 0), /at byte 0 of 20/);
});
