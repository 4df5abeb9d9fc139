import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DecodedBatch,
  decodeRecord,
  ROW_FALLBACK_VALID,
  ROW_FAST,
  ROW_INVALID,
  ROW_NEEDS_FALLBACK,
} from "../../src/events/byte_decoder.ts";
import { EVENT_ERROR_REASONS } from "../../src/events/errors.ts";
import {
  encodeEvent,
  MAX_ID_LENGTH,
  MAX_URL_LENGTH,
  tryDecodeEvent,
  tryDecodeEvents,
} from "../../src/events/schema.ts";
import {
  ACTIONS,
  MAX_RECORD_BYTES,
  MAX_TIMESTAMP,
  MIN_TIMESTAMP,
  type WireEvent,
} from "../../src/events/wire.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { fnv1a32 } from "../../src/util/fnv1a.ts";

const enc = new TextEncoder();
type Value = Uint8Array | null | undefined;

/** The sample records of docs/design.md, byte for byte as the original's producers wrote them. */
const GOLDEN = [
  '{"user_id": 48213, "url": "/products?kQzRtB", "action": "view", "session_id": "p3k9x0a1mz", "timestamp": 1764080412}',
  '{"user_id": 48213, "url": "/cart?WbNcLe", "action": "purchase", "session_id": "p3k9x0a1mz", "timestamp": 1764080415, "amount": 129.99}',
];
const VIEW = GOLDEN[0];
const PURCHASE = GOLDEN[1];

/** UTF-8 extended to lone surrogates, written independently of the decoder's encoder. */
function wtf8(s: string): Uint8Array {
  const out: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else {
      out.push(
        0xf0 | (cp >> 18),
        0x80 | ((cp >> 12) & 63),
        0x80 | ((cp >> 6) & 63),
        0x80 | (cp & 63),
      );
    }
  }
  return Uint8Array.from(out);
}

type Outcome =
  | { ok: true; event: WireEvent }
  | { ok: false; reason: string; field: string | null; message: string };

function slowOutcome(value: Value): Outcome {
  const r = tryDecodeEvent(value);
  return r.ok
    ? { ok: true, event: r.event }
    : { ok: false, reason: r.error.reason, field: r.error.field, message: r.error.message };
}

/** Row `i` of a decoded batch as plain data, checking its key bytes and hash on the way. */
function rowOutcome(batch: DecodedBatch, i: number): Outcome {
  const status = batch.status[i];
  if (status === ROW_INVALID) {
    const e = batch.error(i);
    assert.ok(e, `row ${i} is invalid but has no error`);
    assert.throws(() => batch.bytes(i), RangeError);
    return { ok: false, reason: e.reason, field: e.field, message: e.message };
  }
  assert.ok(status === ROW_FAST || status === ROW_FALLBACK_VALID, `row ${i}: status ${status}`);
  assert.equal(batch.error(i), undefined);
  const bytes = batch.bytes(i);
  const url = bytes.slice(batch.urlStart[i], batch.urlStart[i] + batch.urlLength[i]);
  const sessionStart = batch.sessionStart[i], sessionLength = batch.sessionLength[i];
  const session = bytes.slice(sessionStart, sessionStart + sessionLength);
  const fields = {
    user_id: batch.userId[i],
    url: batch.url(i),
    session_id: batch.sessionId(i),
    timestamp: batch.timestamp[i],
  };
  const action = ACTIONS[batch.action[i]];
  const event: WireEvent = action === "purchase"
    ? { ...fields, action, amount: batch.amount[i] }
    : { ...fields, action };
  // A browse row's amount column is NaN.
  if (action !== "purchase") assert.ok(Number.isNaN(batch.amount[i]), `row ${i}: amount NaN`);
  // The key bytes are the id's (WTF-8) encoding, the hash is FNV-1a of them.
  assert.deepEqual(url, wtf8(event.url), `row ${i}: url bytes`);
  assert.deepEqual(session, wtf8(event.session_id), `row ${i}: session_id bytes`);
  assert.equal(batch.sessionHash[i], fnv1a32(bytes, sessionStart, sessionLength));
  assert.deepEqual(batch.event(i), event);
  return { ok: true, event };
}

const shared = new DecodedBatch({ capacity: 4 });

