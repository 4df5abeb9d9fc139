/**
 * Point-in-time features of one event, for one {@linkcode FeatureSet}: computed only from its
 * session's history strictly before it (held in a {@linkcode SessionStore} of the set's layout)
 * plus the fact, url and time of its arrival — never from its action, its amount, or any later
 * event. The order per event is fixed: *featurize* (read the store), then the caller scores and
 * learns, then *observe* (write the store); {@linkcode Featurizer.push} does featurize + observe
 * in that order for a batch. Rows are written into caller-owned `Float64Array`s: nothing is
 * allocated per event.
 *
 * The sets and their features: `feature_sets.ts`.
 *
 * @module
 */

import type { FeatureBatch } from "./feature_batch.ts";
import type { FeatureSet } from "./feature_set.ts";
import { DEFAULT_FEATURE_SET } from "./feature_sets.ts";
import {
  type SessionEvent,
  SessionStore,
  type SessionStoreOptions,
  type SessionStoreState,
} from "./session_store.ts";
import { checkUrlBuckets, hashUrl, urlBucket, urlSign } from "./url_hash.ts";
import { ACTIONS_LAYOUT } from "./field_features.ts";
import { pageClassBytes, PagedEvent } from "./page_class.ts";
import { fnv1a32 } from "../util/fnv1a.ts";
import { encodeWtf8Into } from "../util/wtf8.ts";

/** Options of {@linkcode Featurizer}. */
export interface FeaturizerOptions extends SessionStoreOptions {
  /** The features to write. Default `DEFAULT_FEATURE_SET` (see `feature_sets.ts`). */
  featureSet?: FeatureSet;
  /**
   * An existing store to continue from (e.g. restored from a checkpoint), of the set's layout.
   * Default: a new one.
   */
  store?: SessionStore;
}

/** Turns events into point-in-time feature rows of one feature set, keeping the session state. */
export class Featurizer {
  /** The feature set of the rows this featurizer writes. */
  readonly featureSet: FeatureSet;
  /** The feature names of the rows this featurizer writes. */
  readonly names: readonly string[];
  /** The number of values per row. */
  readonly width: number;
  /** The hashed url buckets: the width of the rows' sparse part (0: none). */
  readonly urlBuckets: number;
  #store: SessionStore;
  #write: FeatureSet["write"];
  #id = new Uint8Array(256); // the session id's WTF-8 bytes, in push
  #readsPage: boolean;
  #pagedEvent = new PagedEvent();
  // the url slice featurizeKey classified, for observeKey of the same event (#paged)
  #urlBytes: Uint8Array | null = null;
  #urlStart = 0;
  #urlLength = 0;
  #page = 0;

  /**
   * Creates a featurizer over `options.store`, or over a new, empty session store.
   *
   * @param options see {@linkcode FeaturizerOptions} and {@linkcode SessionStoreOptions}
   * @throws {TypeError} if `options.store` is not of the feature set's layout
   * @throws {RangeError} if the set's `urlBuckets` is not 0 or a power of two up to 2^24
   */
  constructor(options: FeaturizerOptions = {}) {
    const set = options.featureSet ?? DEFAULT_FEATURE_SET;
    this.featureSet = set;
    this.names = set.names;
    this.width = set.width;
    this.urlBuckets = set.urlBuckets ? checkUrlBuckets(set.urlBuckets) : 0;
    this.#write = set.write;
    this.#readsPage = set.layout === ACTIONS_LAYOUT; // the sets whose rows and state read the page
    if (options.store !== undefined && options.store.layout !== set.layout) {
      throw new TypeError(
        `Cannot featurize feature set "${set.name}" from a session store of layout "${options.store.layout.name}": it needs layout "${set.layout.name}".`,
      );
    }
    this.#store = options.store ??
      new SessionStore({
        idleSeconds: options.idleSeconds,
        maxSessions: options.maxSessions,
        layout: set.layout,
      });
  }

  /** The session store (live state; do not mutate). */
  get store(): SessionStore {
    return this.#store;
  }

  /**
   * Writes the event's features into `out[offset .. offset + width)` from what was known before
   * it. Does not change any state: call {@linkcode Featurizer.observe} afterwards.
   */
  featurize(event: SessionEvent, out: Float64Array, offset = 0): void {
    const store = this.#store;
    const slot = store.lookup(event.session_id, event.timestamp);
    this.#write(event, store.slots, store.words, slot < 0 ? -1 : slot * store.stride, out, offset);
  }

  /** Records the event in the session state (after it was featurized, scored and learnt). */
  observe(event: SessionEvent): void {
    this.#store.record(event);
  }

