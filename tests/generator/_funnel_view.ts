/**
 * Test and bench helper: an independent reading of a wire stream into the funnel model's
 * {@linkcode FunnelView} — what a point-in-time featurizer sees of each event — from the events
 * alone (session id, url, action, amount, timestamp), never from the generator's internals.
 * Unbounded (a `Map` of every session), so only for finite test streams.
 *
 * @module
 */

import { ACTIONS, type WireEvent } from "../../src/events/wire.ts";
import {
  dayOfWeek,
  type FunnelView,
  hourOfDay,
  newFunnelView,
  NO_PAGE,
  pageClassOf,
} from "../../src/generator/funnel_model.ts";

interface SessionSoFar {
  first: number;
  last: number;
  count: number;
  page: number;
  counts: Float64Array;
  spend: number;
}

/** Reads each event's view before its action, then records the event (`view` then `observe`). */
export class FunnelViewReader {
  #sessions = new Map<string, SessionSoFar>();
  /** The view last returned by {@linkcode FunnelViewReader.view} (overwritten each call). */
  readonly current: FunnelView & { actionCounts: Float64Array } = newFunnelView();

  /** What was visible of `event` before its action. */
  view(event: WireEvent, drifted = false): FunnelView {
    const v = this.current;
    const s = this.#sessions.get(event.session_id);
    v.page = pageClassOf(event.url);
    v.hour = hourOfDay(event.timestamp);
    v.dayOfWeek = dayOfWeek(event.timestamp);
    v.drifted = drifted;
    if (s === undefined) {
      v.previous = NO_PAGE;
      v.position = 1;
      v.secondsSinceStart = 0;
      v.secondsSincePrevious = 0;
      v.actionCounts.fill(0);
      v.spend = 0;
    } else {
      v.previous = s.page;
      v.position = s.count + 1;
      v.secondsSinceStart = Math.max(0, event.timestamp - s.first);
      v.secondsSincePrevious = Math.max(0, event.timestamp - s.last);
      v.actionCounts.set(s.counts);
      v.spend = s.spend;
    }
    return v;
  }

  /** Records `event` in its session. */
  observe(event: WireEvent): void {
    let s = this.#sessions.get(event.session_id);
    if (s === undefined) {
      s = {
        first: event.timestamp,
        last: event.timestamp,
        count: 0,
        page: 0,
        counts: new Float64Array(4),
        spend: 0,
      };
      this.#sessions.set(event.session_id, s);
    }
    s.last = event.timestamp;
    s.count++;
    s.page = pageClassOf(event.url);
    s.counts[ACTIONS.indexOf(event.action)]++;
    if (event.amount !== undefined) s.spend += event.amount;
  }
}
