/**
 * `ResponsePool`: size classes, a bounded free list, and the lease of a pooled response — its
 * buffer comes back only once every part noted over it is settled, and never when it is tainted;
 * and the framer takes responses of 1 MiB or more from its pool.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { RecordColumns } from "../../src/kafka/record_columns.ts";
import { ResponseFramer } from "../../src/kafka/response_framer.ts";
import {
  claimPart,
  leaseOf,
  notePart,
  POOLED_RESPONSE_BYTES,
  ResponsePool,
  settlePart,
  sizeClass,
  taint,
} from "../../src/kafka/response_pool.ts";

const MiB = 1 << 20;

/** A part (a record set's columns) over `bytes`, noted as the columnar fetch notes it. */
function part(bytes: Buffer, from: number): RecordColumns {
  const columns = new RecordColumns(bytes.subarray(from, from + 100), 0);
  notePart(columns);
  return columns;
}

Deno.test("sizeClass rounds up to an eighth of the power of two, and refuses a bad size", () => {
  assert.equal(sizeClass(16 * MiB), 16 * MiB);
  assert.equal(sizeClass(16 * MiB + 120), 18 * MiB);
  assert.equal(sizeClass(MiB + 1), MiB + MiB / 8);
  assert.equal(sizeClass(3), 3);
  for (let total = 1; total < 5000; total += 37) {
    const c = sizeClass(total);
    assert.ok(c >= total && c < total * 1.25 + 1, `${total} -> ${c}`);
  }
  assert.throws(() => sizeClass(0), /positive integer, got 0/);
  assert.throws(() => sizeClass(1.5), /positive integer, got 1.5/);
  assert.throws(() => new ResponsePool(-1), /keep must be a non-negative integer, got -1/);
});

Deno.test("a response comes back when its last part is settled, and is handed out again", () => {
  const pool = new ResponsePool();
  const response = pool.take(16 * MiB + 120);
  assert.equal(response.length, 16 * MiB + 120);
  const lease = leaseOf(response)!;
  assert.equal(lease.whole.length, 18 * MiB);
  const parts = [part(response, 100), part(response, 5000), part(response, 9000)];
  assert.equal(lease.parts, 3);
  const claimed = parts.map((p) => claimPart(p)!);
  assert.ok(claimed.every((l) => l === lease));
  assert.equal(claimPart(parts[0]), undefined, "a part is claimed once");
  settlePart(claimed[0]);
  settlePart(claimed[1]);
  assert.equal(pool.free, 0, "a part not settled holds the response");
  assert.notEqual(leaseOf(response), undefined);
  settlePart(claimed[2]);
  assert.equal(pool.free, 1);
  assert.equal(leaseOf(response), undefined, "a released response has no lease");
  settlePart(claimed[2]); // a stale lease settles nothing
  const again = pool.take(16 * MiB + 200); // the same class
  assert.equal(again.buffer, response.buffer);
  assert.deepEqual(pool.counts(), { taken: 2, reused: 1, released: 1 });
  assert.notEqual(leaseOf(again), lease, "a fresh lease for the buffer handed out again");
  const other = pool.take(2 * MiB); // another class: a new buffer
  assert.notEqual(other.buffer, response.buffer);
  assert.equal(pool.counts().reused, 1);
});

Deno.test("a tainted response never comes back", () => {
  const pool = new ResponsePool();
  const tainted = pool.take(2 * MiB);
  const a = claimPart(part(tainted, 0))!;
  taint(tainted.subarray(500, 600));
  settlePart(a);
  assert.equal(pool.free, 0);
  assert.equal(leaseOf(tainted)!.tainted, true);
  taint(Buffer.alloc(10)); // not a pooled response: nothing to taint
  assert.deepEqual(pool.counts(), { taken: 1, reused: 0, released: 0 });
});

Deno.test("the pool keeps at most `keep` free buffers, the newest", () => {
  const pool = new ResponsePool(2);
  const taken = [1, 2, 3].map(() => pool.take(2 * MiB));
  for (const t of taken) settlePart(claimPart(part(t, 0))!);
  assert.equal(pool.free, 2);
  const a = pool.take(2 * MiB);
  const b = pool.take(2 * MiB);
  assert.deepEqual(new Set([a.buffer, b.buffer]), new Set([taken[1].buffer, taken[2].buffer]));
  assert.equal(pool.counts().reused, 2);
});

Deno.test("the framer takes responses of 1 MiB or more from its pool once enabled, smaller ones not", () => {
  const pool = new ResponsePool();
  const frames: Buffer[] = [];
  const framer = new ResponseFramer((f) => frames.push(f), 65_536, pool);
  const feed = (size: number) => {
    const stream = Buffer.alloc(4 + size, 7);
    stream.writeInt32BE(size, 0);
    for (let at = 0; at < stream.length;) {
      const into = framer.buffer();
      const n = Math.min(into.length, stream.length - at);
      stream.copy(into, 0, at, at + n);
      framer.read(n);
      at += n;
    }
  };
  assert.equal(pool.enabled, false);
  feed(3 * MiB); // not enabled: allocated as before
  assert.equal(pool.counts().taken, 0);
  assert.equal(leaseOf(frames.pop()!), undefined);
  pool.enable();
  for (const size of [100, POOLED_RESPONSE_BYTES - 4, POOLED_RESPONSE_BYTES - 5, 3 * MiB]) {
    feed(size);
  }
  assert.deepEqual(frames.map((f) => f.length), [
    104,
    POOLED_RESPONSE_BYTES,
    POOLED_RESPONSE_BYTES - 1,
    3 * MiB + 4,
  ]);
  assert.ok(frames.every((f) => f.subarray(4).every((b) => b === 7)));
  assert.equal(pool.counts().taken, 2);
  assert.notEqual(leaseOf(frames[1]), undefined);
  assert.equal(leaseOf(frames[2]), undefined);
  assert.notEqual(leaseOf(frames[3]), undefined);
});
