/**
 * A featurize worker module that fails with an uncaught error as it loads: what
 * `featurize_worker_client_test.ts` starts in place of `src/stream/featurize_worker.ts`.
 *
 * @module
 */
throw new Error("this worker fails as it loads");
