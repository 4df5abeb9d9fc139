/**
 * Buffered file I/O that hashes every byte (SHA-256, `node:crypto`, streaming), for the binary
 * checkpoint (`checkpoint_codec.ts`): writes and reads of at most {@linkcode IO_BUFFER_BYTES}, so a
 * file of any size goes through one buffer.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";

/** Bytes written or read per file operation at most. */
export const IO_BUFFER_BYTES = 1 << 20;

/** A read past the end of the file, naming what was being read. */
export class TruncatedError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "TruncatedError";
  }
}

/** `n` as 4 little-endian bytes. */
export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** Buffered writes to a file, hashing every byte written with `hash` on (the default). */
export class HashingWriter {
  #file: Pick<Deno.FsFile, "write">;
  #hash: Hash = createHash("sha256");
  #buffer = new Uint8Array(IO_BUFFER_BYTES);
  #used = 0;
  /** Bytes written so far. */
  written = 0;

  /** @param file where to write */
  constructor(file: Pick<Deno.FsFile, "write">) {
    this.#file = file;
  }

  /** Writes a frame: the payload's length (u32), then the payload. */
  async frame(payload: Uint8Array): Promise<void> {
    await this.write(u32(payload.length));
    await this.write(payload);
  }

  /** Writes `bytes` (hashed unless `hash` is false), buffered. */
  async write(bytes: Uint8Array, hash = true): Promise<void> {
    if (hash) this.#hash.update(bytes);
    this.written += bytes.length;
    if (this.#used + bytes.length > this.#buffer.length) await this.flush();
    if (bytes.length >= this.#buffer.length) {
      await writeAll(this.#file, bytes);
      return;
    }
    this.#buffer.set(bytes, this.#used);
    this.#used += bytes.length;
  }

  /** The SHA-256 of the bytes hashed so far (once: the hash is then spent). */
  digest(): Uint8Array {
    return new Uint8Array(this.#hash.digest());
  }

  /** Writes out what is buffered. */
  async flush(): Promise<void> {
    await writeAll(this.#file, this.#buffer.subarray(0, this.#used));
    this.#used = 0;
  }
}

async function writeAll(file: Pick<Deno.FsFile, "write">, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) written += await file.write(bytes.subarray(written));
}

/** Buffered reads from a file, hashing every byte consumed until {@linkcode digest}. */
export class HashingReader {
  #file: Pick<Deno.FsFile, "read">;
  #hash: Hash | null = createHash("sha256");
  #buffer = new Uint8Array(IO_BUFFER_BYTES);
  #at = 0;
  #end = 0;
  #eof = false;
  /** Bytes consumed so far. */
  consumed = 0;

  /** @param file where to read from */
  constructor(file: Pick<Deno.FsFile, "read">) {
    this.#file = file;
  }

  /**
   * The next `n` bytes, as a new array.
   * @throws {TruncatedError} at the end of the file, naming `what`
   */
  async read(n: number, what: string): Promise<Uint8Array> {
    const out = await this.readUpTo(n);
    if (out.length < n) {
      throw new TruncatedError(
        `the file ends in ${what} (${out.length} of ${n} bytes; torn write?)`,
      );
    }
    return out;
  }

  /** The next `n` bytes, fewer at the end of the file. */
  async readUpTo(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      if (this.#at === this.#end) {
        if (this.#eof) break;
        const read = await this.#file.read(this.#buffer);
        if (read === null) {
          this.#eof = true;
          break;
        }
        this.#at = 0;
        this.#end = read;
      }
      const take = Math.min(n - got, this.#end - this.#at);
      out.set(this.#buffer.subarray(this.#at, this.#at + take), got);
      this.#at += take;
      got += take;
    }
    const bytes = got === n ? out : out.subarray(0, got);
    this.#hash?.update(bytes);
    this.consumed += got;
    return bytes;
  }

  /** The SHA-256 of the bytes consumed so far; the bytes read after it are not hashed. */
  digest(): Uint8Array {
    const digest = new Uint8Array(this.#hash!.digest());
    this.#hash = null;
    return digest;
  }
}
