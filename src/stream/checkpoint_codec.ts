/**
 * The binary checkpoint file (docs/design.md "Checkpoint file format"), written and read in
 * chunks: the process never holds one buffer or string of the whole state, only the state
 * itself and a buffer of {@linkcode IO_BUFFER_BYTES}.
 *
 * A file, all numbers little-endian:
 *
 * 1. the magic {@linkcode CHECKPOINT_MAGIC} (8 bytes);
 * 2. the header: a u32 length, that many bytes of JSON (the format's name and version, the
 *    batch id, the time), and their SHA-256 (32 bytes) — checked before the rest is trusted;
 * 3. frames, each a u32 length and that many bytes: first the **skeleton**, the state as JSON
 *    with each large part replaced by `{"$section": i}` and the list of those sections, then the
 *    frames of each section in turn: a typed array's bytes in pieces of at most
 *    {@linkcode IO_BUFFER_BYTES}, a long array of numbers as float64 in such pieces, or a session
 *    store's chunks (`session_store_codec.ts`);
 * 4. the SHA-256 of every byte before it (32 bytes), then the end of the file.
 *
 * Any typed array in the state (`Float64Array`, `Uint16Array`, … — a model's weights, however
 * many) becomes a raw section and is read back as the same type; any `SessionStore` becomes a
 * session-store section and is read back as a restored `SessionStore`. An array of at least
 * {@linkcode NUMBERS_SECTION_MIN} finite numbers (the top-purchaser aggregate's columns: 200,000
 * users at most) becomes a numbers section, read back as the same plain array (`-0` as `0`, as
 * JSON has it), instead of its JSON text and that text's bytes (3.3 MB of JSON for 200,000
 * users' three columns, measured on made-up figures, twice over, with the skeleton's growing
 * buffers). A well-formed string of at least {@linkcode TEXT_SECTION_MIN} UTF-16 units (the
 * metrics' ring as base64, ~2.8 MB for its 100,000 events) becomes a text section, its UTF-8 in
 * pieces of at most {@linkcode IO_BUFFER_BYTES} encoded into one reused buffer, read back as the
 * same string — instead of a copy in the skeleton's JSON string and another in that string's
 * bytes. The rest is the skeleton's JSON, as `JSON.stringify` would write it (`toJSON` methods
 * are called).
 *
 * @module
 */

import { createHash } from "node:crypto";
import {
  HashingReader,
  HashingWriter,
  IO_BUFFER_BYTES,
  TruncatedError,
  u32,
} from "./hashing_io.ts";

import { SessionStore } from "../learn/session_store.ts";
import type { SessionLayout } from "../learn/session_layout.ts";
import {
  encodeSessionChunks,
  knownSessionLayout,
  SessionStoreDecoder,
  type SessionStoreHead,
  sessionStoreHead,
} from "../learn/session_store_codec.ts";

export { IO_BUFFER_BYTES } from "./hashing_io.ts";

/** The first 8 bytes of every binary checkpoint: `\x89CKPT\r\n\x1a` (catches text mangling). */
export const CHECKPOINT_MAGIC: Uint8Array = Uint8Array.of(
  0x89,
  0x43,
  0x4b,
  0x50,
  0x54,
  0x0d,
  0x0a,
  0x1a,
);

/** The longest frame a reader accepts (a longer length is damage, not data). */
const MAX_FRAME_BYTES = 1 << 28;
const SHA_BYTES = 32;

const TYPED = {
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
} as const;
type TypedName = keyof typeof TYPED;
type Typed = InstanceType<typeof TYPED[TypedName]>;
/** A large part of the state: a typed array, a session store, a long array of numbers or a long string. */
type Part = Typed | SessionStore | number[] | string;

/**
 * The shortest array of numbers written as a numbers section rather than in the skeleton's JSON.
 * @default 4096
 */
export const NUMBERS_SECTION_MIN = 4096;
/**
 * The shortest string (in UTF-16 code units) written as a text section rather than in the
 * skeleton's JSON.
 * @default 65536
 */
export const TEXT_SECTION_MIN = 65536;

/** One large part of the state, as the skeleton lists it. */
type SectionMeta =
  | { kind: "typed"; type: TypedName; bytes: number }
  | { kind: "numbers"; count: number }
  | { kind: "text"; length: number }
  | { kind: "sessions"; head: SessionStoreHead };

/** A checkpoint that cannot be decoded: damaged, torn, or not of this format. */
export class CheckpointDecodeError extends Error {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CheckpointDecodeError";
  }
}

