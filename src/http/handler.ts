/**
 * The HTTP app of the trainer as one pure `(Request) => Promise<Response>` handler over the
 * published {@linkcode Snapshot}; `main.ts` and the trainer only call `Deno.serve` with it, and
 * tests call it with `new Request(...)`. It reads the current snapshot per request, never the
 * trainer's live state, and never throws: a refused request is a 4xx JSON `{"error": ...}`, an
 * unexpected failure a 500 with the reason.
 *
 * Routes: `GET /` (the dashboard), `GET /events` (server-sent events for the dashboard: one
 * message per published snapshot), `GET /history` (the chart history as JSON), `GET /weights`,
 * `GET /metrics`, `GET /healthz`, `GET /purchases?top=N`, `POST /predict`, and, only when an admin token is
 * configured, `POST /checkpoint` and `POST /reset` (bearer token). `HEAD` works wherever `GET`
 * does; another method on a known route is a 405 with `Allow`.
 *
 * @module
 */

import type { Clock } from "../util/clock.ts";
import type { Snapshot } from "../stream/snapshot.ts";
import { type AdminCommand, type AdminResult, checkBearer } from "./admin.ts";
import { HttpError } from "./http_error.ts";
import { dashboardPage } from "./dashboard.ts";
import { dashboardUpdate, eventStream } from "./dashboard_events.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import {
  MAX_PREDICT_BODY_BYTES,
  MAX_PREDICT_EVENTS,
  readPredictRequest,
} from "./predict_request.ts";
import { healthJson, jsonResponse, purchasesJson, weightsJson } from "./views.ts";

/** Default and bounds of `/purchases?top=N`. */
export const PURCHASES_TOP = { default: 10, min: 1, max: 1000 } as const;

/** Options of {@linkcode createHandler}. */
export interface HandlerOptions {
  /** Returns the currently published snapshot; called once per request. Required. */
  snapshot: () => Snapshot;
  /** The metrics registry `/metrics` renders. Without it, `createMetrics(snapshot, { clock })`. */
  metrics?: Metrics;
  /**
   * The bearer token of the admin routes. `null`: `/checkpoint` and `/reset` do not exist
   * (404).
   *
   * @default {null}
   */
  adminToken?: string | null;
  /**
   * Hands an admin command to the trainer (which runs it between batches) and resolves with its
   * result. Required when `adminToken` is set.
   */
  admin?: (command: AdminCommand) => Promise<AdminResult>;
  /**
   * Serves `GET /`.
   *
   * @default {dashboardPage}
   */
  dashboard?: () => Response | Promise<Response>;
  /**
   * Ends the `GET /events` streams when aborted, so that they never hold a stopping server open
   * (pass the signal given to `Deno.serve`). Without it, a stream still ends when its client
   * goes away, and after 10 minutes.
   */
  signal?: AbortSignal;
  /**
   * How often a `GET /events` stream polls for a new snapshot, ms.
   *
   * @default {500}
   */
  eventsPollMs?: number;
  /**
   * Clock for ages.
   *
   * @default {Date}
   */
  clock?: Pick<Clock, "now">;
  /**
   * Largest `/predict` body, in bytes.
   *
   * @default {MAX_PREDICT_BODY_BYTES} 1 MiB
   */
  maxPredictBytes?: number;
  /**
   * Most events in one `/predict` request.
   *
   * @default {MAX_PREDICT_EVENTS} 1000
   */
  maxPredictEvents?: number;
}

type Route = Partial<Record<string, (request: Request, url: URL) => Response | Promise<Response>>>;

/**
 * Creates the handler.
 *
 * @example A refused request is a JSON answer, never an exception
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHandler } from "./handler.ts";
 *
 * const handler = createHandler({
 *   snapshot: () => {
 *     throw new Error("no snapshot yet");
 *   },
 * });
 * const request = (path: string, init?: RequestInit) =>
 *   handler(new Request(`http://127.0.0.1${path}`, init));
 *
 * const notJson = await request("/predict", { method: "POST", body: "hello" });
 * assert.equal(notJson.status, 415);
 * assert.match((await notJson.json()).error, /^the body must be application\/json/);
 *
 * const wrongMethod = await request("/weights", { method: "DELETE" });
 * assert.equal(wrongMethod.status, 405);
 * assert.equal(wrongMethod.headers.get("allow"), "GET, HEAD");
 * await wrongMethod.body?.cancel();
 *
 * const failed = await request("/weights");
 * assert.equal(failed.status, 500);
 * assert.deepEqual(await failed.json(), { error: "internal error: no snapshot yet" });
 * ```
 *
 * @example Serving the trainer's snapshots
 * ```ts ignore
 * import { SnapshotPublisher } from "../stream/snapshot_publisher.ts";
 * import { createHandler } from "./handler.ts";
 *
 * const publisher = new SnapshotPublisher({ topic: "clickstream_v2" }); // the trainer publishes
 * const shutdown = new AbortController();
 * const handler = createHandler({ snapshot: () => publisher.snapshot, signal: shutdown.signal });
 * Deno.serve({ hostname: "127.0.0.1", port: 8080, signal: shutdown.signal }, handler);
 * ```
 *
 * @param options The snapshot source, and the optional admin routes, metrics and limits.
 * @returns The handler: never rejects, every failure is a JSON `{"error": ...}` response.
 * @throws {TypeError} when `adminToken` is set without `admin`, or is empty
 */
