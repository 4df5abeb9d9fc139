/**
 * The `session` feature set (id 2): where the event is in its session — the `position` set
 * without its twins. With `k` the event's position in its session (1 for the first event):
 * `ln k`, `1/k`, `(ln k)²`, `min(k, 100)`, and `ln(1 + x)` of the seconds since the session's
 * first event and since its previous event (0 for the first). The original's
 * `clicks_in_session` and `time_on_page` are gone: over 5-minute windows they equal the position
 * and the seconds since the start wherever a session has not crossed a window boundary.
 *
 * It needs no session state beyond the core (first and last event time, event count). On the
 * original generator's stream, where position is the whole signal, it is the best of the sets
 * (README, "The learning problem, measured"), hence the default; `fields` adds every other field.
 *
 * @module
 */

import type { FeatureSet } from "./feature_set.ts";
import { POSITION_TIME_NAMES, writePosition } from "./position_features.ts";
import { CORE_LAYOUT, type SessionEvent } from "./session_store.ts";
import { layoutShape } from "./session_slot.ts";

// Offsets within a slot (session_slot.ts): the core fields.
const { start: START, last: LAST, count: COUNT } = layoutShape(CORE_LAYOUT).offsets;

function write(
  event: SessionEvent,
  f: Float64Array,
  u: Int32Array,
  s: number,
  out: Float64Array,
  o: number,
): void {
  if (s < 0) {
    writePosition(1, 0, 0, out, o);
    return;
  }
  const t = event.timestamp;
  const sinceStart = t - f[s + START], sincePrev = t - f[s + LAST];
  writePosition(
    u[2 * s + COUNT] + 1,
    sinceStart < 0 ? 0 : sinceStart,
    sincePrev < 0 ? 0 : sincePrev,
    out,
    o,
  );
}

/** The `session` feature set; see the module documentation. */
export const SESSION_FEATURES: FeatureSet = Object.freeze({
  id: 2,
  name: "session",
  summary:
    "position in the session and time since its start and previous event (position without " +
    "the twins)",
  names: POSITION_TIME_NAMES,
  width: POSITION_TIME_NAMES.length,
  layout: CORE_LAYOUT,
  write,
});
