/**
 * The admin commands the HTTP server can ask of the trainer, and the bearer-token check that
 * guards them. State-changing requests never touch the trainer's state directly: the handler
 * hands an {@linkcode AdminCommand} to a function that enqueues it, the trainer drains the queue
 * between batches (docs/design.md "Exactly-once model updates") and resolves the
 * {@linkcode AdminResult}.
 *
 * @module
 */

import type { AdminCommand, AdminResult } from "../stream/admin_queue.ts";

export type { AdminCommand, AdminResult };

/** Outcome of {@linkcode checkBearer}. */
export type BearerCheck = "ok" | "missing" | "wrong";

const encoder = new TextEncoder();

/**
 * Checks the request's `Authorization: Bearer <token>` against `token`, in time that depends on
 * neither the token nor how much of it matches (both sides are hashed, then compared in full).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkBearer } from "./admin.ts";
 *
 * const request = (authorization?: string) =>
 *   new Request("http://127.0.0.1/checkpoint", {
 *     method: "POST",
 *     headers: authorization === undefined ? {} : { authorization },
 *   });
 * assert.equal(await checkBearer(request("Bearer s3cret"), "s3cret"), "ok");
 * assert.equal(await checkBearer(request("Bearer guess"), "s3cret"), "wrong");
 * assert.equal(await checkBearer(request(), "s3cret"), "missing");
 * ```
 */
export async function checkBearer(request: Request, token: string): Promise<BearerCheck> {
  const header = request.headers.get("authorization");
  const match = header === null ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (match === null) return "missing";
  const [given, expected] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(match[1])),
    crypto.subtle.digest("SHA-256", encoder.encode(token)),
  ]);
  return constantTimeEqual(new Uint8Array(given), new Uint8Array(expected)) ? "ok" : "wrong";
}

/** Compares two byte arrays without stopping at the first difference. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
