/**
 * Reading and validating the body of `POST /predict`: `{"events": [...]}`, the wire events of one
 * session in order. Every way a body can be wrong becomes an {@linkcode HttpError} whose reason
 * names the field or the index of the offending event: 415 for a content type other than JSON,
 * 413 for a body over the limit, 400 for everything else.
 *
 * @module
 */

import { tryValidateEvent } from "../events/schema.ts";
import type { WireEvent } from "../events/wire.ts";
import { HttpError } from "./http_error.ts";

/** Largest accepted body by default: 1 MiB. */
export const MAX_PREDICT_BODY_BYTES = 1024 * 1024;
/** Most events accepted in one request by default. */
export const MAX_PREDICT_EVENTS = 1000;

/** Options of {@linkcode readPredictRequest}. */
export interface PredictRequestOptions {
  /**
   * Largest accepted body, in bytes.
   *
   * @default {MAX_PREDICT_BODY_BYTES} 1 MiB
   */
  maxBodyBytes?: number;
  /**
   * Most events in one request.
   *
   * @default {MAX_PREDICT_EVENTS} 1000
   */
  maxEvents?: number;
}

/** A valid `/predict` request: the events of one session, in order. */
export interface PredictRequest {
  /** The session all the events belong to. */
  sessionId: string;
  /** The validated events, in the request's order (at least one). */
  events: WireEvent[];
}

/**
 * Reads, parses and validates the body of a `/predict` request; throws {@linkcode HttpError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HttpError } from "./http_error.ts";
 * import { readPredictRequest } from "./predict_request.ts";
 *
 * const post = (body: unknown) =>
 *   new Request("http://127.0.0.1/predict", {
 *     method: "POST",
 *     headers: { "content-type": "application/json" },
 *     body: JSON.stringify(body),
 *   });
 * const event = {
 *   user_id: 1,
 *   url: "/cart",
 *   action: "view",
 *   session_id: "s1",
 *   timestamp: 1_764_000_000,
 * };
 * const { sessionId, events } = await readPredictRequest(post({ events: [event, event] }));
 * assert.equal(sessionId, "s1");
 * assert.equal(events.length, 2);
 *
 * await assert.rejects(
 *   readPredictRequest(post({ events: [event, { ...event, session_id: "s2" }] })),
 *   (error) => error instanceof HttpError && error.status === 400 && error.details.index === 1,
 * );
 * ```
 *
 * @param request The `POST /predict` request; its body is read.
 * @param options The body and event limits.
 * @returns The session and its validated events.
 * @throws {HttpError} 415 for a content type other than JSON, 413 for a body over the limit, 400
 * for anything else, naming the field or the index of the event
 */
export async function readPredictRequest(
  request: Request,
  options: PredictRequestOptions = {},
): Promise<PredictRequest> {
  const maxBodyBytes = options.maxBodyBytes ?? MAX_PREDICT_BODY_BYTES;
  const maxEvents = options.maxEvents ?? MAX_PREDICT_EVENTS;
  const type = request.headers.get("content-type");
  const mediaType = type?.split(";")[0].trim().toLowerCase() ?? "";
  if (mediaType !== "application/json") {
    throw new HttpError(
      415,
      `the body must be application/json, got ${type === null ? "no content-type" : `"${type}"`}`,
      { headers: { "accept-post": "application/json" } },
    );
  }
  const bytes = await readBody(request, maxBodyBytes);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new HttpError(400, "the body is not valid UTF-8", { cause });
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new HttpError(400, `the body is not JSON: ${why}`, { cause });
  }
  return validatePredictBody(body, maxEvents);
}

/**
 * Validates a parsed `/predict` body; throws a 400 {@linkcode HttpError} naming the problem.
 *
 * @param body The parsed JSON body.
 * @param maxEvents Most events allowed; {@linkcode MAX_PREDICT_EVENTS} when not given.
 */
export function validatePredictBody(body: unknown, maxEvents = MAX_PREDICT_EVENTS): PredictRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HttpError(
      400,
      `the body must be a JSON object {"events": [...]}, got ${describe(body)}`,
    );
  }
  const raw = (body as Record<string, unknown>).events;
  if (raw === undefined) {
    throw new HttpError(400, `events is missing: send {"events": [...]}`, {
      details: { field: "events" },
    });
  }
  if (!Array.isArray(raw)) {
    throw new HttpError(400, `events must be an array, got ${describe(raw)}`, {
      details: { field: "events" },
    });
  }
  if (raw.length === 0) {
    throw new HttpError(400, "events must hold at least one event", {
      details: { field: "events" },
    });
  }
  if (raw.length > maxEvents) {
    throw new HttpError(400, `events holds ${raw.length} events, at most ${maxEvents} allowed`, {
      details: { field: "events" },
    });
  }
  const events: WireEvent[] = [];
  for (let index = 0; index < raw.length; index++) {
    const result = tryValidateEvent(raw[index]);
    if (!result.ok) {
      const { error } = result;
      throw new HttpError(400, `events[${index}]: ${error.message}`, {
        details: { index, field: error.field, reason: error.reason },
        cause: error,
      });
    }
    const event = result.event;
    if (events.length > 0 && event.session_id !== events[0].session_id) {
      throw new HttpError(
        400,
        `events[${index}].session_id is ${JSON.stringify(event.session_id)} but events[0] is ` +
          `in session ${JSON.stringify(events[0].session_id)}: all events must share one session`,
        { details: { index, field: "session_id" } },
      );
    }
    events.push(event);
  }
  return { sessionId: events[0].session_id, events };
}

/** Reads a body of at most `limit` bytes; throws a 413 {@linkcode HttpError} beyond it. */
async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const tooLarge = () => new HttpError(413, `the body is larger than ${limit} bytes`);
  const length = request.headers.get("content-length");
  if (length !== null && Number(length) > limit) throw tooLarge();
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return "a string";
  return `a ${typeof value}`;
}
