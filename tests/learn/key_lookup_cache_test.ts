import assert from "node:assert/strict";
import { ByteKeyIndex } from "../../src/learn/byte_key_index.ts";
import { KeyLookupCache } from "../../src/learn/key_lookup_cache.ts";
import { fnv1a32 } from "../../src/util/fnv1a.ts";

const enc = new TextEncoder();

Deno.test("KeyLookupCache answers as the index, and never with another key's slot after the bytes change", () => {
  const index = new ByteKeyIndex();
  const cache = new KeyLookupCache(index);
  const a = enc.encode("s-a"), b = enc.encode("s-b");
  const slotA = index.insert(a, 0, a.length, fnv1a32(a, 0, a.length));
  const buf = Uint8Array.from(a);
  const hash = fnv1a32(buf, 0, buf.length);
  assert.equal(cache.lookup(buf, 0, buf.length, hash), slotA);
  assert.equal(cache.lookup(buf, 0, buf.length, hash), slotA); // from the cache
  buf.set(b); // same buffer, same place, other key (the hash passed is stale on purpose)
  assert.equal(cache.lookup(buf, 0, buf.length, hash), -1);
  const slotB = index.insert(b, 0, b.length, fnv1a32(b, 0, b.length));
  cache.clear();
  assert.equal(cache.lookup(buf, 0, buf.length, fnv1a32(buf, 0, buf.length)), slotB);
  index.delete(slotB);
  cache.clear();
  assert.equal(cache.lookup(buf, 0, buf.length, fnv1a32(buf, 0, buf.length)), -1);
});