/** What {@linkcode writeCheckpoint} wrote. */
export interface WrittenCheckpoint {
  /** Hex SHA-256 of the file up to its trailer (the trailer itself). */
  sha256: string;
  /** Bytes of the whole file. */
  bytes: number;
}

if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) {
  throw new Error("Checkpoints are little-endian: this platform is not.");
}

/** Writes a checkpoint of `state` with `header` to `file` (see the module documentation). */
export async function writeCheckpoint(
  file: Pick<Deno.FsFile, "write">,
  header: Record<string, unknown>,
  state: unknown,
): Promise<WrittenCheckpoint> {
  const out = new HashingWriter(file);
  await out.write(CHECKPOINT_MAGIC);
  const head = encoder.encode(JSON.stringify(header));
  await out.write(u32(head.length));
  await out.write(head);
  await out.write(createHash("sha256").update(head).digest());
  const parts: Part[] = [];
  const metas: SectionMeta[] = [];
  const tree = skeleton(state, (part) => {
    parts.push(part);
    metas.push(
      part instanceof SessionStore
        ? { kind: "sessions", head: sessionStoreHead(part) }
        : typeof part === "string"
        ? { kind: "text", length: part.length }
        : Array.isArray(part)
        ? { kind: "numbers", count: part.length }
        : { kind: "typed", type: part.constructor.name as TypedName, bytes: part.byteLength },
    );
    return { $section: parts.length - 1 };
  });
  await out.frame(encoder.encode(JSON.stringify({ state: tree, sections: metas })));
  // One buffer for every piece of a numbers or text section, allocated at the first.
  let scratch: ArrayBuffer | undefined;
  for (const part of parts) {
    if (typeof part === "string") {
      const bytes = new Uint8Array(scratch ??= new ArrayBuffer(IO_BUFFER_BYTES));
      for (let at = 0; at < part.length;) {
        // Whole characters only: the substring does not end inside a surrogate pair, and
        // `encodeInto` stops before a character that does not fit.
        let end = Math.min(part.length, at + IO_BUFFER_BYTES);
        if (end < part.length && isHighSurrogate(part.charCodeAt(end - 1))) end--;
        const { read, written } = encoder.encodeInto(part.substring(at, end), bytes);
        await out.frame(bytes.subarray(0, written));
        at += read;
      }
    } else if (part instanceof SessionStore) {
      // One chunk's buffer, reused: each is written out before the next is encoded.
      const chunks = encodeSessionChunks(part, undefined, { reuse: true });
      for (const chunk of chunks) await out.frame(chunk);
    } else if (Array.isArray(part)) {
      const piece = new Float64Array(scratch ??= new ArrayBuffer(IO_BUFFER_BYTES));
      for (let at = 0; at < part.length; at += piece.length) {
        const n = Math.min(piece.length, part.length - at);
        // `-0` as `0`: what the JSON of the skeleton would have kept.
        for (let i = 0; i < n; i++) piece[i] = part[at + i] === 0 ? 0 : part[at + i];
        await out.frame(new Uint8Array(piece.buffer, 0, n * Float64Array.BYTES_PER_ELEMENT));
      }
    } else {
      const bytes = new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
      for (let at = 0; at < bytes.length; at += IO_BUFFER_BYTES) {
        await out.frame(bytes.subarray(at, Math.min(bytes.length, at + IO_BUFFER_BYTES)));
      }
    }
  }
  const digest = out.digest();
  await out.write(digest, false);
  await out.flush();
  return { sha256: hex(digest), bytes: out.written };
}

/**
 * Whether `start` (a file's first bytes, up to 8) is the binary checkpoint magic.
 */
export function hasMagic(start: Uint8Array): boolean {
  return start.length >= CHECKPOINT_MAGIC.length &&
    CHECKPOINT_MAGIC.every((b, i) => start[i] === b);
}

/** Reads a binary checkpoint: {@linkcode CheckpointReader.header} first, then the state. */
export class CheckpointReader {
  #in: HashingReader;
  #layouts: (name: string) => SessionLayout | undefined;

  /**
   * A reader of the checkpoint in `file`; nothing is read until asked for.
   * @param file the open file, at its start
   * @param layouts the session layout of a name. Default: the feature sets' layouts and the core one.
   */
  constructor(
    file: Pick<Deno.FsFile, "read">,
    layouts: (name: string) => SessionLayout | undefined = knownSessionLayout,
  ) {
    this.#in = new HashingReader(file);
    this.#layouts = layouts;
  }