/** Decodes `values` as one batch and holds every row to the full path's result; the statuses. */
function same(values: Value[], batch: DecodedBatch = shared): number[] {
  batch.decode(values);
  assert.equal(batch.length, values.length);
  const statuses: number[] = [];
  let fast = 0, invalid = 0;
  for (let i = 0; i < values.length; i++) {
    const expected = slowOutcome(values[i]);
    assert.deepEqual(rowOutcome(batch, i), expected, `row ${i}: ${show(values[i])}`);
    const s = batch.status[i];
    statuses.push(s);
    if (s === ROW_FAST) fast++;
    if (s === ROW_INVALID) invalid++;
  }
  assert.equal(batch.fastCount, fast);
  assert.equal(batch.invalidCount, invalid);
  assert.equal(batch.fallbackCount, values.length - fast);
  return statuses;
}

function show(value: Value): string {
  if (value === null || value === undefined) return String(value);
  const text = new TextDecoder().decode(value.subarray(0, 300));
  return JSON.stringify(text);
}

/** One record through the batch: its status, after checking it against the full path. */
function one(text: string | Uint8Array): number {
  return same([typeof text === "string" ? enc.encode(text) : text])[0];
}

const FAST = ROW_FAST, FALLBACK = ROW_FALLBACK_VALID, INVALID = ROW_INVALID;

// ---- generators ----------------------------------------------------------------------------

const KEYS = ["user_id", "url", "action", "session_id", "timestamp", "amount"] as const;
const asciiUnit = fc.integer({ min: 0x20, max: 0x7f }).map((c) => String.fromCharCode(c));
const idUnit = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789?/=&-_.") },
  { weight: 2, arbitrary: asciiUnit },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 1, unit: "binary" }) },
  { weight: 1, arbitrary: fc.constantFrom("\ud800", "\udfff", "\u0000", "\u001f", "é", "€", "😀") },
);
const cents = fc.integer({ min: 1, max: 10_000_000 }).map((c) => c / 100);

const plainUnit = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789?/=&-_.") },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0x20, max: 0x7f }).filter((c) => c !== 0x22 && c !== 0x5c)
      .map((c) => String.fromCharCode(c)),
  },
);

const eventOf = (
  unit: fc.Arbitrary<string>,
  amount: fc.Arbitrary<number>,
): fc.Arbitrary<WireEvent> =>
  fc.record({
    user_id: fc.oneof(
      fc.integer({ min: 1, max: 100_000 }),
      fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      fc.constantFrom(1, 9, 10, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER - 1),
    ),
    url: fc.string({ minLength: 1, maxLength: 60, unit, size: "max" }),
    action: fc.constantFrom(...ACTIONS),
    session_id: fc.string({ minLength: 1, maxLength: 30, unit, size: "max" }),
    timestamp: fc.oneof(
      fc.integer({ min: MIN_TIMESTAMP, max: MAX_TIMESTAMP }),
      fc.constantFrom(MIN_TIMESTAMP, MAX_TIMESTAMP),
    ),
    amount,
  }).map(({ amount, ...rest }): WireEvent =>
    rest.action === "purchase"
      ? { ...rest, action: "purchase", amount }
      : { ...rest, action: rest.action }
  );

/** Valid events: mostly in the plain form, some with any characters or any amounts. */
const anyValidEvent: fc.Arbitrary<WireEvent> = fc.oneof(
  {
    weight: 3,
    arbitrary: eventOf(plainUnit, fc.oneof(cents, fc.integer({ min: 1, max: 1e9 }))),
  },
  {
    weight: 1,
    arbitrary: eventOf(
      idUnit,
      fc.oneof(
        cents,
        fc.double({ min: Number.MIN_VALUE, max: 1e300, noNaN: true }),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      ),
    ),
  },
);

const WHITESPACE = ["", "", "", " ", "  ", "\t", "\n", "\r", "\r\n", " \t\n\r "];
const NUMBER_STYLES = [
  "plain",
  "plain",
  "plain",
  "exponent",
  "fraction",
  "leading_zero",
  "negative",
  "plus",
] as const;
const STRING_STYLES = ["plain", "plain", "plain", "escape_all", "escape_some", "slash"] as const;
type NumberStyle = typeof NUMBER_STYLES[number];
type StringStyle = typeof STRING_STYLES[number];

function numberText(v: number, style: NumberStyle): string {
  const t = JSON.stringify(v);
  if (!Number.isFinite(v)) return t;
  switch (style) {
    case "plain":
      return t;
    case "exponent":
      return v.toExponential();
    case "fraction":
      return Number.isInteger(v) && !t.includes("e") ? `${t}.0` : t;
    case "leading_zero":
      return `0${t}`;
    case "negative":
      return `-${t}`;
    case "plus":
      return `+${t}`;
  }
}

