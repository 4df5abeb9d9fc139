/**
 * The one error class of the event model. Every way a record can break the wire format maps to
 * an {@linkcode EventValidationError} carrying a machine-readable reason (used as the
 * dead-letter header and as a metrics label) and the field it concerns.
 *
 * @module
 */

/** Why a record is not a valid event. Stable strings: they appear in DLQ headers and metrics. */
export type EventErrorReason =
  | "too_large"
  | "not_utf8"
  | "not_json"
  | "not_object"
  | "missing_field"
  | "wrong_type"
  | "invalid_value"
  | "out_of_range"
  | "unknown_action"
  | "amount_required"
  | "amount_forbidden";

/** Every reason, in a stable order (for metrics that pre-declare their label values). */
export const EVENT_ERROR_REASONS: readonly EventErrorReason[] = [
  "too_large",
  "not_utf8",
  "not_json",
  "not_object",
  "missing_field",
  "wrong_type",
  "invalid_value",
  "out_of_range",
  "unknown_action",
  "amount_required",
  "amount_forbidden",
];

/** Options of {@linkcode EventValidationError}. */
export interface EventValidationErrorOptions {
  /**
   * The offending field, or `null` when the record as a whole is bad.
   *
   * @default {null}
   */
  field?: string | null;
  /** The underlying error, if any. */
  cause?: unknown;
}

/** A record that is not a valid clickstream event; names the field and the reason. */
export class EventValidationError extends Error {
  /** Machine-readable reason. */
  readonly reason: EventErrorReason;
  /** The offending field, or `null` for the record as a whole. */
  readonly field: string | null;

  /** Creates the error; `message` is the human sentence, e.g. "timestamp is out of range". */
  constructor(
    reason: EventErrorReason,
    message: string,
    options: EventValidationErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "EventValidationError";
    this.reason = reason;
    this.field = options.field ?? null;
  }
}
