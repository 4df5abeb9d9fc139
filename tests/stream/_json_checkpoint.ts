/**
 * The JSON checkpoint encoder of format versions 1 to 3 (before the binary format of
 * `src/stream/checkpoint_codec.ts`), kept as a fixture generator: the migration tests write old
 * files with it, and `bench/checkpoint_size.ts` compares against it. A header line (format,
 * version, batch id, time, SHA-256 and length of the body), then the body: the state as JSON —
 * one string of the whole state, as those versions built it. Written like they were: a
 * temporary file, fsync, rename, fsync of the directory.
 *
 * @module
 */

import { dirname, join } from "node:path";

/** The header fields a JSON checkpoint is written with (the checksum and length are computed). */
export interface JsonCheckpointHeader {
  format: string;
  version: number;
  batchId: number;
  time: number;
}

/** Writes `body` (via `JSON.stringify`) as a JSON checkpoint to `file`; returns its size. */
export async function writeJsonCheckpoint(
  file: string,
  header: JsonCheckpointHeader,
  body: unknown,
): Promise<number> {
  const bytes = new TextEncoder().encode(JSON.stringify(body));
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  const sha256 = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0"))
    .join("");
  const line = new TextEncoder().encode(
    JSON.stringify({ ...header, sha256, bytes: bytes.byteLength }) + "\n",
  );
  const temp = join(dirname(file), `.json-${crypto.randomUUID()}.tmp`);
  {
    using out = await Deno.open(temp, { write: true, createNew: true });
    for (const part of [line, bytes]) {
      let written = 0;
      while (written < part.length) written += await out.write(part.subarray(written));
    }
    await out.sync();
  }
  await Deno.rename(temp, file);
  {
    using dir = await Deno.open(dirname(file), { read: true });
    await dir.sync();
  }
  return line.length + bytes.length;
}
