"""River's side of bench/river.ts: prequential logistic regression over exported events.

Reads the JSON lines of bench/river/export.ts ({"x": {...}, "y": 0|1, "p": truth}) from
--input and runs, for each learning rate of --lrs, the pipeline

    preprocessing.StandardScaler() | linear_model.LogisticRegression(optimizer=optim.AdaGrad(lr))

or, when the events carry hashed url buckets (keys "h<i>": +-1, a feature set with a sparse
part), with the scaler over the dense features only and the buckets passed through as they are,
as our learner does: a bucket's value is the same sign at every event of its paths, so a scaler
would turn it into 0 (zero variance) and River would learn nothing from it:

    (Select(*dense) | StandardScaler()) + Discard(*dense) | LogisticRegression(AdaGrad(lr))

prequentially: for every event in order, predict_proba_one(x) first, then learn_one(x, y).
All models see the same events: the file is read in chunks of --chunk lines, each chunk is
parsed once (not timed), and then every model runs over the chunk in turn; only that loop
(predict, loss, learn) is timed, by wall clock (perf_counter) and by the process's CPU time
(process_time). The log loss clamps probabilities to [1e-15, 1 - 1e-15], as
src/learn/logistic.ts does. Prints one JSON object on stdout.
"""

import argparse
import json
import math
import sys
import time

import re

import river
from river import compose, linear_model, optim, preprocessing

FLOOR = 1e-15
HASHED = re.compile(r"^h[0-9]+$")


def log_loss(p, y):
    q = FLOOR if p < FLOOR else (1 - FLOOR if p > 1 - FLOOR else p)
    return -math.log(q) if y else -math.log(1 - q)


def make_model(lr, dense):
    """The pipeline for learning rate lr; dense: the dense feature names, or None (all dense)."""
    scaled = preprocessing.StandardScaler()
    if dense is not None:
        scaled = (compose.Select(*dense) | scaled) + compose.Discard(*dense)
    return scaled | linear_model.LogisticRegression(optimizer=optim.AdaGrad(lr))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="the JSON lines file")
    parser.add_argument("--lrs", required=True, help="comma-separated AdaGrad learning rates")
    parser.add_argument("--chunk", type=int, default=10000, help="lines parsed at a time")
    args = parser.parse_args()
    lrs = [float(v) for v in args.lrs.split(",")]
    if not lrs or any(not (lr > 0 and math.isfinite(lr)) for lr in lrs):
        sys.exit(f"--lrs {args.lrs}: expected positive learning rates")
    if args.chunk < 1:
        sys.exit(f"--chunk {args.chunk}: expected a positive integer")

    models = None
    pipeline = "StandardScaler | LogisticRegression(AdaGrad)"
    loss = [0.0] * len(lrs)
    wall = [0.0] * len(lrs)
    cpu = [0.0] * len(lrs)
    events = positives = 0
    bayes = 0.0
    parse = 0.0
    with open(args.input, "r", encoding="utf-8") as f:
        while True:
            t0 = time.perf_counter()
            lines = [line for _, line in zip(range(args.chunk), f)]
            if not lines:
                break
            rows = []
            for n, line in enumerate(lines):
                try:
                    e = json.loads(line)
                    rows.append((e["x"], e["y"] == 1, e["p"]))
                except (ValueError, KeyError) as error:
                    sys.exit(f"line {events + n + 1} of {args.input}: {error}: {line[:200]!r}")
            parse += time.perf_counter() - t0
            if models is None:
                # dense features are in every event; the buckets (h<i>) vary
                dense = [k for k in rows[0][0] if not HASHED.match(k)]
                hashed = any(HASHED.match(k) for x, _, _ in rows for k in x)
                models = [make_model(lr, dense if hashed else None) for lr in lrs]
                if hashed:
                    pipeline = (
                        "(Select(dense) | StandardScaler) + Discard(dense) | "
                        "LogisticRegression(AdaGrad)"
                    )
            for _, y, p in rows:
                bayes += log_loss(p, y)
                positives += y
            events += len(rows)
            for k, model in enumerate(models):
                s = 0.0
                w0, c0 = time.perf_counter(), time.process_time()
                for x, y, _ in rows:
                    s += log_loss(model.predict_proba_one(x).get(True, 0.0), y)
                    model.learn_one(x, y)
                wall[k] += time.perf_counter() - w0
                cpu[k] += time.process_time() - c0
                loss[k] += s
    if events == 0:
        sys.exit(f"{args.input} holds no events")
    r = positives / events
    constant = 0.0 if r in (0, 1) else -(r * math.log(r) + (1 - r) * math.log(1 - r))
    json.dump(
        {
            "river": river.__version__,
            "python": sys.version.split()[0],
            "pipeline": pipeline,
            "events": events,
            "positives": positives,
            "bayesLogLoss": bayes / events,
            "constantLogLoss": constant,
            "parseSeconds": parse,
            "runs": [
                {
                    "lr": lr,
                    "logLoss": loss[k] / events,
                    "seconds": wall[k],
                    "cpuSeconds": cpu[k],
                }
                for k, lr in enumerate(lrs)
            ],
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
