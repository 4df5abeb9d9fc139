import assert from "node:assert/strict";
import fc from "fast-check";
import { ByteKeyIndex } from "../../src/learn/byte_key_index.ts";
import { DecodedBatch, ROW_FAST } from "../../src/events/byte_decoder.ts";
import { encodeEvent } from "../../src/events/schema.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { fnv1a32 } from "../../src/util/fnv1a.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const fnv = (b: Uint8Array) => fnv1a32(b, 0, b.length);

/** The keys of the index in slot order, as strings (the test may allocate). */
function contents(index: ByteKeyIndex): [number, string][] {
  return [...index.slots()].map((s) => [s, dec.decode(index.keyBytes(s))]);
}

Deno.test("ByteKeyIndex finds keys by their bytes anywhere in a buffer", () => {
  const index = new ByteKeyIndex({ initialCapacity: 4 });
  const buffer = enc.encode('xx{"session_id":"abc","other":"abcd"}');
  const abc = buffer.indexOf(0x61); // first "abc"
  const slot = index.insert(buffer, abc, 3, fnv1a32(buffer, abc, 3));
  assert.equal(slot, 0);
  buffer.fill(0); // the key was copied
  const key = enc.encode("--abc--").subarray(2);
  assert.equal(index.lookup(key, 0, 3, fnv1a32(key, 0, 3)), 0);
  assert.equal(index.lookup(key, 0, 2, fnv1a32(key, 0, 2)), -1); // "ab"
  assert.equal(index.keyHash(0), fnv(enc.encode("abc")));
  assert.deepEqual(index.keyBytes(0), enc.encode("abc"));
  const array = index.keyArray(0);
  assert.deepEqual(
    array.subarray(index.keyOffset(0), index.keyOffset(0) + index.keyLength(0)),
    enc.encode("abc"),
  );
  assert.notEqual(array, index.arena); // 3 bytes: in the slot's own words
  assert.equal(index.size, 1);
});

Deno.test("ByteKeyIndex keeps distinct keys with equal hashes distinct", async (t) => {
  await t.step("every key hashing to 0, with prefixes and an empty key", () => {
    const index = new ByteKeyIndex({ initialCapacity: 2 });
    const keys = ["", "a", "ab", "abc", "abd", "b", "ba", "p3k9x0a1mz", "p3k9x0a1m", "p3k9x0a1my"];
    const slots = keys.map((k) => {
      const b = enc.encode(k);
      assert.equal(index.lookup(b, 0, b.length, 0), -1, k);
      return index.insert(b, 0, b.length, 0);
    });
    assert.deepEqual(slots, keys.map((_, i) => i));
    keys.forEach((k, i) => {
      const b = enc.encode(k);
      assert.equal(index.lookup(b, 0, b.length, 0), i, k);
      assert.equal(index.lookup(b, 0, b.length, 1), -1, `${k} under another hash`);
    });
    assert.equal(index.lookup(enc.encode("abe"), 0, 3, 0), -1);
    // Deleting from the middle of the one long probe run keeps the rest reachable.
    for (const i of [3, 0, 7]) index.delete(slots[i]);
    keys.forEach((k, i) => {
      const b = enc.encode(k);
      assert.equal(index.lookup(b, 0, b.length, 0), [3, 0, 7].includes(i) ? -1 : i, k);
    });
  });
  await t.step("a hash of the length alone, over many keys", () => {
    const index = new ByteKeyIndex({ initialCapacity: 1 });
    const weak = (b: Uint8Array) => b.length;
    for (let i = 0; i < 2000; i++) {
      const b = enc.encode(`s${i}`);
      assert.equal(index.insert(b, 0, b.length, weak(b)), i);
    }
    for (let i = 0; i < 2000; i++) {
      const b = enc.encode(`s${i}`);
      assert.equal(index.lookup(b, 0, b.length, weak(b)), i);
    }
    assert.equal(index.size, 2000);
  });
});

