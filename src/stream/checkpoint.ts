/**
 * The checkpoint: the source of truth of the trainer's state (docs/design.md "Exactly-once model
 * updates"). One file per checkpoint in the state directory, written atomically — a temporary
 * file, fsync, rename, fsync of the directory — in the binary format of `checkpoint_codec.ts`,
 * written and read in chunks (a checksummed header: format, version, batch id, time; the state's
 * small parts as JSON, its session stores and typed arrays as sections; a SHA-256 of the whole):
 * the feature set's id, the model, its optimizer and standardizer state, the metrics, one
 * session store per input partition, the next offset of every partition and the batch id
 * (`trainer_state.ts`). Loading takes the newest checkpoint whose checksums hold; a torn or
 * corrupt one is reported and the one before it used. The JSON files of earlier versions (a
 * header line, then the body as JSON: versions 1 to 3) are read and migrated, or refused when
 * they cannot be (`CheckpointMigrationError`); the next checkpoint is binary. The newest few
 * are kept, older ones pruned.
 *
 * A test hook can stop the process abruptly at each step of the write (see
 * {@linkcode CrashPoint}), so tests can prove a crash anywhere loses and duplicates nothing.
 *
 * The store serves any state with a batch id through a {@linkcode CheckpointFormat} (the
 * header's format name and versions, and how a verified body becomes the state): `train`'s by
 * default ({@linkcode TRAINER_CHECKPOINT}), `learn`'s in `log_learner.ts`. A checkpoint of
 * another of the program's formats in the directory is refused (a
 * {@linkcode CheckpointFormatError}), not taken for a corrupt one.
 *
 * @module
 */

import { join } from "node:path";
import {
  migrateStateV1,
  migrateStateV2,
  type TrainerState,
  type TrainerStateV1,
  type TrainerStateV2,
} from "./trainer_state.ts";
import type { Clock } from "../util/clock.ts";
import {
  CheckpointDecodeError,
  CheckpointReader,
  writeCheckpoint,
  type WrittenCheckpoint,
} from "./checkpoint_codec.ts";

/** Where a test may make the trainer die: each step of a checkpoint, and the batch itself. */
export const CRASH_POINTS = [
  "after-temp-write",
  "after-fsync",
  "after-rename",
  "before-commit",
  "mid-batch",
] as const;

/** One of {@linkcode CRASH_POINTS}. */
export type CrashPoint = typeof CRASH_POINTS[number];

/** The format name in every checkpoint's header. */
export const CHECKPOINT_FORMAT = "clickstream-checkpoint";
/**
 * The version of the checkpoint format this program writes (4: binary, `checkpoint_codec.ts`).
 * It reads this one and the JSON files of version 3 (the same state), version 2 (before feature
 * sets: the `position` set) and version 1 (one session store for all partitions); see
 * `trainer_state.ts` for their migration.
 */
export const CHECKPOINT_VERSION = 4;

/** The header of a checkpoint file. */
export interface CheckpointHeader {
  /** The format's name, e.g. {@linkcode CHECKPOINT_FORMAT}. */
  format: string;
  /** The format's version, e.g. {@linkcode CHECKPOINT_VERSION}. */
  version: number;
  /** The id of the last batch the state covers (`-1`: none yet). */
  batchId: number;
  /** Write time, ms since the epoch. */
  time: number;
  /**
   * Hex SHA-256: of the whole file before its trailing checksum (binary), of the body (JSON,
   * versions before 4).
   */
  sha256: string;
  /** Bytes of the whole file (binary), of the body (JSON, versions before 4). */
  bytes: number;
}

/** A checkpoint read back. */
export interface LoadedCheckpoint<S = TrainerState> {
  /** The file's verified header. */
  header: CheckpointHeader;
  /** The state it holds (migrated, for an earlier version). */
  state: S;
  /** The checkpoint file's path. */
  file: string;
}

/** What a store writes and reads: the header's format name, its versions, the body's state. */
export interface CheckpointFormat<S> {
  /** The format name in the header, e.g. `clickstream-checkpoint`. */
  readonly name: string;
  /** The version written. */
  readonly version: number;
  /** Every version read (the one written among them). */
  readonly reads: readonly number[];
  /**
   * The state of a verified body (the decoded binary state, or the parsed JSON of a version
   * before it) of header version `version`, e.g. migrated.
   * @throws {CheckpointMigrationError} when it cannot be carried over
   */
  read(body: unknown, version: number, file: string): S;
}

/**
 * `train`'s checkpoints: version 4, version 3 (JSON, the same state) and versions 1 and 2
 * migrated (`trainer_state.ts`).
 */
export const TRAINER_CHECKPOINT: CheckpointFormat<TrainerState> = {
  name: CHECKPOINT_FORMAT,
  version: CHECKPOINT_VERSION,
  reads: [1, 2, 3, CHECKPOINT_VERSION],
  read: (body, version, file) =>
    version === 1
      ? migrateStateV1(body as TrainerStateV1, file)
      : version === 2
      ? migrateStateV2(body as TrainerStateV2, file)
      : body as TrainerState,
};

