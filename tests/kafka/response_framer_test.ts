/**
 * `ResponseFramer` cuts the same responses out of a byte stream however the socket splits its
 * reads: random streams of responses (empty, small, larger than the scratch buffer), read in
 * random amounts up to what `buffer()` offers, give every response whole, in order, each in a
 * buffer of its own; a size field that is not a response's is refused naming it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  MAX_RESPONSE_BYTES,
  ResponseFrameError,
  ResponseFramer,
} from "../../src/kafka/response_framer.ts";

/** A deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A response: its 4-byte size, then `size` bytes of the generator's. */
function response(size: number, next: () => number): Buffer {
  const bytes = Buffer.allocUnsafe(4 + size);
  bytes.writeInt32BE(size, 0);
  for (let i = 4; i < bytes.length; i++) bytes[i] = (next() * 256) | 0;
  return bytes;
}

/** Feeds `stream` to `framer` as a socket would: each read at most what `buffer()` offers. */
function feed(framer: ResponseFramer, stream: Buffer, readSize: () => number): void {
  let at = 0;
  while (at < stream.length) {
    const into = framer.buffer();
    assert.ok(into.length > 0, "the framer always offers room to read into");
    const n = Math.min(into.length, stream.length - at, Math.max(1, readSize()));
    stream.copy(into, 0, at, at + n);
    at += n;
    framer.read(n);
  }
}

Deno.test("every split of the stream gives the same responses, whole and in order", () => {
  for (let seed = 1; seed <= 60; seed++) {
    const next = random(seed);
    const sizes = Array.from({ length: 1 + Math.floor(next() * 30) }, () => {
      const kind = next();
      if (kind < 0.15) return 0;
      if (kind < 0.6) return Math.floor(next() * 200);
      if (kind < 0.9) return Math.floor(next() * 5_000);
      return Math.floor(next() * 300_000);
    });
    const responses = sizes.map((size) => response(size, next));
    const stream = Buffer.concat(responses);
    const scratch = [4, 5, 64, 1_000, 65_536][seed % 5];
    const got: Buffer[] = [];
    const framer = new ResponseFramer((frame) => got.push(frame), scratch);
    const reads = seed % 3 === 0 ? () => 1 : () => Math.floor(next() * 70_000);
    feed(framer, stream, reads);
    assert.equal(got.length, responses.length, `seed ${seed}: one frame per response`);
    for (let i = 0; i < got.length; i++) {
      assert.ok(got[i].equals(responses[i]), `seed ${seed}: response ${i} of ${sizes[i]} bytes`);
    }
    const buffers = new Set(got.filter((f) => f.length > 4_096).map((f) => f.buffer));
    assert.equal(
      buffers.size,
      got.filter((f) => f.length > 4_096).length,
      `seed ${seed}: each larger response has a backing store of its own`,
    );
  }
});

Deno.test("a response read later is not written over an earlier one", () => {
  const next = random(7);
  const responses = [70_000, 3, 70_000, 10].map((size) => response(size, next));
  const copies = responses.map((r) => Buffer.from(r));
  const got: Buffer[] = [];
  feed(new ResponseFramer((frame) => got.push(frame), 16), Buffer.concat(responses), () => 999);
  assert.equal(got.length, 4);
  for (let i = 0; i < 4; i++) assert.ok(got[i].equals(copies[i]), `response ${i} intact`);
});

Deno.test("a size field that is not a response's is refused, naming it", () => {
  for (const size of [-1, -2_147_483_648, MAX_RESPONSE_BYTES + 1]) {
    const framer = new ResponseFramer(() => assert.fail("no frame"));
    const into = framer.buffer();
    into.writeInt32BE(size | 0, 0);
    assert.throws(
      () => framer.read(4),
      (error) =>
        error instanceof ResponseFrameError && error.size === (size | 0) &&
        error.message.includes(`says ${size | 0} bytes`),
    );
  }
  assert.throws(() => new ResponseFramer(() => {}, 3), /scratchBytes .* got 3/);
  assert.throws(() => new ResponseFramer(() => {}, 1.5), /scratchBytes .* got 1\.5/);
});