Deno.test("ByteKeyIndex refuses what it cannot do, naming the value", () => {
  const index = new ByteKeyIndex();
  const b = enc.encode("abc");
  index.insert(b, 0, 3, 7);
  assert.throws(() => index.insert(b, 0, 3, 7), /already present, in slot 0/);
  assert.throws(() => index.delete(1), /Slot 1 holds no key/);
  assert.throws(() => index.keyBytes(-1), /Slot -1 holds no key/);
  assert.throws(() => index.lookup(b, 2, 2, 0), /start 2, length 2 is not inside the 3 bytes/);
  assert.throws(() => index.insert(b, -1, 1, 0), /start -1/);
  assert.throws(() => new ByteKeyIndex({ initialCapacity: 0 }), /initialCapacity 0/);
  assert.throws(() => new ByteKeyIndex({ initialArenaBytes: 0.5 }), /initialArenaBytes 0.5/);
  index.delete(0);
  assert.throws(() => index.delete(0), /Slot 0 holds no key/);
});

Deno.test("ByteKeyIndex hands out dense slots, reuses freed ones, iterates in slot order", () => {
  const index = new ByteKeyIndex({ initialCapacity: 2, initialArenaBytes: 8 });
  const key = (s: string) => {
    const b = enc.encode(s);
    return [b, 0, b.length, fnv(b)] as const;
  };
  for (const s of ["a", "b", "c", "d", "e"]) index.insert(...key(s));
  assert.equal(index.slotLimit, 5);
  index.delete(index.lookup(...key("b")));
  index.delete(index.lookup(...key("d")));
  assert.deepEqual(contents(index), [[0, "a"], [2, "c"], [4, "e"]]);
  assert.equal(index.nextSlot(1), 2);
  assert.equal(index.nextSlot(5), -1);
  assert.equal(index.insert(...key("f")), 3); // the most recently freed
  assert.equal(index.insert(...key("g")), 1);
  assert.equal(index.insert(...key("h")), 5);
  assert.deepEqual(contents(index), [[0, "a"], [1, "g"], [2, "c"], [3, "f"], [4, "e"], [5, "h"]]);
  index.clear();
  assert.equal(index.size, 0);
  assert.equal(index.lookup(...key("a")), -1);
  assert.equal(index.insert(...key("z")), 0);
});

Deno.test("ByteKeyIndex compacts its arena under churn: space follows the live keys", () => {
  const index = new ByteKeyIndex({ initialCapacity: 8, initialArenaBytes: 64 });
  const live: number[] = [];
  let maxArena = 0;
  for (let i = 0; i < 20_000; i++) {
    const b = enc.encode(`session-${i}-${"x".repeat(i % 40)}`);
    live.push(index.insert(b, 0, b.length, fnv(b)));
    if (live.length > 100) index.delete(live.shift()!);
    maxArena = Math.max(maxArena, index.arena.length);
  }
  assert.equal(index.size, 100);
  // 100 live keys of at most 57 bytes: a few kilobytes, not the 900 kB inserted in all.
  assert.ok(maxArena <= 32 * 1024, `arena grew to ${maxArena} bytes`);
  for (let i = 19_900; i < 20_000; i++) {
    const b = enc.encode(`session-${i}-${"x".repeat(i % 40)}`);
    assert.deepEqual(index.keyBytes(index.lookup(b, 0, b.length, fnv(b))), b);
  }
  assert.ok(index.slotLimit <= 101);
});

Deno.test("ByteKeyIndex compacts in place when a quarter of its arena is deleted keys", () => {
  const index = new ByteKeyIndex({ initialCapacity: 64, initialArenaBytes: 1000, inlineBytes: 0 });
  const arena = index.arena;
  const key = (i: number) => enc.encode(`k${String(i).padStart(9, "0")}`); // 10 bytes
  const live = new Map<number, number>();
  for (let i = 0; i < 5000; i++) {
    const b = key(i);
    live.set(i, index.insert(b, 0, b.length, fnv(b)));
    if (live.size > 60) { // 600 live bytes of the 1000: room comes from moving keys down
      const [oldest, slot] = live.entries().next().value!;
      index.delete(slot);
      live.delete(oldest);
    }
  }
  assert.equal(index.arena, arena); // never a second arena
  for (const [i, slot] of live) {
    const b = key(i);
    assert.equal(index.lookup(b, 0, b.length, fnv(b)), slot);
    assert.deepEqual(index.keyBytes(slot), b);
  }
});