function stringText(s: string, style: StringStyle): string {
  // Escapes per UTF-16 unit, so a pair becomes two escapes (which JSON.parse joins again).
  const units = s.split("");
  const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  switch (style) {
    case "plain":
      return JSON.stringify(s);
    case "escape_all":
      return `"${units.map(escape).join("")}"`;
    case "escape_some":
      return `"${
        units.map((c, i) => i % 3 === 1 ? escape(c) : JSON.stringify(c).slice(1, -1)).join("")
      }"`;
    case "slash":
      return JSON.stringify(s).replaceAll("/", "\\/");
  }
}

function valueText(v: unknown, n: NumberStyle, s: StringStyle): string {
  if (typeof v === "number") return numberText(v, n);
  if (typeof v === "string") return stringText(v, s);
  return JSON.stringify(v) ?? "null";
}

/** A record's JSON text with chosen key order, whitespace, number and string forms. */
interface Rendering {
  order: number[];
  gaps: string[];
  numbers: NumberStyle[];
  strings: StringStyle[];
  keyStyles: StringStyle[];
}

const rendering: fc.Arbitrary<Rendering> = fc.record({
  order: fc.array(fc.nat(), { minLength: 12, maxLength: 12 }),
  gaps: fc.array(fc.constantFrom(...WHITESPACE), { minLength: 8, maxLength: 8 }),
  numbers: fc.array(fc.constantFrom(...NUMBER_STYLES), { minLength: 12, maxLength: 12 }),
  strings: fc.array(fc.constantFrom(...STRING_STYLES), { minLength: 12, maxLength: 12 }),
  keyStyles: fc.array(
    fc.constantFrom<StringStyle>("plain", "plain", "plain", "plain", "plain", "escape_some"),
    { minLength: 12, maxLength: 12 },
  ),
});

const PLAIN: Rendering = {
  order: [],
  gaps: [""],
  numbers: ["plain"],
  strings: ["plain"],
  keyStyles: ["plain"],
};

function render(entries: [string, unknown][], r: Rendering): string {
  const at = <T>(xs: T[], i: number) => xs[i % xs.length];
  const sorted = entries.map((e, i) => ({ e, k: r.order.length ? at(r.order, i) : i, i }))
    .sort((a, b) => a.k - b.k || a.i - b.i);
  const g = (i: number) => at(r.gaps, i);
  const parts = sorted.map(({ e: [key, value] }, i) =>
    `${stringText(key, at(r.keyStyles, i))}${g(i + 2)}:${g(i + 3)}${
      valueText(value, at(r.numbers, i), at(r.strings, i))
    }${g(i + 4)}`
  );
  return `${g(0)}{${g(1)}${parts.join(`,${g(5)}`)}}${g(7)}`;
}

const entriesOf = (o: object) =>
  Object.entries(o).filter(([, v]) => v !== undefined) as [string, unknown][];

const oddValue = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(
    0,
    -1,
    1.5,
    2 ** 53,
    2 ** 53 + 2,
    1e21,
    5e-324,
    "",
    "x",
    "buy",
    null,
    true,
    [],
    {},
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 5, unit: idUnit }),
);

/** A record built from a valid event: some fields changed, dropped, duplicated or added. */
const recordText: fc.Arbitrary<string> = fc.record({
  event: anyValidEvent,
  changes: fc.oneof(
    fc.constant([]),
    fc.array(
      fc.record({
        key: fc.constantFrom(...KEYS, "extra", "referrer", "__proto__", "User_id", "url "),
        kind: fc.constantFrom("set", "drop", "duplicate"),
        value: oddValue,
      }),
      { minLength: 1, maxLength: 2 },
    ),
  ),
  r: fc.oneof(
    fc.constant(PLAIN),
    fc.array(fc.constantFrom(...WHITESPACE), { minLength: 1, maxLength: 8 }).map((gaps) => ({
      ...PLAIN,
      gaps,
    })),
    rendering,
  ),
}).map(({ event, changes, r }) => {
  const entries = entriesOf(event);
  for (const c of changes) {
    const i = entries.findIndex(([k]) => k === c.key);
    if (c.kind === "drop") {
      if (i >= 0) entries.splice(i, 1);
    } else if (c.kind === "set") {
      if (i >= 0) entries[i] = [c.key, c.value];
      else entries.push([c.key, c.value]);
    } else {
      entries.push([c.key, c.value]);
    }
  }
  return render(entries, r);
});

const INTERESTING = [...'"\\,:{}[]0123456789-+.eE \t\n\r'].map((c) => c.charCodeAt(0))
  .concat([0x00, 0x1f, 0x7f, 0x80, 0xc3, 0xa9, 0xef, 0xbb, 0xbf, 0xff]);