export function createHandler(options: HandlerOptions): (request: Request) => Promise<Response> {
  const snapshot = options.snapshot;
  const clock = options.clock ?? Date;
  const metrics = options.metrics ?? createMetrics(snapshot, { clock });
  const adminToken = options.adminToken ?? null;
  const admin = options.admin ?? null;
  if (adminToken !== null && adminToken.length === 0) {
    throw new TypeError(
      "createHandler() needs a non-empty adminToken, or null for no admin routes",
    );
  }
  if (adminToken !== null && admin === null) {
    throw new TypeError("createHandler() needs an admin function when adminToken is set");
  }
  const predictOptions = {
    maxBodyBytes: options.maxPredictBytes ?? MAX_PREDICT_BODY_BYTES,
    maxEvents: options.maxPredictEvents ?? MAX_PREDICT_EVENTS,
  };

  const routes = new Map<string, Route>([
    ["/", { GET: () => options.dashboard?.() ?? dashboardPage() }],
    ["/events", {
      GET: () =>
        eventStream(snapshot, {
          signal: options.signal,
          pollMs: options.eventsPollMs,
          clock,
        }),
    }],
    ["/history", { GET: () => jsonResponse(dashboardUpdate(snapshot(), -1, clock.now())) }],
    ["/weights", { GET: () => jsonResponse(weightsJson(snapshot(), clock.now())) }],
    ["/metrics", {
      GET: async () =>
        new Response(await metrics.render(), {
          headers: { "content-type": metrics.contentType, "cache-control": "no-store" },
        }),
    }],
    ["/healthz", {
      GET: () => {
        const current = snapshot();
        return jsonResponse(healthJson(current, clock.now()), current.healthy ? 200 : 503);
      },
    }],
    ["/purchases", {
      GET: (_request, url) => jsonResponse(purchasesJson(snapshot(), parseTop(url))),
    }],
    ["/predict", {
      POST: async (request) => {
        const { sessionId, events } = await readPredictRequest(request, predictOptions);
        const current = snapshot();
        const scores = current.predict(events);
        const action = current.action;
        if (action === undefined) {
          return jsonResponse({
            session_id: sessionId,
            p_purchase: scores[scores.length - 1],
            scores,
          });
        }
        const perEvent = action.predict(events).map((p) =>
          Object.fromEntries(action.classes.map((c, k) => [c, p[k]]))
        );
        return jsonResponse({
          session_id: sessionId,
          p_purchase: scores[scores.length - 1],
          scores,
          p_action: perEvent[perEvent.length - 1],
          action_scores: perEvent,
        });
      },
    }],
  ]);
  if (adminToken !== null && admin !== null) {
    const adminRoute = (type: AdminCommand["type"]): Route => ({
      POST: async (request) => {
        const check = await checkBearer(request, adminToken);
        if (check === "missing") {
          throw new HttpError(401, `POST /${type} needs Authorization: Bearer <admin token>`, {
            headers: { "www-authenticate": 'Bearer realm="clickstream"' },
          });
        }
        if (check === "wrong") throw new HttpError(403, "the admin token is wrong");
        let result: AdminResult;
        try {
          result = await admin({ type } as AdminCommand);
        } catch (cause) {
          const why = cause instanceof Error ? cause.message : String(cause);
          throw new HttpError(500, `${type} failed: ${why}`, { cause });
        }
        return jsonResponse(
          {
            command: type,
            ok: result.ok,
            message: result.message,
            batch_id: result.batchId ?? null,
          },
          result.ok ? 200 : 409,
        );
      },
    });
    routes.set("/checkpoint", adminRoute("checkpoint"));
    routes.set("/reset", adminRoute("reset"));
  }

  return async (request: Request): Promise<Response> => {
    try {
      const url = new URL(request.url);
      const route = routes.get(url.pathname);
      if (route === undefined) {
        throw new HttpError(404, `no route ${request.method} ${url.pathname}`);
      }
      const head = request.method === "HEAD";
      const serve = route[head ? "GET" : request.method];
      if (serve === undefined) {
        const allow = Object.keys(route).flatMap((m) => m === "GET" ? ["GET", "HEAD"] : [m]);
        throw new HttpError(
          405,
          `${request.method} is not allowed on ${url.pathname}; use ${allow.join(" or ")}`,
          { headers: { allow: allow.join(", ") } },
        );
      }
      const response = await serve(request, url);
      if (!head) return response;
      await response.body?.cancel();
      return new Response(null, response);
    } catch (error) {
      if (error instanceof HttpError) {
        return jsonResponse(
          { error: error.message, ...error.details },
          error.status,
          error.headers,
        );
      }
      const why = error instanceof Error ? error.message : String(error);
      return jsonResponse({ error: `internal error: ${why}` }, 500);
    }
  };
}

/** Parses `?top=N` of `/purchases`; throws a 400 {@linkcode HttpError} for a bad N. */
function parseTop(url: URL): number {
  const text = url.searchParams.get("top");
  if (text === null) return PURCHASES_TOP.default;
  const n = /^\d{1,7}$/.test(text) ? Number(text) : NaN;
  if (!(n >= PURCHASES_TOP.min && n <= PURCHASES_TOP.max)) {
    throw new HttpError(
      400,
      `top must be an integer in ${PURCHASES_TOP.min}..${PURCHASES_TOP.max}, got ${
        JSON.stringify(text)
      }`,
      { details: { field: "top" } },
    );
  }
  return n;
}
