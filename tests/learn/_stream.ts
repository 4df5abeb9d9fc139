/**
 * Test helper: a reproducible stream of generator events (with their true probabilities) for
 * the learner's tests.
 *
 * @module
 */

import type { WireEvent } from "../../src/events/wire.ts";
import {
  SessionGenerator,
  type SessionGeneratorOptions,
} from "../../src/generator/session_generator.ts";

/** `n` events of a seeded generator and each event's true purchase probability. */
export function stream(
  n: number,
  options: SessionGeneratorOptions = {},
): { events: WireEvent[]; truth: number[] } {
  const gen = new SessionGenerator({ seed: 1, ...options });
  const events: WireEvent[] = [];
  const truth: number[] = [];
  for (let i = 0; i < n; i++) {
    events.push(gen.next());
    truth.push(gen.probability);
  }
  return { events, truth };
}