const mutations = fc.array(
  fc.record({
    kind: fc.constantFrom("replace", "insert", "delete", "truncate"),
    at: fc.nat(),
    byte: fc.oneof(
      fc.constantFrom(...INTERESTING),
      fc.integer({ min: 0x61, max: 0x7a }), // letters: a record that is still plain
      fc.integer({ min: 0, max: 255 }),
    ),
  }),
  { minLength: 1, maxLength: 2 },
);

function mutate(bytes: Uint8Array, ms: { kind: string; at: number; byte: number }[]): Uint8Array {
  const b = [...bytes];
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    if (m.kind === "replace" && at < b.length) b[at] = m.byte;
    else if (m.kind === "insert") b.splice(at, 0, m.byte);
    else if (m.kind === "delete") b.splice(at, 1);
    else if (m.kind === "truncate") b.length = at;
  }
  return Uint8Array.from(b);
}

const withField = (base: string, field: string, text: string) =>
  base.replace(new RegExp(`"${field}": [^,}]*`), `"${field}": ${text}`);

// ---- tests ---------------------------------------------------------------------------------

Deno.test("DecodedBatch.decode() takes the golden samples and the generator's records on the fast path", async (t) => {
  await t.step("the golden samples", () => {
    assert.deepEqual(same(GOLDEN.map((s) => enc.encode(s))), [FAST, FAST]);
  });
  await t.step("20,000 generator records, compact and in the original's spacing", () => {
    const gen = new SessionGenerator({ seed: 16 });
    const values: Uint8Array[] = [];
    for (let i = 0; i < 10_000; i++) {
      const event = gen.next();
      values.push(encodeEvent(event));
      values.push(enc.encode(render(entriesOf(event), { ...PLAIN, gaps: [" "] })));
    }
    const batch = new DecodedBatch();
    const statuses = same(values, batch);
    assert.equal(batch.fastCount, values.length);
    assert.ok(statuses.every((s) => s === FAST));
  });
});

