/**
 * Generator throughput: each iteration produces 10 000 events (events/s = iter/s × 10 000).
 * Baseline: a direct port of the original's `loadtest.py` loop on `Math.random` (array pool
 * with `shift()` for FIFO, ids and urls built with `Array.from(...).join("")`). A second group
 * adds `JSON.stringify`, which is what the load generator does with each event.
 *
 * @module
 */

import { SessionGenerator } from "../../src/generator/session_generator.ts";

const N = 10_000;
const PATHS = ["/home", "/products", "/cart", "/checkout", "/about", "/blog", "/search"];
const ID = "abcdefghijklmnopqrstuvwxyz0123456789";
const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const pick = (s: string | string[]) => s[Math.floor(Math.random() * s.length)];
const pool: { id: string; user: number; count: number }[] = [];
function naiveNext() {
  let s;
  if (pool.length > 0 && Math.random() < 0.95) {
    s = pool[Math.floor(Math.random() * pool.length)];
    s.count++;
  } else {
    s = {
      id: Array.from({ length: 10 }, () => pick(ID)).join(""),
      user: 1 + Math.floor(Math.random() * 100_000),
      count: 1,
    };
    pool.push(s);
    if (pool.length > 5000) pool.shift();
  }
  const p = Math.min(0.02 + 0.03 * s.count, 0.5);
  const url = pick(PATHS) + "?" + Array.from({ length: 6 }, () => pick(LETTERS)).join("");
  const ts = Math.floor(Date.now() / 1000);
  return Math.random() < p
    ? {
      user_id: s.user,
      url,
      action: "purchase",
      session_id: s.id,
      timestamp: ts,
      amount: Math.round((5 + Math.random() * 495) * 100) / 100,
    }
    : {
      user_id: s.user,
      url,
      action: pick(["click", "view", "scroll"]),
      session_id: s.id,
      timestamp: ts,
    };
}

const gen = new SessionGenerator({ seed: 1 });
const wall = new SessionGenerator({ seed: 2, clock: () => Math.floor(Date.now() / 1000) });

Deno.bench({
  name: "naive port on Math.random (10k events)",
  group: "generate",
  baseline: true,
  fn() {
    let sink = 0;
    for (let i = 0; i < N; i++) sink += naiveNext().user_id;
    if (sink < 0) throw new Error("unreachable");
  },
});

Deno.bench({
  name: "SessionGenerator.next(), simulated clock (10k events)",
  group: "generate",
  fn() {
    let sink = 0;
    for (let i = 0; i < N; i++) sink += gen.next().user_id;
    if (sink < 0) throw new Error("unreachable");
  },
});

Deno.bench({
  name: "SessionGenerator.next(), wall clock (10k events)",
  group: "generate",
  fn() {
    let sink = 0;
    for (let i = 0; i < N; i++) sink += wall.next().user_id;
    if (sink < 0) throw new Error("unreachable");
  },
});

Deno.bench({
  name: "naive port + JSON.stringify (10k events)",
  group: "generate + JSON.stringify",
  baseline: true,
  fn() {
    let sink = 0;
    for (let i = 0; i < N; i++) sink += JSON.stringify(naiveNext()).length;
    if (sink < 0) throw new Error("unreachable");
  },
});

Deno.bench({
  name: "SessionGenerator.next() + JSON.stringify (10k events)",
  group: "generate + JSON.stringify",
  fn() {
    let sink = 0;
    for (let i = 0; i < N; i++) sink += JSON.stringify(gen.next()).length;
    if (sink < 0) throw new Error("unreachable");
  },
});