/** One step of the model-based property test. */
type Command = { op: "insert" | "delete" | "lookup"; key: string };

Deno.test("ByteKeyIndex behaves as a Map<string, slot> over random insert/delete/lookup sequences", () => {
  const hashes: [string, (b: Uint8Array) => number][] = [
    ["fnv1a", fnv],
    ["constant", () => 0],
    ["length mod 3", (b) => b.length % 3],
    ["first byte", (b) => b[0] ?? 0],
  ];
  const command: fc.Arbitrary<Command> = fc.record({
    op: fc.constantFrom("insert", "insert", "delete", "lookup"),
    key: fc.string({ maxLength: 4, unit: fc.constantFrom("a", "b", "c", "é") }),
  });
  fc.assert(
    fc.property(
      fc.constantFrom(...hashes),
      fc.array(command, { minLength: 1, maxLength: 300, size: "max" }),
      fc.integer({ min: 1, max: 16 }),
      fc.nat(5),
      fc.constantFrom(0, 4, 12),
      ([, hash], commands, capacity, pad, inlineBytes) => {
        const index = new ByteKeyIndex({
          initialCapacity: capacity,
          initialArenaBytes: capacity,
          inlineBytes,
        });
        const model = new Map<string, number>();
        const free: number[] = [];
        let limit = 0;
        for (const { op, key } of commands) {
          // The key sits at an offset inside a larger buffer, as in a record.
          const bytes = new Uint8Array(pad + 8 + 3 * key.length);
          const len = enc.encodeInto(key, bytes.subarray(pad)).written;
          const h = hash(bytes.subarray(pad, pad + len));
          const found = index.lookup(bytes, pad, len, h);
          assert.equal(found, model.get(key) ?? -1, `lookup ${key}`);
          if (op === "insert" && found < 0) {
            const expected = free.length > 0 ? free.pop()! : limit++;
            assert.equal(index.insert(bytes, pad, len, h), expected, `insert ${key}`);
            model.set(key, expected);
          } else if (op === "insert") {
            assert.throws(() => index.insert(bytes, pad, len, h), /already present/);
          } else if (op === "delete" && found >= 0) {
            index.delete(found);
            model.delete(key);
            free.push(found);
          }
          assert.equal(index.size, model.size);
        }
        assert.equal(index.slotLimit, limit);
        const expected = [...model].map(([k, s]) => [s, k] as [number, string])
          .sort((a, b) => a[0] - b[0]);
        assert.deepEqual(contents(index), expected);
        for (const [key, slot] of model) {
          const b = enc.encode(key);
          assert.equal(index.lookup(b, 0, b.length, hash(b)), slot);
          assert.equal(index.keyHash(slot), hash(b) >>> 0);
        }
      },
    ),
    { numRuns: 1000 },
  );
});

Deno.test("ByteKeyIndex over the decoder's session-id bytes: one slot per distinct id", () => {
  const gen = new SessionGenerator({ seed: 3 });
  const values = Array.from({ length: 20_000 }, () => encodeEvent(gen.next()));
  const batch = new DecodedBatch().decode(values);
  const index = new ByteKeyIndex({ initialCapacity: 16 });
  const slotOf = new Map<string, number>();
  for (let i = 0; i < batch.length; i++) {
    assert.equal(batch.status[i], ROW_FAST);
    const bytes = batch.bytes(i), start = batch.sessionStart[i], len = batch.sessionLength[i];
    let slot = index.lookup(bytes, start, len, batch.sessionHash[i]);
    if (slot < 0) slot = index.insert(bytes, start, len, batch.sessionHash[i]);
    const id = batch.sessionId(i);
    if (!slotOf.has(id)) slotOf.set(id, slot);
    assert.equal(slot, slotOf.get(id), id);
  }
  assert.equal(index.size, slotOf.size);
  assert.ok(index.size > 500);
});