Deno.test("the fast path gives the full path's verdict, reason and fields for every record", async (t) => {
  await t.step("escapes: valid through the full path, the same key bytes as unescaped", () => {
    assert.equal(one(withField(VIEW, "session_id", '"p3k9x\\u0030a1mz"')), FALLBACK);
    assert.equal(one(withField(VIEW, "url", '"\\/products?kQzRtB"')), FALLBACK);
    assert.equal(one(withField(VIEW, "url", '"/a\\"b\\\\c\\n"')), FALLBACK);
    assert.equal(one(withField(VIEW, "action", '"vi\\u0065w"')), FALLBACK);
    assert.equal(one(VIEW.replace('"user_id"', '"\\u0075ser_id"')), FALLBACK);
    assert.equal(one(withField(VIEW, "action", '"\\u0062uy"')), INVALID);
    // The same id through either path is the same key.
    const batch = new DecodedBatch();
    batch.decode(
      [VIEW, withField(VIEW, "session_id", '"\\u0070\\u0033k9x0a1mz"')].map((s) => enc.encode(s)),
    );
    assert.deepEqual([batch.status[0], batch.status[1]], [FAST, FALLBACK]);
    const key = (i: number) =>
      batch.bytes(i).slice(batch.sessionStart[i], batch.sessionStart[i] + batch.sessionLength[i]);
    assert.deepEqual(key(0), key(1));
    assert.equal(batch.sessionHash[0], batch.sessionHash[1]);
    // Lone surrogates: distinct ids stay distinct keys.
    const lone = ["\\ud800", "\\ud801", "\\udc00", "\\ufffd"].map((id) =>
      enc.encode(withField(VIEW, "session_id", `"${id}"`))
    );
    assert.deepEqual(same(lone, batch), [FALLBACK, FALLBACK, FALLBACK, FALLBACK]);
    const keys = new Set(lone.map((_, i) => key(i).join(",")));
    assert.equal(keys.size, lone.length);
  });

  await t.step("non-ASCII: UTF-8 text, invalid UTF-8, stray high bytes", () => {
    assert.equal(one(withField(VIEW, "url", '"/café-€-😀"')), FALLBACK);
    assert.equal(one(withField(PURCHASE, "session_id", '"ßession"')), FALLBACK);
    const v = enc.encode(VIEW);
    assert.equal(one(Uint8Array.from([...v.slice(0, 30), 0xc3, 0x28, ...v.slice(30)])), INVALID);
    assert.equal(one(Uint8Array.from([...v.slice(0, 30), 0xff, ...v.slice(30)])), INVALID);
    assert.equal(one(Uint8Array.from([...v.slice(0, 30), 0xc0, 0xaf, ...v.slice(30)])), INVALID); // overlong
    assert.equal(one(Uint8Array.from([0x80, 0x81, 0x9d])), INVALID);
    assert.equal(one(withField(VIEW, "url", '"a\u0080"')), FALLBACK);
  });

  await t.step("duplicate keys: JSON.parse keeps the last", () => {
    for (const key of KEYS) {
      const valid = enc.encode(PURCHASE);
      const event = JSON.parse(PURCHASE);
      const other = key === "action"
        ? '"click"'
        : typeof event[key] === "number"
        ? String(event[key] + 1)
        : '"other"';
      const first = PURCHASE.replace("{", `{"${key}": ${other}, `);
      const last = PURCHASE.replace(/}$/, `, "${key}": ${other}}`);
      const bad = PURCHASE.replace(/}$/, `, "${key}": null}`);
      assert.equal(one(valid), FAST);
      assert.equal(one(first), FALLBACK, first);
      assert.equal(one(last), key === "action" ? INVALID : FALLBACK, last); // click + amount
      assert.equal(one(bad), INVALID, bad);
    }
    const batch = new DecodedBatch();
    batch.decode([enc.encode(VIEW.replace(/}$/, ', "user_id": 5}'))]);
    assert.equal(batch.userId[0], 5);
  });

  await t.step("1e3 and other exponents", () => {
    for (const text of ["1e3", "1E3", "10e2", "1e+3", "1000e0", "1.5e3"]) {
      assert.equal(one(withField(VIEW, "user_id", text)), FALLBACK, text);
    }
    assert.equal(one(withField(VIEW, "timestamp", "1.764080412e9")), FALLBACK);
    assert.equal(one(withField(VIEW, "timestamp", "1.7640804125e9")), INVALID);
    assert.equal(one(withField(PURCHASE, "amount", "1.2999e2")), FALLBACK);
    assert.equal(one(withField(PURCHASE, "amount", "1e400")), INVALID);
    assert.equal(one(withField(PURCHASE, "amount", "1e-400")), INVALID);
    assert.equal(one(withField(PURCHASE, "amount", "5e-324")), FALLBACK);
    assert.equal(one(withField(VIEW, "user_id", "1e")), INVALID);
  });

  await t.step("-0 and other negatives", () => {
    assert.equal(one(withField(VIEW, "user_id", "-0")), INVALID);
    assert.equal(one(withField(VIEW, "timestamp", "-0")), INVALID);
    assert.equal(one(withField(PURCHASE, "amount", "-0")), INVALID);
    assert.equal(one(withField(PURCHASE, "amount", "-0.0")), INVALID);
    assert.equal(one(withField(PURCHASE, "amount", "-129.99")), INVALID);
    assert.equal(one(withField(VIEW, "user_id", "-5")), INVALID);
    assert.equal(one(withField(VIEW, "user_id", "- 5")), INVALID);
  });

  await t.step("leading zeros, and zero itself", () => {
    assert.equal(one(withField(VIEW, "user_id", "048213")), INVALID);
    assert.equal(one(withField(VIEW, "user_id", "0")), INVALID);
    assert.equal(one(withField(PURCHASE, "amount", "0129.99")), INVALID);
    assert.equal(one(withField(PURCHASE, "amount", "00.5")), INVALID);
    assert.equal(one(withField(PURCHASE, "amount", "0.5")), FAST);
    assert.equal(one(withField(PURCHASE, "amount", "0.05")), FAST);
    assert.equal(one(withField(PURCHASE, "amount", "0")), INVALID);
    assert.equal(one(withField(PURCHASE, "amount", "0.000")), INVALID);
  });

  await t.step("fractions where an integer is required", () => {
    assert.equal(one(withField(VIEW, "user_id", "48213.0")), FALLBACK);
    assert.equal(one(withField(VIEW, "user_id", "48213.5")), INVALID);
    assert.equal(one(withField(VIEW, "timestamp", "1764080412.000")), FALLBACK);
    assert.equal(one(withField(VIEW, "timestamp", "1764080412.5")), INVALID);
    assert.equal(one(withField(VIEW, "user_id", "48213.")), INVALID);
    assert.equal(one(withField(PURCHASE, "amount", "129.")), INVALID);
    assert.equal(one(withField(PURCHASE, "amount", ".99")), INVALID);
  });

  await t.step("huge values and the edges of the exact range", () => {
    const ids: [string, number][] = [
      ["9007199254740991", FAST],
      ["9007199254740990", FAST],
      ["9007199254740992", INVALID],
      ["9007199254740993", INVALID],
      ["9999999999999999", INVALID],
      ["10000000000000000", INVALID],
      ["99999999999999999999999", INVALID],
      ["1" + "0".repeat(400), INVALID],
    ];
    for (const [text, status] of ids) {
      assert.equal(one(withField(VIEW, "user_id", text)), status, text);
    }
    for (
      const [text, status] of [
        [MIN_TIMESTAMP, FAST],
        [MAX_TIMESTAMP, FAST],
        [MIN_TIMESTAMP - 1, INVALID],
        [MAX_TIMESTAMP + 1, INVALID],
        [1764080412000, INVALID],
      ]
    ) {
      assert.equal(one(withField(VIEW, "timestamp", String(text))), status, String(text));
    }
    const amounts: [string, number][] = [
      ["9007199254740991", FAST],
      ["9007199254740992", FALLBACK],
      ["900719925474099.1", FAST],
      ["900719925474099.2", FALLBACK],
      ["0.900719925474099", FAST],
      ["1.2345678901234567", FALLBACK],
      ["1.7976931348623157e308", FALLBACK],
      ["0.1", FAST],
      ["0.30000000000000004", FALLBACK],
      ["129.990", FAST],
    ];
    for (const [text, status] of amounts) {
      assert.equal(one(withField(PURCHASE, "amount", text)), status, text);
    }
  });

  await t.step("amounts: any decimal the fast path takes is JSON.parse's double", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^(0|[1-9][0-9]{0,17})(\.[0-9]{1,18})?$/, { size: "max" }),
        (text) => {
          one(withField(PURCHASE, "amount", text));
        },
      ),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: -20, max: 20 }),
        fc.integer({ min: 0, max: 16 }),
        (d, point) => {
          const digits = String(Number.MAX_SAFE_INTEGER + d);
          const text = point === 0 || point >= digits.length
            ? digits
            : `${digits.slice(0, point)}.${digits.slice(point)}`;
          one(withField(PURCHASE, "amount", text));
          one(withField(VIEW, "user_id", digits));
        },
      ),
      { numRuns: 500 },
    );
  });

  await t.step("unusual whitespace: tabs, newlines, CR, none at all, spaces around colons", () => {
    const event = JSON.parse(PURCHASE);
    for (const gap of [" ", "\t", "\n", "\r", "\r\n", "", "  \t\n ", " "]) {
      const text = render(entriesOf(event), { ...PLAIN, gaps: [gap] });
      assert.equal(one(text), FAST, JSON.stringify(text));
    }
    assert.equal(one(PURCHASE.replaceAll('":', '" : ')), FAST);
    assert.equal(one(PURCHASE.replaceAll(",", "\n,\n")), FAST);
    // What JSON does not call whitespace: a parse error, from the full path.
    for (const ws of ["\f", "\v", "\u00a0", "\u2028", "\ufeff", "\u0000"]) {
      assert.equal(one(PURCHASE.replace(", ", `,${ws}`)), INVALID, JSON.stringify(ws));
    }
    // Whitespace inside strings is part of the value (tabs are control characters).
    assert.equal(one(withField(VIEW, "url", '" /a b "')), FAST);
    assert.equal(one(withField(VIEW, "url", '"/a\tb"')), INVALID);
  });

  await t.step("unknown extra fields: valid and ignored, through the full path", () => {
    assert.equal(one(VIEW.replace("}", ', "referrer": "/x"}')), FALLBACK);
    assert.equal(one(VIEW.replace("{", '{"schema_version": 3, ')), FALLBACK);
    assert.equal(one(VIEW.replace("}", ', "nested": {"user_id": 1, "a": [1, {}]}}')), FALLBACK);
    assert.equal(one(VIEW.replace("}", ', "__proto__": {"x": 1}}')), FALLBACK);
    assert.equal(one(VIEW.replace("}", ', "amount ": 5}')), FALLBACK);
  });

  await t.step("unknown shapes: arrays, nested objects, null, scalars", () => {
    for (
      const text of [
        `[${VIEW}]`,
        "[]",
        "null",
        "true",
        "42",
        '"a string"',
        "{}",
        `{"event": ${VIEW}}`,
        withField(VIEW, "user_id", "[48213]"),
        withField(VIEW, "user_id", '{"id": 1}'),
        withField(VIEW, "url", "null"),
        withField(VIEW, "session_id", "42"),
        withField(VIEW, "action", '["view"]'),
        withField(PURCHASE, "amount", '"129.99"'),
        withField(PURCHASE, "amount", "null"),
        withField(PURCHASE, "amount", "true"),
      ]
    ) {
      assert.equal(one(text), INVALID, text);
    }
  });

  await t.step("bad records: every reason of the schema", () => {
    const cases: [string, Value][] = [
      ["too_large", enc.encode(VIEW.replace("}", `, "pad": "${"x".repeat(MAX_RECORD_BYTES)}"}`))],
      ["not_utf8", Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d])],
      ["not_json", enc.encode(VIEW.slice(0, 40))],
      ["not_json", null],
      ["not_json", undefined],
      ["not_json", new Uint8Array()],
      ["not_object", enc.encode(`[${VIEW}]`)],
      ["missing_field", enc.encode(VIEW.replace('"url": "/products?kQzRtB", ', ""))],
      ["wrong_type", enc.encode(withField(VIEW, "user_id", '"48213"'))],
      ["invalid_value", enc.encode(withField(VIEW, "url", '""'))],
      ["out_of_range", enc.encode(withField(VIEW, "timestamp", "0"))],
      ["unknown_action", enc.encode(withField(VIEW, "action", '"buy"'))],
      ["amount_required", enc.encode(PURCHASE.replace(', "amount": 129.99', ""))],
      ["amount_forbidden", enc.encode(VIEW.replace("}", ', "amount": 5}'))],
    ];
    const statuses = same(cases.map(([, v]) => v));
    assert.ok(statuses.every((s) => s === INVALID));
    cases.forEach(([reason], i) => assert.equal(shared.error(i)?.reason, reason, reason));
    assert.deepEqual(new Set(cases.map(([r]) => r)), new Set(EVENT_ERROR_REASONS));
  });

  await t.step("lengths at the bounds of url and session_id", () => {
    assert.equal(one(withField(VIEW, "url", `"${"u".repeat(MAX_URL_LENGTH)}"`)), FAST);
    assert.equal(one(withField(VIEW, "url", `"${"u".repeat(MAX_URL_LENGTH + 1)}"`)), INVALID);
    assert.equal(one(withField(VIEW, "session_id", `"${"s".repeat(MAX_ID_LENGTH)}"`)), FAST);
    assert.equal(one(withField(VIEW, "session_id", `"${"s".repeat(MAX_ID_LENGTH + 1)}"`)), INVALID);
    assert.equal(one(withField(VIEW, "session_id", '""')), INVALID);
  });

  await t.step("truncated JSON: every prefix of the samples", () => {
    for (const line of GOLDEN) {
      const statuses = same(
        Array.from({ length: line.length }, (_, i) => enc.encode(line.slice(0, i))),
      );
      assert.ok(statuses.every((s) => s === INVALID));
    }
    assert.equal(one(VIEW + "}"), INVALID);
    assert.equal(one(VIEW + " x"), INVALID);
    assert.equal(one(VIEW.replace("}", ",}")), INVALID);
  });

  await t.step("a byte-order mark: TextDecoder drops it, the full path accepts", () => {
    assert.equal(one(Uint8Array.from([0xef, 0xbb, 0xbf, ...enc.encode(VIEW)])), FALLBACK);
    assert.equal(one(Uint8Array.from([0x20, 0xef, 0xbb, 0xbf, ...enc.encode(VIEW)])), INVALID);
  });

  await t.step("over 64 KiB: exactly the limit is fine, one byte more is too_large", () => {
    const pad = (total: number) => VIEW.replace("}", " ".repeat(total - VIEW.length) + "}");
    assert.equal(enc.encode(pad(MAX_RECORD_BYTES)).byteLength, MAX_RECORD_BYTES);
    assert.equal(one(pad(MAX_RECORD_BYTES)), FAST);
    assert.equal(one(pad(MAX_RECORD_BYTES + 1)), INVALID);
    assert.equal(shared.error(0)?.reason, "too_large");
  });

  await t.step("random records: fields changed, dropped, duplicated, added, reformatted", () => {
    fc.assert(fc.property(recordText, (text) => void one(text)), { numRuns: 6000 });
  });

  await t.step("mutated records: bytes replaced, inserted, deleted, cut", () => {
    fc.assert(
      fc.property(recordText, mutations, (text, ms) => void one(mutate(enc.encode(text), ms))),
      { numRuns: 6000 },
    );
  });

  await t.step("random bytes and random JSON values", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => void one(b)), {
      numRuns: 2000,
    });
    fc.assert(
      fc.property(fc.jsonValue(), (v) => void one(JSON.stringify(v))),
      { numRuns: 2000 },
    );
  });
});

