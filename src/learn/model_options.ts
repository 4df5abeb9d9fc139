/**
 * The options, state and coefficient types of the purchase-propensity model
 * (`model.ts`), and its modes.
 *
 * @module
 */

import type { AdaGradOptions, AdaGradState, StepScales } from "./adagrad.ts";
import type { DriftDetector, OnDrift } from "./drift.ts";
import type { FtrlOptions, FtrlState } from "./ftrl.ts";
import type { SeedOptions, SeedState } from "./seed.ts";
import type { StandardizerState } from "./standardizer.ts";

/** The learning modes. */
export const MODES = ["seed", "adagrad", "ftrl"] as const;

/** One of {@linkcode MODES}. */
export type Mode = typeof MODES[number];

/**
 * The modes whose model is a function of the events alone, one update per event: where batch
 * boundaries fall changes nothing (`seed` fits its first batch whole, then steps once per batch).
 * `learn`'s replicas, whose batch boundaries differ, take only these.
 */
export const PER_EVENT_MODES = ["adagrad", "ftrl"] as const satisfies readonly Mode[];

/** One of {@linkcode PER_EVENT_MODES}. */
export type PerEventMode = typeof PER_EVENT_MODES[number];

/** The default mode: the best prequential log loss (tied with `ftrl`) at the best speed. */
export const DEFAULT_MODE: Mode = "adagrad";

/** Options of {@linkcode LogisticModel}. */
export interface ModelOptions {
  /** Learning mode. Default {@linkcode DEFAULT_MODE}. */
  mode?: Mode;
  /** Options of `adagrad` mode (see {@linkcode AdaGradOptions} for their defaults). */
  adagrad?: AdaGradOptions;
  /** Options of `ftrl` mode (see {@linkcode FtrlOptions}). */
  ftrl?: FtrlOptions;
  /** Options of `seed` mode (see {@linkcode SeedOptions}). */
  seed?: SeedOptions;
  /**
   * The weight of a purchase's loss in training (`--class-weight purchase=W`; the others weigh
   * 1), `adagrad` mode only. What is scored and served is the prior-corrected probability
   * `sigmoid(logit − ln W)`, so the metrics are of calibrated probabilities. Default `1`.
   */
  classWeight?: number;
  /**
   * Coordinates of the rows' sparse part (a feature set's `urlBuckets`).
   * @default {0}
   */
  sparseWidth?: number;
  /**
   * The dense features passed to the optimizer unstandardized (a feature set's `unscaled`).
   * @default {[]}
   */
  unscaled?: readonly number[];
  /**
   * Per-coordinate multipliers of the learning rate of `adagrad` and `ftrl` (a feature set's
   * `stepScales`). Default: 1 everywhere.
   */
  stepScales?: StepScales | null;
}

/** The plain JSON-able state of a {@linkcode LogisticModel}. */
export interface ModelState {
  /** The state's format version. */
  version: 1;
  /** The learning mode. */
  mode: Mode;
  /** Names of the row's features, in order. */
  featureNames: string[];
  /** Events processed. */
  events: number;
  /** The online standardizer. */
  standardizer: StandardizerState;
  /** The optimizer of `mode`. */
  optimizer: AdaGradState | FtrlState | SeedState;
  /** The purchase class weight; absent means 1. */
  classWeight?: number;
  /** Coordinates of the sparse part; absent means 0. */
  sparseWidth?: number;
}

/** Coefficients of the model, in standardized and in raw feature units. */
export interface Coefficients {
  /** Feature names, in order. */
  names: string[];
  /** Weights on standardized features. */
  weights: number[];
  /** Intercept on standardized features. */
  intercept: number;
  /** The same model on raw features: `weights[j] · scale[j]` (`scale = 1 / sd`). */
  rawWeights: number[];
  /** The same model's raw intercept: `intercept − Σ weights[j] · scale[j] · mean[j]`. */
  rawIntercept: number;
}

/** Options of {@linkcode LogisticModel.processBatch}. */
export interface ProcessOptions {
  /**
   * A drift detector fed each event's prequential log loss, in order. Default: none (no drift
   * detection, no per-event loss computed).
   */
  drift?: DriftDetector;
  /** What to do when `drift` signals: see {@linkcode LogisticModel.adapt}. Default `"none"`. */
  onDrift?: OnDrift;
  /** The factor of a `boost` (see {@linkcode LogisticModel.adapt}). Default `0`. */
  boostFactor?: number;
  /**
   * Where to write each event's prequential log loss (`losses[i]` for event `i`, at least the
   * batch's length), the value the drift detector reads — so that the metrics need not compute
   * it again (`PrequentialMetrics.addBatch`). Default: none.
   */
  losses?: Float64Array;
}
