import assert from "node:assert/strict";
import { decodeTyped, encodeTyped, toNumbers } from "../../src/learn/typed_codec.ts";

Deno.test("encodeTyped() → decodeTyped() round-trips typed arrays bit for bit", async (t) => {
  await t.step("Float64Array, including -0, NaN, ±Infinity and subnormals", () => {
    const a = Float64Array.from([
      0,
      -0,
      NaN,
      Infinity,
      -Infinity,
      5e-324,
      Math.PI,
      -1e308,
      0.1 + 0.2,
    ]);
    const b = decodeTyped(JSON.parse(JSON.stringify(encodeTyped(a))), new Float64Array(0));
    assert.ok(b instanceof Float64Array);
    assert.deepStrictEqual(new Uint8Array(b.buffer), new Uint8Array(a.buffer));
  });
  await t.step("Uint16Array and Uint8Array views with an offset", () => {
    const u16 = Uint16Array.from([1, 65535, 300, 7]).subarray(1, 3);
    assert.deepStrictEqual(
      decodeTyped(encodeTyped(u16), new Uint16Array(0)),
      Uint16Array.from([65535, 300]),
    );
    const u8 = Uint8Array.from([9, 8, 7]);
    assert.deepStrictEqual(decodeTyped(encodeTyped(u8), new Uint8Array(0)), u8);
  });
});

Deno.test("decodeTyped() rejects bad base64 and a length that does not fit the element size", () => {
  assert.throws(() => decodeTyped("not base64!", new Uint8Array(0)), TypeError);
  assert.throws(
    () => decodeTyped(encodeTyped(Uint8Array.from([1, 2, 3])), new Float64Array(0)),
    TypeError,
  );
});

Deno.test("toNumbers() is Array.from: the same numbers, -0 kept, NaN a NaN", () => {
  const a = Float64Array.of(0, -0, NaN, Infinity, -1.5, 2 ** 53, Number.MIN_VALUE);
  const got = toNumbers(a), want = Array.from(a);
  assert.equal(got.length, want.length);
  want.forEach((v, i) => assert.ok(Object.is(got[i], v), `${i}`));
  assert.deepEqual(toNumbers(new Uint16Array(0)), []);
  assert.deepEqual(JSON.stringify(toNumbers(Uint8Array.of(1, 2, 255))), "[1,2,255]");
});
