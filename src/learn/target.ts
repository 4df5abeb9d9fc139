/**
 * What the model learns: `purchase`, the binary purchase propensity (logistic regression, any
 * mode), or `action`, the next action's class over `ACTIONS` (softmax regression, AdaGrad only).
 *
 * @module
 */

/** The learning targets. */
export const TARGETS = ["purchase", "action"] as const;

/** One of {@linkcode TARGETS}. */
export type Target = typeof TARGETS[number];

/** The default target: the purchase propensity. */
export const DEFAULT_TARGET: Target = "purchase";