  /**
   * {@linkcode Featurizer.featurize} of an event whose session id's WTF-8 bytes are
   * `bytes[start .. start + length)` with FNV-1a 32 hash `hash` — a row of the byte decoder
   * (`src/events/byte_decoder.ts`): the session is found from those bytes, without a string.
   * With `urlStart ≥ 0`, the url's WTF-8 bytes are `bytes[urlStart .. urlStart + urlLength)`,
   * and a set that reads the url's page class (`fields`, `shop`) gets it from them, without the
   * url's string (`page_class.ts`; the same class).
   */
  featurizeKey(
    event: SessionEvent,
    bytes: Uint8Array,
    start: number,
    length: number,
    hash: number,
    out: Float64Array,
    offset = 0,
    urlStart = -1,
    urlLength = 0,
  ): void {
    const store = this.#store;
    const slot = store.lookupKey(bytes, start, length, hash, event.timestamp);
    const e = urlStart < 0 ? event : this.#paged(event, bytes, urlStart, urlLength, false);
    this.#write(e, store.slots, store.words, slot < 0 ? -1 : slot * store.stride, out, offset);
  }

  /**
   * {@linkcode Featurizer.observe} by the session id's bytes (see `featurizeKey`, also for the
   * url's bytes). Returns the session id's string, made from those bytes (`event.session_id` is
   * not read), or `""` with `withId` false (no string made). Right after the `featurizeKey` of the same event, with the same url slice (its
   * bytes unchanged in between, as the featurize stage calls them), it takes the page class that
   * call found instead of finding it again.
   */
  observeKey(
    event: SessionEvent,
    bytes: Uint8Array,
    start: number,
    length: number,
    hash: number,
    urlStart = -1,
    urlLength = 0,
    withId = true,
  ): string {
    const e = urlStart < 0 ? event : this.#paged(event, bytes, urlStart, urlLength, true);
    return this.#store.recordKey(bytes, start, length, hash, e, withId);
  }

  /**
   * `event` with its page class from its url's bytes, for a set that reads it. `featurizeKey`
   * finds the class (`again` false) and `observeKey` of the same event takes it from there
   * (`again` true: the same url slice, whose bytes the caller has not changed in between).
   */
  #paged(
    event: SessionEvent,
    bytes: Uint8Array,
    start: number,
    length: number,
    again: boolean,
  ): SessionEvent {
    if (!this.#readsPage) return event;
    let page: number;
    if (
      again && bytes === this.#urlBytes && start === this.#urlStart && length === this.#urlLength
    ) {
      page = this.#page;
    } else {
      page = pageClassBytes(bytes, start, length);
      this.#page = page;
      this.#urlStart = start;
      this.#urlLength = length;
    }
    // Taken once at most: a later event's slice in a reused buffer is another url.
    this.#urlBytes = again ? null : bytes;
    return this.#pagedEvent.of(event, page);
  }

  /**
   * Appends the event to `batch`: writes its features into the next row, its label
   * (`action === "purchase"`), then records it in the session state.
   *
   * With hashed url features, the row's sparse part gets the url path's bucket and sign.
   *
   * @throws {RangeError} if the batch's widths are not the feature set's
   */
  push(event: SessionEvent, batch: FeatureBatch): void {
    const buckets = this.urlBuckets;
    if (batch.width !== this.width || batch.sparseWidth !== buckets) {
      throw new RangeError(
        `Cannot push rows of feature set "${this.featureSet.name}" (width ${this.width}, sparse ${buckets}) into a batch of width ${batch.width}, sparse ${batch.sparseWidth}.`,
      );
    }
    const i = batch.add();
    // The session by its id's bytes, encoded and hashed once for both the lookup and the record
    // (the store's string path encodes it for each): the same session, the same state.
    const id = event.session_id;
    if (3 * id.length > this.#id.length) this.#id = new Uint8Array(3 * id.length);
    const bytes = this.#id, length = encodeWtf8Into(id, bytes, 0);
    const hash = fnv1a32(bytes, 0, length);
    this.featurizeKey(event, bytes, 0, length, hash, batch.rows, i * batch.width);
    if (buckets > 0) {
      const h = hashUrl(event.url);
      batch.addSparse(urlBucket(h, buckets), urlSign(h));
    }
    batch.labels[i] = event.action === "purchase" ? 1 : 0;
    this.#store.recordKey(bytes, 0, length, hash, event);
  }

  /** The session state as a plain JSON-able object (see {@linkcode SessionStore.toJSON}). */
  toJSON(): SessionStoreState {
    return this.#store.toJSON();
  }

  /**
   * A featurizer of `featureSet` (default `DEFAULT_FEATURE_SET`) continuing from a saved
   * session state.
   *
   * @throws {TypeError} if the state is not of the set's layout
   */
  static fromJSON(state: SessionStoreState, featureSet?: FeatureSet): Featurizer {
    const set = featureSet ?? DEFAULT_FEATURE_SET;
    return new Featurizer({ featureSet: set, store: SessionStore.fromJSON(state, set.layout) });
  }
}
