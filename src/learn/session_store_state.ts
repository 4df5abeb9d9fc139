/**
 * The plain, JSON-able form of a `SessionStore` (`session_store.ts`), as its `toJSON` writes it
 * ({@linkcode sessionStoreState}) and its `fromJSON` reads it ({@linkcode checkSessionStoreState},
 * the check of a state's shape and layout before a restore, then
 * {@linkcode restoreSessionStoreState}). Both go through the store's public streaming API
 * (`recency`, `idAt`, `slots`; `restoreSession`, `restoreCounters`), as the binary codec does
 * (`session_store_codec.ts`).
 *
 * @module
 */

import { CORE_FIELDS, type SessionLayout, VERSION_1_FIELDS } from "./session_layout.ts";
import type { SessionStore } from "./session_store.ts";
import { readSlot } from "./session_slot.ts";

/** The plain, JSON-able form of a `SessionStore` (see its `toJSON`). */
export interface SessionStoreState {
  /** 2; version 1 had no layout (its fields: {@linkcode VERSION_1_FIELDS}). */
  version: 1 | 2;
  /** The layout's name and its fields (absent in version 1). */
  layout?: { name: string; fields: string[] };
  /** The store's idle timeout, seconds. */
  idleSeconds: number;
  /** The store's cap on live sessions. */
  maxSessions: number;
  /** Highest event time seen, or `null` before the first event. */
  watermark: number | null;
  /** Sessions expired by idleness so far. */
  expired: number;
  /** Sessions evicted by the cap so far. */
  evicted: number;
  /** Live session ids, least recently seen first. */
  ids: string[];
  /** The numbers of each id (core fields, then the layout's: every field, integers too), same order. */
  fields: number[];
}

/**
 * Checks that `state` is a version-1 or -2 state whose sessions are of `layout` (a version-1
 * state: of a layout whose fields are {@linkcode VERSION_1_FIELDS}) with `stride` numbers per
 * session; returns that stride (the core fields and the layout's). The ids themselves are
 * checked as they are restored.
 *
 * @throws {TypeError} if the state is malformed or of another layout
 */
export function checkSessionStoreState(state: SessionStoreState, layout: SessionLayout): number {
  if (
    state === null || typeof state !== "object" || (state.version !== 1 && state.version !== 2) ||
    !Array.isArray(state.ids) || !Array.isArray(state.fields)
  ) {
    throw new TypeError(
      "Cannot restore a SessionStore: the state is not a version-1 or -2 SessionStore state.",
    );
  }
  const want = [...CORE_FIELDS, ...layout.fields];
  const saved = state.version === 1
    ? { name: "version 1", fields: VERSION_1_FIELDS }
    : { name: state.layout?.name, fields: [...CORE_FIELDS, ...(state.layout?.fields ?? [])] };
  if (
    (state.version === 2 && saved.name !== layout.name) || saved.fields.join() !== want.join()
  ) {
    throw new TypeError(
      `Cannot restore a SessionStore: the state's sessions are of layout ${
        JSON.stringify(saved.name)
      } (fields ${saved.fields.join(", ")}), not ${JSON.stringify(layout.name)} (fields ${
        want.join(", ")
      }).`,
    );
  }
  const stride = want.length;
  if (state.fields.length !== state.ids.length * stride) {
    throw new TypeError(
      `Cannot restore a SessionStore: ${state.fields.length} numbers for ${state.ids.length} sessions of ${stride} fields.`,
    );
  }
  return stride;
}

/** What a store's state and its checkpoint head both hold besides the sessions, in that order. */
export function sessionStoreBounds(
  store: SessionStore,
): Required<Omit<SessionStoreState, "version" | "ids" | "fields">> {
  return {
    layout: { name: store.layout.name, fields: [...store.layout.fields] },
    idleSeconds: store.idleSeconds,
    maxSessions: store.maxSessions,
    watermark: store.watermark,
    expired: store.expired,
    evicted: store.evicted,
  };
}

/** The plain JSON-able state of `store`, sessions least recently seen first. */
export function sessionStoreState(store: SessionStore): SessionStoreState {
  const ids: string[] = [];
  const fields: number[] = [];
  const { shape, stride, slots, words } = store;
  for (const s of store.recency()) {
    ids.push(store.idAt(s));
    readSlot(shape, slots, words, s * stride, fields, fields.length);
  }
  return { version: 2, ...sessionStoreBounds(store), ids, fields };
}

/**
 * Restores `state`'s sessions and counters into `store`, a new store of its bounds and layout
 * (`state` checked by {@linkcode checkSessionStoreState}).
 *
 * @throws {TypeError} on an id that is not a string, or repeated, or an integer field's number
 * that is not a whole number ≥ 0
 */
export function restoreSessionStoreState(store: SessionStore, state: SessionStoreState): void {
  for (let i = 0; i < state.ids.length; i++) {
    const id = state.ids[i];
    if (typeof id !== "string") {
      throw new TypeError(
        `Cannot restore a SessionStore: session id ${
          JSON.stringify(id)
        } (at ${i}) is not a string.`,
      );
    }
    store.restoreSession(id, state.fields, i * store.shape.fields.length);
  }
  store.restoreCounters(state.watermark, state.expired, state.evicted);
}
