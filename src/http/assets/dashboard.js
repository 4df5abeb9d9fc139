// The dashboard's script: plain browser JavaScript, no build step, embedded into the page by
// src/http/dashboard.ts after uPlot. It opens `GET /events` (server-sent events), appends each
// message's new history points to the uPlot charts' data arrays, and redraws the cards and the
// weights table. `globalThis.dashboard` exposes the uPlot instances (`plots`) and the last message
// for tests and for the curious.
(() => {
  "use strict";
  const MAX_POINTS = 2000;
  const COLORS = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#393b79",
    "#637939",
    "#843c39",
  ];
  // Batch ids are integers: x-axis ticks at 1, 2, 5, 10, 20, 50, ... batches.
  const BATCH_STEPS = [1, 2, 5].flatMap((m) => [1, 10, 100, 1e3, 1e4, 1e5, 1e6].map((p) => m * p))
    .sort((a, b) => a - b);
  const $ = (id) => document.getElementById(id);
  const state = { plots: {}, last: null, messages: 0, drifts: [], clockOffset: 0 };
  globalThis.dashboard = state;

  const num = (v) => (v === null || v === undefined || Number.isNaN(v) ? null : v);
  const fixed = (v, d) => (num(v) === null ? "–" : v.toFixed(d));
  const count = (v) => {
    if (num(v) === null) return "–";
    if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(2) + "M";
    if (Math.abs(v) >= 1e4) return (v / 1e3).toFixed(1) + "k";
    return String(Math.round(v));
  };
  // Axis ticks: short (1.2k, 3M), at most 4 significant digits.
  const tick = (v) => {
    if (v === null) return "";
    const a = Math.abs(v);
    if (a >= 1e6) return +(v / 1e6).toPrecision(3) + "M";
    if (a >= 1e4) return +(v / 1e3).toPrecision(3) + "k";
    return String(+v.toPrecision(4));
  };
  const age = (ms) => {
    if (ms === null) return "never";
    const s = Math.max(0, Math.round(ms / 1000));
    return s < 120 ? s + " s ago" : Math.round(s / 60) + " min ago";
  };

  // Vertical dashed lines at the batches where a drift was detected.
  const driftMarkers = {
    hooks: {
      draw: [(u) => {
        const ctx = u.ctx, { left, top, width, height } = u.bbox;
        ctx.save();
        ctx.strokeStyle = "#d62728";
        ctx.lineWidth = 2 * devicePixelRatio;
        ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
        for (const d of state.drifts) {
          const x = Math.round(u.valToPos(d.batchId, "x", true));
          if (x < left || x > left + width) continue;
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
        }
        ctx.restore();
      }],
    },
  };

  // Chart definitions: the history fields each series reads.
  const CHARTS = [
    {
      key: "loss",
      series: [
        { label: "model", field: "rollingLogLoss", color: "#1f77b4", width: 2 },
        { label: "constant rate", field: "rollingConstantLogLoss", color: "#7f7f7f", dash: [5, 5] },
        { label: "best possible", field: "rollingBayesLogLoss", color: "#2ca02c", dash: [2, 3] },
      ],
    },
    { key: "auc", series: [{ label: "AUC", field: "rollingAuc", color: "#9467bd", width: 2 }] },
    {
      key: "rate",
      series: [{ label: "events/s", field: "eventsPerSecond", color: "#ff7f0e", width: 2 }],
    },
    { key: "lag", series: [{ label: "lag", field: "lag", color: "#8c564b", width: 2 }] },
    {
      key: "bad",
      series: [{ label: "bad records", field: "badRecords", color: "#d62728", width: 2 }],
    },
  ];

  function chartSize(el) {
    const width = Math.max(200, Math.floor(el.clientWidth));
    return { width, height: globalThis.innerWidth < 600 ? 170 : 210 };
  }

  function makePlot(key, series) {
    const el = $("chart-" + key);
    el.textContent = "";
    const opts = {
      ...chartSize(el),
      legend: { live: false },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false } },
      axes: [
        {
          label: "batch",
          labelSize: 16,
          incrs: BATCH_STEPS,
          size: 32,
          stroke: "#555",
          grid: { stroke: "#eee" },
        },
        {
          size: 58,
          stroke: "#555",
          grid: { stroke: "#eee" },
          values: (_u, splits) => splits.map(tick),
        },
      ],
      series: [
        { label: "batch" },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.width ?? 1.5,
          dash: s.dash,
          spanGaps: false,
          points: { show: false },
        })),
      ],
      plugins: [driftMarkers],
    };
    const data = [[], ...series.map(() => [])];
    const plot = new uPlot(opts, data, el);
    plot.fields = series.map((s) => s.field);
    plot.autoHidden = new Set();
    state.plots[key] = plot;
    return plot;
  }

  function ensurePlots(names) {
    if (!state.plots.weights) {
      makePlot(
        "weights",
        [...names, "intercept"].map((name, i) => ({
          label: name,
          field: i < names.length ? i : "intercept",
          color: COLORS[i % COLORS.length],
          width: i < names.length ? 1.5 : 2,
          dash: i < names.length ? undefined : [4, 3],
        })),
      );
      for (const c of CHARTS) makePlot(c.key, c.series);
    }
  }

  function value(point, field) {
    if (typeof field === "number") return num(point.weights[field]);
    return num(point[field]);
  }

  function applyPoints(points, reset) {
    for (const plot of Object.values(state.plots)) {
      const data = reset ? plot.data.map(() => []) : plot.data.map((a) => a.slice());
      for (const p of points) {
        data[0].push(p.batchId);
        plot.fields.forEach((f, i) => data[i + 1].push(value(p, f)));
      }
      const extra = data[0].length - MAX_POINTS;
      if (extra > 0) { for (const a of data) a.splice(0, extra); }
      plot.setData(data);
      // A series with no value at all (the best possible loss off the generator) is hidden.
      plot.fields.forEach((_f, i) => {
        const any = data[i + 1].some((v) => v !== null);
        if (!any && plot.series[i + 1].show) {
          plot.setSeries(i + 1, { show: false });
          plot.autoHidden.add(i);
        } else if (any && plot.autoHidden.delete(i)) {
          plot.setSeries(i + 1, { show: true });
        }
      });
    }
  }

  function card(id, main, sub) {
    $(id).textContent = main;
    if (sub !== undefined) $(id + "-sub").textContent = sub;
  }

  function renderState(s) {
    $("subtitle").textContent = `topic ${s.topic} · mode ${s.mode} · features ${s.featureSet}`;
    const health = $("health");
    health.textContent = s.healthy ? "healthy" : "unhealthy: " + (s.healthReason ?? "");
    health.className = s.healthy ? "pill ok" : "pill bad";
    const r = s.rolling;
    card("c-events", count(s.eventsTrained), `${count(s.batches)} batches`);
    card(
      "c-updates",
      count(s.updates),
      (s.modelVersion === null ? "" : `model version ${count(s.modelVersion)} · `) +
        `last batch #${s.batchId}`,
    );
    const best = num(r.bayesLogLoss) === null ? "" : ` · best ${fixed(r.bayesLogLoss, 4)}`;
    card("c-loss", fixed(r.logLoss, 4), `constant rate ${fixed(r.constantLogLoss, 4)}${best}`);
    card(
      "c-auc",
      fixed(r.auc, 4),
      `accuracy ${fixed(r.accuracy, 3)} · majority ${fixed(r.majorityAccuracy, 3)}`,
    );
    card("c-rate", count(s.eventsPerSecond), "events/s in the last batch");
    card("c-lag", count(s.lag), "records behind");
    card("c-bad", count(s.badRecordsTotal), `${count(s.skippedRecords)} skipped as replays`);
    const d = s.drift;
    card(
      "c-drifts",
      String(s.driftsTotal),
      d
        ? `${d.detector} ${fixed(d.statistic, 1)}/${fixed(d.threshold, 0)} · on drift: ${d.onDrift}`
        : "detection off",
    );
    renderCheckpoint();
    renderWeights(s);
    renderAction(s.action);
  }

  function renderAction(a) {
    const panel = $("action-panel");
    if (!panel) return;
    panel.hidden = !a;
    if (!a) return;
    const share = num(a.shareOpen) === null
      ? ""
      : ` · share open ${(100 * a.shareOpen).toFixed(1)}%`;
    const best = num(a.bayesLogLoss) === null ? "" : ` · best ${fixed(a.bayesLogLoss, 4)}`;
    $("action-summary").textContent = `multi-class log loss ${fixed(a.logLoss, 4)} (rolling ` +
      `${fixed(a.rollingLogLoss, 4)}, accuracy ${
        fixed(a.rollingAccuracy, 3)
      }) · class frequencies ` +
      `${
        fixed(a.constantLogLoss, 4)
      }${best}${share}. Precision and recall over the rolling window.`;
    const body = $("action-body");
    body.textContent = "";
    a.classes.forEach((name, i) => {
      const c = a.perClass[i];
      const tr = document.createElement("tr");
      tr.dataset.class = name;
      const th = document.createElement("th");
      th.textContent = name;
      tr.append(th);
      for (const [v, digits] of [[c.count, -1], [c.logLoss, 4], [c.precision, 3], [c.recall, 3]]) {
        const td = document.createElement("td");
        td.className = "num";
        td.dataset.value = String(v);
        td.textContent = digits < 0 ? count(v) : fixed(v, digits);
        tr.append(td);
      }
      body.append(tr);
    });
  }

  function renderCheckpoint() {
    const s = state.last && state.last.state;
    if (!s) return;
    const now = Date.now() - state.clockOffset;
    card(
      "c-checkpoint",
      s.checkpoint ? age(now - s.checkpoint.time) : "none yet",
      s.checkpoint ? `covers batch #${s.checkpoint.batchId}` : "no checkpoint written",
    );
  }

  function renderWeights(s) {
    const body = $("weights-body");
    const rows = s.featureNames.map((name, i) => [name, s.weights[i], s.rawWeights[i]]);
    // The largest hashed url buckets (never standardized: one weight, raw alike).
    for (const b of s.topBuckets ?? []) rows.push([`url_bucket_${b.index}`, b.weight, b.weight]);
    rows.push(["intercept", s.intercept, s.rawIntercept]);
    const maxAbs = Math.max(1e-12, ...rows.slice(0, -1).map((r) => Math.abs(num(r[1]) ?? 0)));
    body.textContent = "";
    for (const [name, w, raw] of rows) {
      const tr = document.createElement("tr");
      tr.dataset.feature = name;
      const th = document.createElement("th");
      th.textContent = name.replace(/_/g, "_\u200b"); // a line may break after an underscore
      const td = document.createElement("td");
      td.className = "num";
      td.dataset.value = String(w);
      td.textContent = fixed(w, 4);
      const tdRaw = document.createElement("td");
      tdRaw.className = "num";
      tdRaw.dataset.value = String(raw);
      tdRaw.textContent = fixed(raw, 4);
      const tdBar = document.createElement("td");
      tdBar.className = "bar";
      if (name !== "intercept" && num(w) !== null) {
        const bar = document.createElement("span");
        bar.className = w < 0 ? "neg" : "pos";
        bar.style.width = (50 * Math.abs(w) / maxAbs).toFixed(1) + "%";
        tdBar.append(bar);
      }
      tr.append(th, td, tdRaw, tdBar);
      body.append(tr);
    }
    $("weights").dataset.batchId = String(s.batchId);
  }

  function onUpdate(update) {
    state.messages++;
    state.clockOffset = Date.now() - update.now;
    state.drifts = update.drifts;
    ensurePlots(update.state.featureNames);
    state.last = update;
    applyPoints(update.points, update.reset);
    renderState(update.state);
    $("drift-list").textContent = update.drifts.length === 0
      ? "no drift detected"
      : "drifts at batch " + update.drifts.map((d) => "#" + d.batchId).join(", ");
  }

  function resize() {
    for (const [key, plot] of Object.entries(state.plots)) {
      const size = chartSize($("chart-" + key));
      if (size.width !== plot.width || size.height !== plot.height) plot.setSize(size);
    }
  }

  function connect() {
    const status = $("status");
    const source = new EventSource("events");
    source.addEventListener("update", (e) => {
      status.textContent = "live";
      status.className = "pill ok";
      onUpdate(JSON.parse(e.data));
    });
    source.onerror = () => {
      status.textContent = "reconnecting…";
      status.className = "pill warn";
    };
    state.source = source;
  }

  let pending = 0;
  globalThis.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(resize, 100);
  });
  setInterval(renderCheckpoint, 1000);
  connect();
})();
