import assert from "node:assert/strict";
import fc from "fast-check";
import { DecodedBatch } from "../../src/events/byte_decoder.ts";
import {
  checkUrlBuckets,
  DEFAULT_URL_BUCKETS,
  hashUrl,
  hashUrlBytes,
  urlBucket,
  urlPathLength,
  urlSign,
} from "../../src/learn/url_hash.ts";
import { murmur3_32 } from "../../src/util/murmur3.ts";
import { encodeWtf8Into } from "../../src/util/wtf8.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

Deno.test("hashUrl() is murmur3_32 (seed 0) of the path's UTF-8: cut at the first ? or #", () => {
  const path = utf8("/product/17");
  const want = murmur3_32(path, 0, path.length, 0);
  for (const url of ["/product/17", "/product/17?ref=home", "/product/17#top", "/product/17?a#b"]) {
    assert.equal(hashUrl(url), want, url);
  }
  assert.notEqual(hashUrl("/product/18"), want);
  assert.equal(hashUrl("?x=1"), 0, "an empty path hashes as the empty string");
  const b = utf8("xx/a?b");
  assert.equal(urlPathLength(b, 2, 4), 2);
  assert.equal(hashUrlBytes(b, 2, 4), hashUrl("/a"));
});

Deno.test("bucket and sign: the low bits and bit 31 of the hash", () => {
  assert.equal(urlBucket(0xdeadbeef, 4096), 0xeef);
  assert.equal(urlSign(0xdeadbeef), -1);
  assert.equal(urlSign(0x7fffffff), 1);
  assert.equal(DEFAULT_URL_BUCKETS, 4096);
  for (const bad of [0, 1, 3, 1000, 2 ** 25, 1.5, NaN]) {
    assert.throws(() => checkUrlBuckets(bad), new RegExp(`bucket count ${bad}`));
  }
  assert.equal(checkUrlBuckets(1024), 1024);
});

/** Urls of any characters (non-ASCII, escapes-worthy ones, `?` and `#` among them). */
const urls = fc.string({
  unit: fc.constantFrom("a", "/", "?", "#", "é", "漢", "😀", '"', "\\", "\n", "%"),
  minLength: 1,
  maxLength: 24,
});

Deno.test("the byte decoder's url bytes hash as the url string does, on the fast and the JSON path", () => {
  fc.assert(
    fc.property(urls, (url) => {
      const value = utf8(
        JSON.stringify({
          user_id: 7,
          url,
          action: "view",
          session_id: "s1",
          timestamp: 1764000000,
        }),
      );
      const batch = new DecodedBatch().decode([value]);
      assert.ok(batch.isValid(0));
      const h = hashUrlBytes(batch.bytes(0), batch.urlStart[0], batch.urlLength[0]);
      assert.equal(h, hashUrl(url), JSON.stringify(url));
      assert.equal(batch.url(0), url);
    }),
    { numRuns: 500 },
  );
});

Deno.test("hashUrl() of an ASCII path (hashed from the code units) is murmur3_32 of its bytes, every tail length", () => {
  const ascii = fc.string({
    unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)),
    maxLength: 40,
  });
  fc.assert(
    fc.property(ascii, fc.constantFrom("", "é", "\ud800", "😀"), (url, extra) => {
      for (const u of [url, url + extra, extra + url]) {
        const bytes = new Uint8Array(3 * u.length);
        const n = encodeWtf8Into(u, bytes, 0);
        assert.equal(
          hashUrl(u),
          murmur3_32(bytes, 0, urlPathLength(bytes, 0, n), 0),
          JSON.stringify(u),
        );
      }
    }),
    { numRuns: 1000 },
  );
});
