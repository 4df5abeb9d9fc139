/**
 * Kafka responses cut out of a socket's byte stream as it is read, each read going straight into
 * its place: the socket side of the direct response patch (`direct_response.ts`).
 *
 * A Kafka response is a 4-byte big-endian size followed by that many bytes. kafkajs keeps every
 * socket chunk (64 KiB each, a backing store of its own) until a response is complete, then copies
 * them into one buffer with `Buffer.concat`: every fetched byte is allocated twice, which is what
 * drives most of `learn`'s garbage collections ("external memory pressure"). A
 * {@linkcode ResponseFramer} is given to the socket as its `onread` buffer instead: it reads the
 * start of a response into a small scratch buffer, and once the size is known, allocates the
 * response's own buffer (size included) and has the socket read the rest into it, no chunk and no
 * copy. Small responses that arrive whole in the scratch buffer are copied out of it, each into a
 * buffer of its own.
 *
 * A response of {@linkcode POOLED_RESPONSE_BYTES} or more (a fetch's) comes from a
 * {@linkcode ResponsePool} (`response_pool.ts`) once that pool is enabled (by a consumer with
 * `recycleResponses`): a buffer of its size class, free or new. It goes
 * back there only when a consumer with `recycleResponses` releases it (every record of it handed
 * out was processed); otherwise it is never reused, and views over it (the consumer's records
 * over a fetch) may live as long as they like, as they did over kafkajs' concatenation. A smaller
 * response comes from `Buffer.allocUnsafe`, so a small one (up to half of Node's 8 KiB pool, e.g.
 * a heartbeat's) is a slice of a shared pool block, as kafkajs' chunks were: never detach or
 * transfer a response's `ArrayBuffer`.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { POOLED_RESPONSE_BYTES, type ResponsePool, responsePool } from "./response_pool.ts";

/** The bytes of a response's size field. */
const SIZE_BYTES = 4;

/**
 * The largest response size taken: beyond it, a size field is not a Kafka response's (kafkajs'
 * `INT_32_MAX_VALUE`, the largest a size field can say, is beyond what a `Buffer` may hold here).
 */
export const MAX_RESPONSE_BYTES = 0x3fff_ffff;

/**
 * Raised by {@linkcode ResponseFramer.read} when a response's size field is negative or beyond
 * {@linkcode MAX_RESPONSE_BYTES}: the stream is not Kafka's, or out of step.
 */
export class ResponseFrameError extends Error {
  /** The size field read. */
  readonly size: number;
  /** Creates the error. */
  constructor(size: number) {
    super(
      `A Kafka response's size field says ${size} bytes (expected 0 to ${MAX_RESPONSE_BYTES}): ` +
        `the connection is out of step`,
    );
    this.name = "ResponseFrameError";
    this.size = size;
  }
}

/**
 * Cuts whole responses out of a socket's reads. The socket asks {@linkcode buffer} where to read
 * next and reports with {@linkcode read} how many bytes it put there; every response completed
 * goes to `onFrame` whole (size field included), in order, in a buffer of its own.
 */
export class ResponseFramer {
  readonly #onFrame: (frame: Buffer) => void;
  readonly #pool: ResponsePool;
  readonly #scratch: Buffer;
  /** Bytes in the scratch buffer not yet cut: fewer than a size field between reads. */
  #scratchEnd = 0;
  /** The response being read into its own buffer, or `null` while reading into the scratch. */
  #frame: Buffer | null = null;
  #filled = 0;

  /**
   * Creates a framer handing each whole response to `onFrame`. `scratchBytes` is the size of the
   * scratch buffer the start of a response is read into; `pool` gives the buffers of responses
   * of {@linkcode POOLED_RESPONSE_BYTES} or more.
   *
   * @default {scratchBytes} 65536
   * @default {pool} the process' `responsePool`
   */
  constructor(
    onFrame: (frame: Buffer) => void,
    scratchBytes = 65_536,
    pool: ResponsePool = responsePool,
  ) {
    if (!Number.isInteger(scratchBytes) || scratchBytes < SIZE_BYTES) {
      throw new RangeError(
        `scratchBytes must be an integer of at least ${SIZE_BYTES}, got ${scratchBytes}`,
      );
    }
    this.#onFrame = onFrame;
    this.#pool = pool;
    this.#scratch = Buffer.allocUnsafeSlow(scratchBytes);
  }

  /** Where the socket reads next: the rest of the response being read, or the scratch buffer. */
  buffer(): Buffer {
    const frame = this.#frame;
    return frame !== null ? frame.subarray(this.#filled) : this.#scratch.subarray(this.#scratchEnd);
  }

  /**
   * Takes the `nread` bytes the socket put into the last {@linkcode buffer}, and hands on every
   * response they complete. Throws {@linkcode ResponseFrameError} on a size field that is not a
   * response's (before handing on anything after it).
   */
  read(nread: number): void {
    const frame = this.#frame;
    if (frame !== null) {
      this.#filled += nread;
      if (this.#filled === frame.length) {
        this.#frame = null;
        this.#filled = 0;
        this.#onFrame(frame);
      }
      return;
    }
    const scratch = this.#scratch;
    const end = this.#scratchEnd + nread;
    let start = 0;
    while (end - start >= SIZE_BYTES) {
      const size = scratch.readInt32BE(start);
      if (size < 0 || size > MAX_RESPONSE_BYTES) {
        this.#scratchEnd = 0;
        throw new ResponseFrameError(size);
      }
      const total = SIZE_BYTES + size;
      const next = total >= POOLED_RESPONSE_BYTES && this.#pool.enabled
        ? this.#pool.take(total)
        : Buffer.allocUnsafe(total);
      if (end - start >= total) {
        scratch.copy(next, 0, start, start + total);
        start += total;
        this.#onFrame(next);
        continue;
      }
      // The rest of this response is read straight into its own buffer.
      scratch.copy(next, 0, start, end);
      this.#frame = next;
      this.#filled = end - start;
      start = end;
    }
    if (start > 0) scratch.copyWithin(0, start, end);
    this.#scratchEnd = end - start;
  }
}