Deno.test("ByteKeyIndex keeps finding every key as its slots grow from 1 to thousands (the buckets' slot bits widen, their tags narrow)", () => {
  for (const hash of [fnv, (b: Uint8Array) => b[0] << 24, () => -1]) {
    const index = new ByteKeyIndex({ initialCapacity: 1, initialArenaBytes: 1 });
    const n = hash === fnv ? 5000 : 600; // a constant hash makes every probe a scan
    const keys = Array.from({ length: n }, (_, i) => enc.encode(`key-${i}`));
    keys.forEach((k, i) => assert.equal(index.insert(k, 0, k.length, hash(k)), i));
    keys.forEach((k, i) => assert.equal(index.lookup(k, 0, k.length, hash(k)), i));
    for (let i = 0; i < n; i += 2) index.delete(i);
    keys.forEach((k, i) => assert.equal(index.lookup(k, 0, k.length, hash(k)), i % 2 ? i : -1));
    const again = enc.encode("key-0");
    assert.equal(index.insert(again, 0, again.length, hash(again)), n - 2); // the last freed
  }
});

Deno.test("ByteKeyIndex keeps a key of at most inlineBytes in its slot's words, a longer one in the arena", () => {
  const index = new ByteKeyIndex({ initialCapacity: 4, initialArenaBytes: 64 });
  const short = enc.encode("p3k9x0a1mz"), twelve = enc.encode("123456789012");
  const long = enc.encode("a-session-id-of-36-bytes-like-a-uuid");
  for (const k of [short, twelve, long]) index.insert(k, 0, k.length, fnv(k));
  assert.notEqual(index.keyArray(0), index.arena);
  assert.notEqual(index.keyArray(1), index.arena);
  assert.equal(index.keyArray(2), index.arena);
  assert.equal(index.keyOffset(2), 0); // the first key in the arena
  [short, twelve, long].forEach((k, s) => {
    assert.deepEqual(index.keyBytes(s), k);
    assert.equal(index.lookup(k, 0, k.length, fnv(k)), s);
  });
  // The same first 10 bytes, inline and in the arena, are different keys.
  assert.equal(index.lookup(twelve, 0, 10, fnv(twelve.subarray(0, 10))), -1);
  for (const bad of [-4, 3, 68]) {
    assert.throws(() => new ByteKeyIndex({ inlineBytes: bad }), new RegExp(`inlineBytes ${bad}`));
  }
});

Deno.test("ByteKeyIndex of a large capacity grows its bucket table with the keys, finding every key", () => {
  const index = new ByteKeyIndex({ initialCapacity: 1 << 17 });
  const key = (i: number) => new TextEncoder().encode(`key-${i}`);
  const slots = new Map<number, number>();
  for (let i = 0; i < 20_000; i++) {
    const k = key(i);
    slots.set(i, index.insert(k, 0, k.length, fnv1a32(k, 0, k.length)));
  }
  for (let i = 0; i < 20_000; i += 2) index.delete(slots.get(i)!);
  for (let i = 0; i < 20_000; i++) {
    const k = key(i);
    assert.equal(index.lookup(k, 0, k.length, fnv1a32(k, 0, k.length)), i % 2 ? slots.get(i) : -1);
  }
  assert.equal(index.size, 10_000);
});

Deno.test("ByteKeyIndex.keyEquals() compares a slot's key with a slice, inline or in the arena", () => {
  const index = new ByteKeyIndex({ initialCapacity: 4 });
  const short = new TextEncoder().encode("xxabcxx"),
    long = new TextEncoder().encode("a-key-longer-than-12");
  const s = index.insert(short, 2, 3, 1), l = index.insert(long, 0, long.length, 2);
  assert.equal(index.keyEquals(s, short, 2, 3), true);
  assert.equal(index.keyEquals(s, short, 1, 3), false);
  assert.equal(index.keyEquals(s, short, 2, 4), false);
  assert.equal(index.keyEquals(l, long, 0, long.length), true);
  assert.equal(index.keyEquals(l, long, 0, long.length - 1), false);
  assert.throws(() => index.keyEquals(s, short, 5, 3), RangeError);
  index.delete(s);
  assert.throws(() => index.keyEquals(s, short, 2, 3), /holds no key/);
});
