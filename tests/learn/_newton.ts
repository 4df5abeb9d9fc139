/**
 * Test helper: a fixed, seeded logistic data set and an independent Newton's-method fit written
 * in plain `number[]` code, to check the library's fit against.
 *
 * @module
 */

import { Random } from "../../src/util/random.ts";
import { sigmoid } from "../../src/learn/logistic.ts";

/** A fixed, seeded data set: `n` rows of `d` features, labels from a known logistic model. */
export function dataset(n: number, d: number, seed: number) {
  const r = new Random(seed);
  const rows = new Float64Array(n * d);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let z = -0.5;
    for (let j = 0; j < d; j++) {
      const x = (r.next() - 0.5) * 4 + j;
      rows[i * d + j] = x;
      z += (j % 2 === 0 ? 0.8 : -0.6) * x;
    }
    labels[i] = r.next() < sigmoid(z) ? 1 : 0;
  }
  return { rows, labels, length: n, width: d };
}

/** Independent Newton's method in plain number[] code, to a step below 1e-9 (here 1e-13). */
export function newton(data: ReturnType<typeof dataset>, l2 = 0): number[] {
  const { rows, labels, length: n, width: d } = data;
  const m = d + 1;
  let w: number[] = new Array(m).fill(0);
  for (let it = 0; it < 200; it++) {
    const g: number[] = new Array(m).fill(0);
    const h: number[][] = Array.from({ length: m }, () => new Array(m).fill(0));
    for (let i = 0; i < n; i++) {
      const x = [...Array.from(rows.subarray(i * d, i * d + d)), 1];
      const p = 1 / (1 + Math.exp(-x.reduce((s, v, j) => s + v * w[j], 0)));
      for (let a = 0; a < m; a++) {
        g[a] += (p - labels[i]) * x[a] / n;
        for (let b = 0; b < m; b++) h[a][b] += p * (1 - p) * x[a] * x[b] / n;
      }
    }
    for (let a = 0; a < d; a++) {
      g[a] += l2 * w[a];
      h[a][a] += l2;
    }
    // Gaussian elimination with partial pivoting on [h | g]
    const A = h.map((row, a) => [...row, g[a]]);
    for (let c = 0; c < m; c++) {
      let piv = c;
      for (let r = c + 1; r < m; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
      [A[c], A[piv]] = [A[piv], A[c]];
      for (let r = 0; r < m; r++) {
        if (r === c) continue;
        const f = A[r][c] / A[c][c];
        for (let k = c; k <= m; k++) A[r][k] -= f * A[c][k];
      }
    }
    const step = A.map((row, a) => row[m] / A[a][a]);
    w = w.map((v, a) => v - step[a]);
    if (Math.max(...step.map(Math.abs)) < 1e-13) break;
  }
  return w;
}