/** The program's other checkpoint formats start so; one of them is refused, not "corrupt". */
const PROGRAM_FORMAT_PREFIX = "clickstream-";

/** A checkpoint another command of the program wrote: this one cannot resume from it. */
export class CheckpointFormatError extends Error {
  /** The file concerned. */
  readonly file: string;
  /** Its format. */
  readonly format: string;
  /** Creates the error. */
  constructor(file: string, format: string, expected: string) {
    super(
      `Cannot resume from checkpoint ${file}: it is a ${format} file, written by another command; this one reads ${expected}. Use another --state-dir.`,
    );
    this.name = "CheckpointFormatError";
    this.file = file;
    this.format = format;
  }
}

/** A checkpoint that could not be used, and why. */
export class CheckpointCorruptError extends Error {
  /** The file concerned. */
  readonly file: string;
  /** Creates the error. */
  constructor(file: string, message: string, options?: ErrorOptions) {
    super(`Checkpoint ${file} is unusable: ${message}`, options);
    this.name = "CheckpointCorruptError";
    this.file = file;
  }
}

/** Options of {@linkcode CheckpointStore}. */
export interface CheckpointStoreOptions<S = TrainerState> {
  /** The format written and read. Default: `train`'s, {@linkcode TRAINER_CHECKPOINT}. */
  format?: CheckpointFormat<S>;
  /** Checkpoints kept; older ones are deleted after a successful write. Default `3`. */
  keep?: number;
  /** Clock for the header's time. Default `Date`. */
  clock?: Pick<Clock, "now">;
  /** Called with each unusable checkpoint met while loading. Default: none. */
  onCorrupt?: (error: CheckpointCorruptError) => void;
  /** Test hook, called at each step of a write. Default: none. */
  crashHook?: (point: CrashPoint) => void;
}

const NAME = /^checkpoint-(\d{12})\.ckpt$/;
const decoder = new TextDecoder("utf-8", { fatal: true });

/** The first byte of a JSON checkpoint (versions before the binary format). */
const JSON_START = 0x7b; // "{"

/** `read()`, its decode errors turned into {@linkcode CheckpointCorruptError}s of `file`. */
async function corruptOn<T>(file: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (cause) {
    if (!(cause instanceof CheckpointDecodeError)) throw cause;
    throw new CheckpointCorruptError(file, cause.message, { cause });
  }
}

/** Reads and writes the checkpoints of one state directory. */
export class CheckpointStore<S extends { batchId: number } = TrainerState> {
  #dir: string;
  #format: CheckpointFormat<S>;
  #keep: number;
  #clock: Pick<Clock, "now">;
  #onCorrupt: CheckpointStoreOptions<S>["onCorrupt"];
  #crash: CheckpointStoreOptions<S>["crashHook"];

