import assert from "node:assert/strict";
import fc from "fast-check";
import { pageClassOf } from "../../src/generator/funnel_model.ts";
import { pageClass, pageClassBytes } from "../../src/learn/page_class.ts";
import { encodeWtf8Into } from "../../src/util/wtf8.ts";

const SEGMENTS = [
  "",
  "home",
  "search",
  "category",
  "product",
  "products",
  "cart",
  "checkout",
  "about",
  "blog",
  "other",
  "Home",
  "car",
  "carts",
  "productz",
  "categorz",
  "checkou",
  "constructor",
  "toString",
  "__proto__",
  "hasOwnProperty",
  "valueOf",
  "isPrototypeOf",
  "café",
  "\u{1f600}",
  "\ud800",
];

function same(url: string): void {
  const want = pageClassOf(url);
  assert.ok(Object.is(pageClass(url), want), JSON.stringify(url));
  // From the url's bytes, at an offset in a larger buffer: the class, or -1 for "ask the string".
  const bytes = new Uint8Array(3 * url.length + 8).fill(47);
  const n = encodeWtf8Into(url, bytes, 4);
  const fromBytes = pageClassBytes(bytes, 4, n);
  if (fromBytes === -1) assert.ok(want === 8 || typeof want !== "number", JSON.stringify(url));
  else assert.ok(Object.is(fromBytes, want), `${JSON.stringify(url)} from its bytes`);
}

Deno.test("pageClass is pageClassOf on every known segment and its near misses, in every form", () => {
  for (const segment of SEGMENTS) {
    for (const lead of ["/", "", "//", "?", "#"]) {
      for (const tail of ["", "/", "/17", "?", "?q=1", "#", "#top", "?a/b", "/x?y#z"]) {
        same(lead + segment + tail);
      }
    }
  }
});

Deno.test("pageClass is pageClassOf on random strings of url characters, asked once, twice and alternately", () => {
  const chars = fc.constantFrom(..."/?#abcdehgikloprstuvz_".split(""), "é", "\ud800");
  const urls = fc.oneof(
    fc.array(chars, { maxLength: 12 }).map((cs) => cs.join("")),
    fc.tuple(fc.constantFrom(...SEGMENTS), fc.array(chars, { maxLength: 4 })).map(([s, cs]) =>
      "/" + s + cs.join("")
    ),
  );
  fc.assert(
    fc.property(fc.array(urls, { minLength: 1, maxLength: 20 }), (list) => {
      for (const url of list) {
        same(url);
        same(url); // the cached answer
        same(url.split("").join("")); // an equal string that is another object
      }
      for (let i = list.length - 1; i >= 0; i--) same(list[i]);
    }),
    { numRuns: 500 },
  );
});

Deno.test("pageClassBytes knows every class but other, and leaves other to the string", () => {
  const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
  for (
    const [url, c] of [["/", 0], ["", 0], ["/home", 0], ["/search?q", 1], [
      "/category/2",
      2,
    ]] as const
  ) {
    assert.equal(pageClassBytes(bytes(url), 0, url.length), c);
  }
  for (
    const [url, c] of [["/products?x", 3], ["/cart", 4], ["/checkout#", 5], ["/about", 6], [
      "/blog/",
      7,
    ]] as const
  ) {
    assert.equal(pageClassBytes(bytes(url), 0, url.length), c);
  }
  for (const url of ["/other", "/constructor", "/productss", "/x"]) {
    assert.equal(pageClassBytes(bytes(url), 0, url.length), -1);
  }
});

Deno.test("pageClass names the classes by the path's first segment", () => {
  assert.equal(pageClass("/"), 0);
  assert.equal(pageClass("/products?aBcDeF"), 3);
  assert.equal(pageClass("/product/17"), 3);
  assert.equal(pageClass("/checkout#pay"), 5);
  assert.equal(pageClass("/nowhere"), 8);
});
