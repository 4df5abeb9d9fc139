import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  HashingReader,
  HashingWriter,
  IO_BUFFER_BYTES,
  TruncatedError,
} from "../../src/stream/hashing_io.ts";

/** A file in memory, recording each write's and read's size. */
function memoryFile() {
  const parts: Uint8Array[] = [];
  const writes: number[] = [];
  const reads: number[] = [];
  let readAt = 0;
  const all = () => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) out.set(p, (at += p.length) - p.length);
    return out;
  };
  return {
    writes,
    reads,
    all,
    write: (p: Uint8Array) => {
      writes.push(p.length);
      parts.push(p.slice());
      return Promise.resolve(p.length);
    },
    read: (into: Uint8Array) => {
      reads.push(into.length);
      const bytes = all();
      if (readAt >= bytes.length) return Promise.resolve(null);
      const n = Math.min(into.length, bytes.length - readAt, 70_000); // short reads too
      into.set(bytes.subarray(readAt, readAt + n));
      readAt += n;
      return Promise.resolve(n);
    },
  };
}

Deno.test("HashingWriter writes in pieces of at most IO_BUFFER_BYTES and hashes what it is told to", async () => {
  const file = memoryFile();
  const out = new HashingWriter(file);
  const big = new Uint8Array(3 * IO_BUFFER_BYTES + 5).map((_, i) => i * 7);
  await out.write(Uint8Array.of(1, 2, 3));
  await out.frame(big.subarray(0, IO_BUFFER_BYTES));
  await out.write(big.subarray(0, 1000));
  const digest = out.digest();
  await out.write(digest, false);
  await out.flush();
  const bytes = file.all();
  assert.equal(bytes.length, out.written);
  assert.equal(bytes.length, 3 + 4 + IO_BUFFER_BYTES + 1000 + 32);
  assert.ok(Math.max(...file.writes) <= IO_BUFFER_BYTES);
  const hashed = bytes.subarray(0, bytes.length - 32);
  assert.deepEqual(digest, new Uint8Array(createHash("sha256").update(hashed).digest()));
  assert.deepEqual(bytes.subarray(bytes.length - 32), digest);
});

Deno.test("HashingReader reads exact lengths across short reads, hashes until digest, names a torn read", async () => {
  const file = memoryFile();
  const data = new Uint8Array(2 * IO_BUFFER_BYTES + 123).map((_, i) => i * 13);
  await file.write(data);
  const reader = new HashingReader(file);
  const a = await reader.read(IO_BUFFER_BYTES + 1, "a");
  const b = await reader.read(100, "b");
  assert.deepEqual(a, data.subarray(0, IO_BUFFER_BYTES + 1));
  assert.deepEqual(b, data.subarray(IO_BUFFER_BYTES + 1, IO_BUFFER_BYTES + 101));
  assert.deepEqual(
    reader.digest(),
    new Uint8Array(createHash("sha256").update(data.subarray(0, IO_BUFFER_BYTES + 101)).digest()),
  );
  assert.equal(reader.consumed, IO_BUFFER_BYTES + 101);
  assert.ok(Math.max(...file.reads) <= IO_BUFFER_BYTES);
  await assert.rejects(
    () => reader.read(IO_BUFFER_BYTES + 100, "the last frame"),
    (error: unknown) => {
      assert.ok(error instanceof TruncatedError);
      assert.equal(
        error.message,
        `the file ends in the last frame (${IO_BUFFER_BYTES + 22} of ${
          IO_BUFFER_BYTES + 100
        } bytes; torn write?)`,
      );
      return true;
    },
  );
  assert.equal((await reader.readUpTo(1)).length, 0);
});
