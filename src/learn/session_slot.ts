/**
 * Where a session's fields lie in its `SessionStore` slot (`session_store.ts`): the
 * {@linkcode SlotShape} of a layout. A slot is `stride` float64 words of one `ArrayBuffer`, seen
 * both as a `Float64Array` (`f`) and as an `Int32Array` (`u`) over the same bytes. The fields
 * that hold times and amounts are float64 words, first, in field order (`start`, `last`, then
 * the layout's); the fields that hold whole numbers — the event count, counts by action, a
 * page class, a window's count — are int32 words after them, in field order (`count`, then the
 * layout's {@linkcode SessionLayout.integers}), half the bytes of a float64 each. For a slot at
 * float64 index `s`, float field `x` is `f[s + at(x)]` and integer field `n` is
 * `u[2 * s + at(n)]`: one cache line, one base, the offsets constants of the layout.
 *
 * The values are the same numbers as in float64 slots, bit for bit as states and checkpoints
 * carry them (as float64), as long as an integer field stays within `0 ..`
 * {@linkcode MAX_WHOLE}: counts saturate there (a session of more than 2.1 billion events)
 * instead of wrapping.
 *
 * @module
 */

import { CORE_FIELDS, CORE_INTEGERS, type SessionLayout } from "./session_layout.ts";

/** The largest value of an integer field: counts stop there. */
export const MAX_WHOLE = 0x7fff_ffff;

/** The arrangement of a layout's fields in a slot; see the module documentation. */
export interface SlotShape {
  /** Float64 words per slot (the integer words rounded up to whole float64 words). */
  readonly stride: number;
  /** Every field, the core ones first: the order of states and checkpoints. */
  readonly fields: readonly string[];
  /** Per field (in `fields` order): whether it is an integer (a int32 word). */
  readonly integer: readonly boolean[];
  /**
   * Per field (in `fields` order): its offset from the slot's base — in float64 words for a
   * float field (`f[s + at]`), in int32 words from `2 * s` for an integer one (`u[2 * s + at]`).
   */
  readonly at: readonly number[];
  /** `at` by field name. */
  readonly offsets: Readonly<Record<string, number>>;
}

/**
 * The slot shape of a layout whose own fields are `fields`, of which `integers` are whole
 * numbers (the core fields come first: {@linkcode CORE_FIELDS}, `count` an integer).
 *
 * @throws {TypeError} if an integer is not one of the fields, or a name repeats
 */
export function slotShape(fields: readonly string[], integers: readonly string[] = []): SlotShape {
  const all = [...CORE_FIELDS, ...fields];
  const whole = new Set<string>([...CORE_INTEGERS, ...integers]);
  if (new Set(all).size !== all.length) {
    throw new TypeError(`Cannot lay out session fields ${all.join(", ")}: a name repeats.`);
  }
  for (const name of integers) {
    if (!fields.includes(name)) {
      throw new TypeError(
        `Cannot lay out session fields ${all.join(", ")}: integer field ${
          JSON.stringify(name)
        } is not one of them.`,
      );
    }
  }
  const integer = all.map((name) => whole.has(name));
  const floats = integer.filter((i) => !i).length;
  let nextFloat = 0, nextWord = 2 * floats;
  const at = integer.map((i) => i ? nextWord++ : nextFloat++);
  return Object.freeze({
    stride: Math.ceil(nextWord / 2),
    fields: Object.freeze(all),
    integer: Object.freeze(integer),
    at: Object.freeze(at),
    offsets: Object.freeze(Object.fromEntries(all.map((name, j) => [name, at[j]]))),
  });
}

/** The slot shape of `layout` (see {@linkcode slotShape}). */
export function layoutShape(layout: SessionLayout): SlotShape {
  return slotShape(layout.fields, layout.integers);
}

/**
 * Writes one session's numbers in state order — `values[at .. at + shape.fields.length)`, as
 * states and checkpoints hold them — into the slot at float64 index `s` of `f` / `u` (the same
 * buffer). An integer field's value above {@linkcode MAX_WHOLE} is stored as `MAX_WHOLE` (where
 * counts saturate).
 *
 * @throws {TypeError} if an integer field's value is not a whole number ≥ 0 (naming session
 * `id`, the field and the value)
 */
export function writeSlot(
  shape: SlotShape,
  f: Float64Array,
  u: Int32Array,
  s: number,
  values: ArrayLike<number>,
  at: number,
  id: string,
): void {
  const integer = shape.integer, offsets = shape.at;
  for (let j = 0; j < integer.length; j++) {
    const v = values[at + j];
    if (!integer[j]) {
      f[s + offsets[j]] = v;
    } else if (Number.isInteger(v) && v >= 0) {
      u[2 * s + offsets[j]] = v < MAX_WHOLE ? v : MAX_WHOLE;
    } else {
      throw new TypeError(
        `Cannot restore session ${JSON.stringify(id)}: its ${
          shape.fields[j]
        } ${v} is not a whole number ≥ 0.`,
      );
    }
  }
}

/**
 * Reads the slot at float64 index `s` of `f` / `u` into `out[at .. at + shape.fields.length)`,
 * in state order, each field as a float64 (an integer's value exactly).
 */
export function readSlot(
  shape: SlotShape,
  f: Float64Array,
  u: Int32Array,
  s: number,
  out: { [i: number]: number },
  at: number,
): void {
  const integer = shape.integer, offsets = shape.at;
  for (let j = 0; j < integer.length; j++) {
    out[at + j] = integer[j] ? u[2 * s + offsets[j]] : f[s + offsets[j]];
  }
}