  /**
   * Creates a store of the checkpoints in `dir`.
   *
   * @param dir the state directory (created if missing)
   * @param options see {@linkcode CheckpointStoreOptions}
   */
  constructor(dir: string, options: CheckpointStoreOptions<S> = {}) {
    this.#dir = dir;
    this.#format = options.format ?? (TRAINER_CHECKPOINT as unknown as CheckpointFormat<S>);
    this.#keep = options.keep ?? 3;
    if (!(this.#keep >= 1)) {
      throw new RangeError(`Cannot keep ${this.#keep} checkpoints: keep at least 1.`);
    }
    this.#clock = options.clock ?? Date;
    this.#onCorrupt = options.onCorrupt;
    this.#crash = options.crashHook;
  }

  /** The state directory. */
  get dir(): string {
    return this.#dir;
  }

  /** Checkpoint files, newest first. */
  async list(): Promise<string[]> {
    const names: string[] = [];
    try {
      for await (const entry of Deno.readDir(this.#dir)) {
        if (entry.isFile && NAME.test(entry.name)) names.push(entry.name);
      }
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw error;
    }
    return names.sort().reverse().map((n) => join(this.#dir, n));
  }

  /**
   * Writes `state` atomically (temporary file, fsync, rename, fsync of the directory) and
   * prunes old checkpoints. Returns the header written.
   */
  async save(state: S): Promise<CheckpointHeader> {
    await Deno.mkdir(this.#dir, { recursive: true });
    const head = {
      format: this.#format.name,
      version: this.#format.version,
      batchId: state.batchId,
      time: this.#clock.now(),
    };
    const name = `checkpoint-${String(Math.max(0, state.batchId + 1)).padStart(12, "0")}.ckpt`;
    const final = join(this.#dir, name);
    const temp = join(this.#dir, `.${name}.${crypto.randomUUID()}.tmp`);
    const file = await Deno.open(temp, { write: true, createNew: true });
    let written: WrittenCheckpoint;
    try {
      written = await writeCheckpoint(file, head, state);
      this.#crash?.("after-temp-write");
      await file.sync();
      this.#crash?.("after-fsync");
    } finally {
      file.close();
    }
    await Deno.rename(temp, final);
    this.#crash?.("after-rename");
    const dir = await Deno.open(this.#dir, { read: true });
    try {
      await dir.sync();
    } finally {
      dir.close();
    }
    await this.#prune();
    return { ...head, ...written };
  }

  /**
   * Reads and verifies one checkpoint file: a binary one (`checkpoint_codec.ts`) in chunks, or
   * one of the JSON files versions before it wrote (`checkpoint_json.ts`), to be migrated.
   */
  async read(file: string): Promise<LoadedCheckpoint<S>> {
    let opened: Deno.FsFile;
    try {
      opened = await Deno.open(file, { read: true });
    } catch (cause) {
      throw new CheckpointCorruptError(file, `cannot be read (${(cause as Error).message})`, {
        cause,
      });
    }
    try {
      const reader = new CheckpointReader(opened);
      const start = await corruptOn(file, () => reader.header());
      if ("start" in start) {
        if (start.start[0] !== JSON_START) {
          throw new CheckpointCorruptError(
            file,
            start.start.length === 0
              ? "the file is empty (torn write?)"
              : "it starts with neither the checkpoint magic nor a JSON header (not a checkpoint?)",
          );
        }
      } else {
        const header = this.#check(file, start.header as unknown as CheckpointHeader);
        const body = await corruptOn(file, () => reader.state());
        return {
          header: { ...header, sha256: body.sha256, bytes: body.bytes },
          state: this.#format.read(body.state, header.version, file),
          file,
        };
      }
    } finally {
      opened.close();
    }
    return await this.#readJson(file);
  }

  /** Reads a JSON checkpoint (versions before 4): a header line, then the body. */
  async #readJson(file: string): Promise<LoadedCheckpoint<S>> {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(file);
    } catch (cause) {
      throw new CheckpointCorruptError(file, `cannot be read (${(cause as Error).message})`, {
        cause,
      });
    }
    const newline = bytes.indexOf(10);
    if (newline < 0) throw new CheckpointCorruptError(file, "no header line (torn write?)");
    let header: CheckpointHeader;
    try {
      header = JSON.parse(decoder.decode(bytes.subarray(0, newline)));
    } catch (cause) {
      throw new CheckpointCorruptError(file, "the header is not JSON", { cause });
    }
    this.#check(file, header);
    const body = bytes.subarray(newline + 1);
    if (body.byteLength !== header.bytes) {
      throw new CheckpointCorruptError(
        file,
        `the body is ${body.byteLength} bytes, the header says ${header.bytes} (torn write?)`,
      );
    }
    const digest = await crypto.subtle.digest("SHA-256", body as Uint8Array<ArrayBuffer>);
    const sha256 = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0"));
    if (sha256.join("") !== header.sha256) {
      throw new CheckpointCorruptError(file, "the SHA-256 checksum does not match the body");
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(decoder.decode(body));
    } catch (cause) {
      throw new CheckpointCorruptError(file, "the body is not JSON", { cause });
    }
    return { header, state: this.#format.read(parsed, header.version, file), file };
  }

  /** `header` when it is of this store's format and of a version it reads. */
  #check(file: string, header: CheckpointHeader): CheckpointHeader {
    const format = this.#format;
    if (header?.format !== format.name) {
      const theirs = header?.format;
      if (typeof theirs === "string" && theirs.startsWith(PROGRAM_FORMAT_PREFIX)) {
        throw new CheckpointFormatError(file, theirs, format.name);
      }
      throw new CheckpointCorruptError(file, `not a ${format.name} file`);
    }
    if (!format.reads.includes(header.version)) {
      throw new CheckpointCorruptError(
        file,
        `format version ${header.version}, this program reads versions ${format.reads.join(", ")}`,
      );
    }
    return header;
  }

  /**
   * The newest checkpoint that verifies, or `null` when there is none. Each unusable one met on
   * the way is reported through `onCorrupt`.
   */
  async loadLatest(): Promise<LoadedCheckpoint<S> | null> {
    for (const file of await this.list()) {
      try {
        return await this.read(file);
      } catch (error) {
        if (!(error instanceof CheckpointCorruptError)) throw error;
        this.#onCorrupt?.(error);
      }
    }
    return null;
  }

  async #prune(): Promise<void> {
    const files = await this.list();
    for (const file of files.slice(this.#keep)) {
      await Deno.remove(file).catch(() => {});
    }
    // Temporary files of interrupted writes.
    for await (const entry of Deno.readDir(this.#dir)) {
      if (entry.isFile && entry.name.startsWith(".checkpoint-") && entry.name.endsWith(".tmp")) {
        await Deno.remove(join(this.#dir, entry.name)).catch(() => {});
      }
    }
  }
}