  /**
   * Reads the magic and the header; `null` when the file does not start with the magic (its
   * first bytes, up to 8, are then in `start`).
   *
   * @throws {CheckpointDecodeError} on a torn or damaged header
   */
  header(): Promise<{ header: Record<string, unknown> } | { start: Uint8Array }> {
    return decoding(() => this.#header());
  }

  async #header(): Promise<{ header: Record<string, unknown> } | { start: Uint8Array }> {
    const start = await this.#in.readUpTo(CHECKPOINT_MAGIC.length);
    if (!hasMagic(start)) return { start };
    const length = readU32(await this.#in.read(4, "the header's length"));
    if (length > MAX_FRAME_BYTES) throw new CheckpointDecodeError(`a header of ${length} bytes`);
    const head = await this.#in.read(length, "the header");
    const sum = await this.#in.read(SHA_BYTES, "the header's checksum");
    if (!equal(createHash("sha256").update(head).digest(), sum)) {
      throw new CheckpointDecodeError("the header's SHA-256 checksum does not match it");
    }
    let header: unknown;
    try {
      header = JSON.parse(decoder.decode(head));
    } catch (cause) {
      throw new CheckpointDecodeError("the header is not JSON", { cause });
    }
    if (header === null || typeof header !== "object" || Array.isArray(header)) {
      throw new CheckpointDecodeError("the header is not a JSON object");
    }
    return { header: header as Record<string, unknown> };
  }

  /**
   * Reads the rest: the state, once every byte's checksum holds.
   *
   * @throws {CheckpointDecodeError} on a torn or damaged file
   */
  state(): Promise<{ state: unknown; sha256: string; bytes: number }> {
    return decoding(() => this.#state());
  }

  async #state(): Promise<{ state: unknown; sha256: string; bytes: number }> {
    let skeleton: { state: unknown; sections: SectionMeta[] };
    try {
      skeleton = JSON.parse(decoder.decode(await this.#frame("the skeleton")));
    } catch (cause) {
      if (cause instanceof CheckpointDecodeError || cause instanceof TruncatedError) throw cause;
      throw new CheckpointDecodeError("the skeleton is not JSON", { cause });
    }
    if (!Array.isArray(skeleton?.sections)) {
      throw new CheckpointDecodeError("the skeleton lists no sections");
    }
    const values: Part[] = [];
    for (const [i, meta] of skeleton.sections.entries()) {
      try {
        values.push(await this.#section(meta));
      } catch (cause) {
        if (cause instanceof CheckpointDecodeError || cause instanceof TruncatedError) throw cause;
        throw new CheckpointDecodeError(`section ${i}: ${(cause as Error).message}`, { cause });
      }
    }
    const digest = this.#in.digest();
    const trailer = await this.#in.read(SHA_BYTES, "the trailing checksum");
    if (!equal(digest, trailer)) {
      throw new CheckpointDecodeError("the SHA-256 checksum does not match the file");
    }
    if ((await this.#in.readUpTo(1)).length > 0) {
      throw new CheckpointDecodeError("bytes follow the trailing checksum");
    }
    return { state: revive(skeleton.state, values), sha256: hex(digest), bytes: this.#in.consumed };
  }

  async #frame(what: string): Promise<Uint8Array> {
    const length = readU32(await this.#in.read(4, `the length of ${what}`));
    if (length > MAX_FRAME_BYTES) {
      throw new CheckpointDecodeError(`${what} claims ${length} bytes (damaged length?)`);
    }
    return await this.#in.read(length, what);
  }

  async #section(meta: SectionMeta): Promise<Part> {
    if (meta?.kind === "sessions") {
      const layout = this.#layouts(meta.head?.layout?.name);
      if (layout === undefined) {
        throw new TypeError(
          `its sessions are of layout ${
            JSON.stringify(meta.head?.layout?.name)
          }, unknown to this program`,
        );
      }
      const decoder = new SessionStoreDecoder(meta.head, layout);
      while (decoder.remaining > 0) decoder.add(await this.#frame("a session chunk"));
      return decoder.finish();
    }
    if (meta?.kind === "text") {
      if (!Number.isSafeInteger(meta.length) || meta.length < TEXT_SECTION_MIN) {
        throw new TypeError(`a text section of ${meta.length} characters`);
      }
      const pieces: string[] = [];
      for (let got = 0; got < meta.length;) {
        const piece = decoder.decode(await this.#frame("a piece of a text section"));
        if (piece.length === 0 || got + piece.length > meta.length) {
          throw new TypeError(`its pieces do not make the ${meta.length} characters it has`);
        }
        pieces.push(piece);
        got += piece.length;
      }
      return pieces.join("");
    }
    if (meta?.kind === "numbers") {
      if (!Number.isSafeInteger(meta.count) || meta.count < 0) {
        throw new TypeError(`a numbers section of ${meta.count} numbers`);
      }
      const numbers: number[] = [];
      while (numbers.length < meta.count) {
        const piece = await this.#frame("a piece of a numbers section");
        if (piece.length % Float64Array.BYTES_PER_ELEMENT !== 0) {
          throw new TypeError(`a piece of ${piece.length} bytes is not whole float64s`);
        }
        const n = piece.length / Float64Array.BYTES_PER_ELEMENT;
        if (n === 0 || numbers.length + n > meta.count) {
          throw new TypeError(`its pieces do not make the ${meta.count} numbers it has`);
        }
        const view = new DataView(piece.buffer, piece.byteOffset, piece.length);
        for (let i = 0; i < n; i++) numbers.push(view.getFloat64(8 * i, true));
      }
      return numbers;
    }
    if (meta?.kind === "typed" && Object.hasOwn(TYPED, meta.type)) {
      const Ctor = TYPED[meta.type];
      if (!Number.isSafeInteger(meta.bytes) || meta.bytes % Ctor.BYTES_PER_ELEMENT !== 0) {
        throw new TypeError(`${meta.bytes} bytes do not make a ${meta.type}`);
      }
      const array = new Ctor(meta.bytes / Ctor.BYTES_PER_ELEMENT);
      const bytes = new Uint8Array(array.buffer);
      for (let at = 0; at < bytes.length;) {
        const piece = await this.#frame(`a piece of a ${meta.type}`);
        if (at + piece.length > bytes.length) {
          throw new TypeError(`its pieces hold more than the ${meta.bytes} bytes it has`);
        }
        bytes.set(piece, at);
        at += piece.length;
      }
      return array;
    }
    throw new TypeError(`${JSON.stringify(meta)} is not a section this program reads`);
  }
}

/** `read()`, a read past the end of the file turned into a {@linkcode CheckpointDecodeError}. */
async function decoding<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (cause) {
    if (!(cause instanceof TruncatedError)) throw cause;
    throw new CheckpointDecodeError(cause.message, { cause });
  }
}

/**
 * `value` as JSON-able data, each typed array and session store replaced by what `section`
 * returns for it (the same walk `JSON.stringify` makes: `toJSON` first, `undefined` members
 * left out).
 */
/** Whether every index of `array` holds a finite number (a hole is not one: `every` skips holes). */
function allFinite(array: readonly unknown[]): boolean {
  for (let i = 0; i < array.length; i++) {
    const v = array[i];
    if (typeof v !== "number" || !Number.isFinite(v)) return false;
  }
  return true;
}

function skeleton(value: unknown, section: (part: Part) => unknown): unknown {
  if (typeof value === "string") {
    // A lone surrogate would not survive UTF-8: such a string stays JSON (escaped there).
    return value.length >= TEXT_SECTION_MIN && value.isWellFormed() ? section(value) : value;
  }
  if (value === null || typeof value !== "object") return value;
  if (value instanceof SessionStore) return section(value);
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name;
    if (!Object.hasOwn(TYPED, name)) {
      throw new TypeError(`Cannot checkpoint a ${name}: expected one of ${Object.keys(TYPED)}.`);
    }
    return section(value as Typed);
  }
  const withJSON = value as { toJSON?: () => unknown };
  if (typeof withJSON.toJSON === "function") return skeleton(withJSON.toJSON(), section);
  if (Array.isArray(value)) {
    if (value.length >= NUMBERS_SECTION_MIN && allFinite(value)) return section(value);
    return value.map((v) => {
      const s = skeleton(v, section);
      return s === undefined || typeof s === "function" ? null : s;
    });
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === "$section") {
      throw new TypeError('Cannot checkpoint an object with a "$section" key: it is reserved.');
    }
    const s = skeleton(v, section);
    if (s !== undefined && typeof s !== "function") out[key] = s;
  }
  return out;
}

/** The skeleton `value` with each `{"$section": i}` replaced by `sections[i]`. */
function revive(value: unknown, sections: readonly unknown[]): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i], sections);
    return value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && keys[0] === "$section") {
    const i = record.$section;
    if (typeof i !== "number" || !(i in sections)) {
      throw new CheckpointDecodeError(`the skeleton names section ${i}, which it does not list`);
    }
    return sections[i];
  }
  for (const key of keys) record[key] = revive(record[key], sections);
  return record;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function readU32(b: Uint8Array): number {
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