Deno.test("DecodedBatch.decode() reads views at any byteOffset, mixed batches, reused batches", async (t) => {
  await t.step("records as views into one buffer, between other bytes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.oneof(recordText, fc.constantFrom(...GOLDEN)), fc.nat(7)), {
          minLength: 1,
          maxLength: 40,
          size: "max",
        }),
        (parts) => {
          const texts = parts.map(([text, pad]) => ({ bytes: enc.encode(text), pad }));
          const total = texts.reduce((n, p) => n + p.pad + p.bytes.byteLength, 0);
          const buffer = new Uint8Array(total).fill(0x7d); // "}" around every view
          const views: Uint8Array[] = [];
          let offset = 0;
          for (const { bytes, pad } of texts) {
            offset += pad;
            buffer.set(bytes, offset);
            views.push(buffer.subarray(offset, offset + bytes.byteLength));
            offset += bytes.byteLength;
          }
          same(views);
          // The batch entry point gives tryDecodeEvents' results too.
          const batch = shared;
          tryDecodeEvents(views).forEach((r, i) => assert.equal(r.ok, batch.isValid(i)));
        },
      ),
      { numRuns: 300 },
    );
  });

  await t.step(
    "decodeIn(): values in one buffer by start and length, tombstones, a first row",
    () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.tuple(fc.oneof(recordText, fc.constantFrom(...GOLDEN)), fc.nat(7), fc.nat(9)),
            { minLength: 1, maxLength: 40, size: "max" },
          ),
          fc.nat(3),
          (parts, from) => {
            const texts = parts.map(([text, pad, k]) => ({ bytes: enc.encode(text), pad, k }));
            const total = texts.reduce((n, p) => n + p.pad + p.bytes.byteLength, 0);
            const buffer = new Uint8Array(total).fill(0x7d); // "}" around every value
            const n = from + texts.length;
            const start = new Int32Array(n).fill(-5), length = new Int32Array(n).fill(-5);
            const values: Value[] = [];
            let offset = 0;
            for (const [j, { bytes, pad, k }] of texts.entries()) {
              offset += pad;
              buffer.set(bytes, offset);
              const tombstone = k === 0;
              start[from + j] = offset;
              length[from + j] = tombstone ? -1 : bytes.byteLength;
              values.push(tombstone ? null : buffer.subarray(offset, offset + bytes.byteLength));
              offset += bytes.byteLength;
            }
            const batch = new DecodedBatch({ capacity: 1 });
            batch.decodeIn(buffer, start, length, from, texts.length);
            assert.equal(batch.length, texts.length);
            for (let i = 0; i < texts.length; i++) {
              assert.deepEqual(rowOutcome(batch, i), slowOutcome(values[i]), `row ${i}`);
              if (batch.status[i] === ROW_FAST) assert.equal(batch.bytes(i), buffer);
            }
            const statuses = [...batch.status.subarray(0, texts.length)];
            assert.deepEqual(statuses, same(values));
          },
        ),
        { numRuns: 300 },
      );
    },
  );

  await t.step("a batch reused for larger, smaller and emptier inputs", () => {
    const batch = new DecodedBatch({ capacity: 2 });
    const big = Array.from({ length: 3000 }, (_, i) =>
      enc.encode(
        i % 7 === 0
          ? withField(VIEW, "session_id", `"s\\u00e9${i}"`)
          : i % 11 === 0
          ? "not json"
          : withField(VIEW, "session_id", `"s${i}"`),
      ));
    same(big, batch);
    assert.ok(batch.capacity >= 3000);
    assert.equal(batch.status[11], ROW_INVALID);
    assert.equal(batch.status[14], ROW_FALLBACK_VALID);
    // Reused: the rows that fell back before are fast now, their side entries gone.
    same(Array.from({ length: 20 }, () => enc.encode(VIEW)), batch);
    assert.equal(batch.length, 20);
    assert.equal(batch.error(11), undefined);
    assert.equal(batch.sessionId(14), "p3k9x0a1mz");
    same([], batch);
    assert.equal(batch.length, 0);
    assert.equal(batch.isValid(0), false);
    assert.throws(() => batch.url(0), /Row 0 is not in the batch/);
  });

  await t.step("decodeRecord() alone: the fast verdict for one row, nothing settled", () => {
    const batch = new DecodedBatch({ capacity: 1 });
    assert.equal(decodeRecord(enc.encode(PURCHASE), batch, 0), true);
    assert.equal(batch.status[0], ROW_FAST);
    assert.equal(batch.amount[0], 129.99);
    assert.equal(decodeRecord(enc.encode(VIEW.replace("}", ', "x": 1}')), batch, 0), false);
    assert.equal(batch.status[0], ROW_NEEDS_FALLBACK);
  });

  await t.step("a bad capacity is refused, naming it", () => {
    assert.throws(() => new DecodedBatch({ capacity: 0 }), /capacity 0/);
    assert.throws(() => new DecodedBatch({ capacity: 1.5 }), /capacity 1.5/);
  });
});
