/**
 * What a feature-log learner's served snapshot says of its model, for tests that hold two
 * learners to each other (`tests/stream/log_learner_test.ts`, `tests/cli/learn_recycle_kafka_test.ts`).
 *
 * @module
 */

import type { FeatureLogLearner } from "../../src/stream/log_learner.ts";

/** The weights, intercept, update count, events trained, log loss and AUC of `learner`'s snapshot. */
export function learnerModel(learner: FeatureLogLearner) {
  const s = learner.snapshot;
  return {
    weights: s.weights,
    intercept: s.intercept,
    updates: s.updates,
    events: s.eventsTrained,
    logLoss: s.cumulative.logLoss,
    auc: s.cumulative.auc,
  };
}
