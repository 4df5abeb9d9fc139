/**
 * Test helper: a seeded stream that touches every field a feature set reads — every page class
 * (and paths no class names), every action, amounts, hours of every day of the week, sessions
 * that run long, expire by idleness and are evicted by a small cap — so that every feature of
 * every set takes several values (a leak test over a constant column would prove nothing).
 *
 * @module
 */

import { ACTIONS, type WireEvent } from "../../src/events/wire.ts";
import { Random } from "../../src/util/random.ts";

/** Urls of every page class, `/` and paths no class names (`other`). */
export const MIXED_URLS = [
  "/",
  "/home",
  "/search?q=shoes",
  "/category/7",
  "/product/123",
  "/products?aBcDeF",
  "/cart",
  "/checkout#pay",
  "/about",
  "/blog/4",
  "/careers",
  "/help/returns?x",
] as const;

/** Session store bounds small enough for the mixed stream to expire and evict sessions. */
export const MIXED_STORE = { idleSeconds: 1800, maxSessions: 60 };

/**
 * `n` events (seed `seed`) of about 80 concurrent sessions on a clock that mostly advances by
 * seconds to minutes and now and then jumps by hours, so hours and days of the week all occur
 * and some sessions go idle for longer than {@linkcode MIXED_STORE}'s `idleSeconds`.
 */
export function mixedStream(n: number, seed = 3): WireEvent[] {
  const rng = new Random(seed);
  const out: WireEvent[] = [];
  const sessions: { id: string; user: number }[] = [];
  let t = 1_767_225_600; // 2026-01-01T00:00:00Z, a Thursday
  let next = 0;
  for (let i = 0; i < n; i++) {
    t += rng.next() < 0.01 ? 3600 + rng.nextInt(30_000) : rng.nextInt(90);
    if (sessions.length < 80 || rng.next() < 0.08) {
      sessions.push({ id: `m${next++}`, user: 1 + rng.nextInt(500) });
      if (sessions.length > 120) sessions.splice(rng.nextInt(sessions.length), 1);
    }
    const s = sessions[rng.nextInt(sessions.length)];
    const url = MIXED_URLS[rng.nextInt(MIXED_URLS.length)];
    const action = ACTIONS[rng.nextInt(ACTIONS.length)];
    const late = rng.next() < 0.02 ? rng.nextInt(400) : 0; // now and then an out-of-order time
    const base = { user_id: s.user, url, session_id: s.id, timestamp: t - late };
    out.push(
      action === "purchase"
        ? { ...base, action, amount: Math.round((1 + rng.next() * 300) * 100) / 100 }
        : { ...base, action },
    );
  }
  return out;
}
