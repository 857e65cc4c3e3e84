/* Dashboard: draws the embedded data, then polls the live route and updates figures and charts in place.
   Colours of text and grid lines come from the shared chart defaults (app.js), for light and dark. */
"use strict";
(function () {
  const root = document.getElementById("dashboard");
  if (!root) return;
  const d = window.dsmrhub;
  const read = (id) => JSON.parse(document.getElementById(id).textContent);
  const datasets = read("dashboard-datasets");
  const text = read("dashboard-text");
  const units = read("dashboard-units");
  const interval = Number(root.dataset.interval) || 5000;
  const keep = { power: Number(root.dataset.keepSeconds), gas: Number(root.dataset.gasKeepSeconds) };
  const hasReadings = root.dataset.hasReadings === "1";
  let state = read("dashboard-data");
  const charts = {};

  function lookup(path) {
    return path.split(".").reduce((value, key) => (value === null || value === undefined ? null : value[key]), state);
  }

  function format(element, value) {
    const absent = value === null || value === undefined;
    // unknown, never zero: the reason the data gives (data-missing-key), else the element's own word
    const reason = absent && element.dataset.missingKey ? lookup(element.dataset.missingKey) : null;
    if (absent && (reason || element.dataset.missing)) return reason || element.dataset.missing;
    if (element.dataset.format === "text") return absent ? "–" : String(value);
    if (element.dataset.format === "money") return d.money(value);
    const text = d.number(value, Number(element.dataset.digits || 0));
    return value === null || value === undefined || !element.dataset.unit ? text : `${text} ${element.dataset.unit}`;
  }

  function renderFigures() {
    root.querySelectorAll("[data-value]").forEach((element) => {
      const text = format(element, lookup(element.dataset.value));
      if (element.textContent !== text) element.textContent = text;
    });
    root.querySelectorAll("[data-if], [data-unless]").forEach((element) => {
      const shown =
        (!element.dataset.if || Boolean(lookup(element.dataset.if))) &&
        (!element.dataset.unless || !lookup(element.dataset.unless));
      element.hidden = !shown;
    });
    const latest = state.latest;
    // Old data: a banner (data-if="latest.stale") and the cards marked, so nothing reads as current.
    root.classList.toggle("stale", Boolean(latest && latest.stale));
    const info = document.getElementById("latest-info");
    if (latest && info) {
      const template = latest.age_seconds < 86400 ? text.latest : text.latest_old;
      info.textContent = template
        .replace("{time}", latest.time)
        .replace("{moment}", latest.moment)
        .replace("{age}", latest.age);
    }
  }

  function toNumber(value) {
    return value === null || value === undefined ? null : Number(value);
  }

  const DIGITS = { power: 0, voltage: 1, gas: 3, hours: 3 };

  /* A bar still growing (the running hour) is drawn lighter with a dashed outline: not finished yet. */
  function unfinished(color) {
    return `${color}55`;
  }

  function barStyle(entry) {
    if (entry.type !== "bar") return;
    const running = entry.series ? entry.series.running : null;
    entry.chart.data.datasets.forEach((dataset, n) => {
      const color = d.colors[entry.lines[n].color];
      const open = entry.t.map((moment) => moment === running);
      dataset.backgroundColor = open.map((isOpen) => (isOpen ? unfinished(color) : color));
      dataset.borderColor = color;
      dataset.borderWidth = open.map((isOpen) => (isOpen ? 2 : 0));
      dataset.borderDash = [4, 3];
    });
  }

  function makeChart(name, series, type, keepSeconds) {
    const canvas = document.getElementById(`chart-${name}`);
    const lines = datasets[name] || [];
    if (!canvas || lines.length === 0) return;
    const unit = units[name] || "";
    const stacked = lines.some((line) => line.stack);
    const chart = d.chart(canvas, {
      type,
      data: {
        labels: series.labels.slice(),
        datasets: lines.map((line) => ({
          label: line.label,
          data: series[line.key].map(toNumber),
          borderColor: d.colors[line.color],
          backgroundColor: d.colors[line.color],
          borderWidth: type === "line" ? 1.5 : 0,
          pointRadius: 0,
          spanGaps: false,
          stack: line.stack,
        })),
      },
      options: {
        scales: {
          x: { stacked, ticks: { autoSkip: true, maxTicksLimit: 8, maxRotation: 0 } },
          y: {
            stacked,
            beginAtZero: name !== "voltage",
            title: { display: true, text: unit },
          },
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              // Every value with its unit; the running hour says it is not finished.
              label: (item) => `${item.dataset.label}: ${d.number(item.parsed.y, DIGITS[name])} ${unit}`,
              footer: (items) => {
                const entry = charts[name];
                const moment = items.length && entry ? entry.t[items[0].dataIndex] : null;
                return entry && entry.series && moment !== null && moment === entry.series.running
                  ? text.unfinished
                  : "";
              },
            },
          },
        },
      },
    });
    charts[name] = { chart, keys: lines.map((line) => line.key), lines, t: series.t.slice(), keepSeconds, type, series };
    barStyle(charts[name]);
    chart.update("none");
  }

  /* Today's hours: the whole series comes with every answer (at most 25 bars); replace it. */
  function replaceChart(name, series) {
    const entry = charts[name];
    if (!entry) return;
    entry.t = series.t.slice();
    entry.series = series;
    entry.chart.data.labels = series.labels.slice();
    entry.chart.data.datasets.forEach((dataset, n) => {
      dataset.data = series[entry.keys[n]].map(toNumber);
    });
    barStyle(entry);
    entry.chart.update("none");
  }

  /* Replace the points the client already has (a bucket still filling) and append the newer ones. */
  function merge(name, series) {
    const entry = charts[name];
    if (!entry) return;
    const { chart, keys, t } = entry;
    series.t.forEach((moment, i) => {
      let index = t.length ? t.lastIndexOf(moment) : -1;
      if (index < 0) {
        if (t.length && moment < t[t.length - 1]) return;
        t.push(moment);
        chart.data.labels.push(series.labels[i]);
        chart.data.datasets.forEach((dataset) => dataset.data.push(null));
        index = t.length - 1;
      }
      chart.data.datasets.forEach((dataset, n) => {
        dataset.data[index] = toNumber(series[keys[n]][i]);
      });
    });
    const newest = t[t.length - 1];
    while (t.length && t[0] <= newest - entry.keepSeconds) {
      t.shift();
      chart.data.labels.shift();
      chart.data.datasets.forEach((dataset) => dataset.data.shift());
    }
    entry.series = series;
    barStyle(entry);
    chart.update("none");
  }

  function lastOf(name) {
    const entry = charts[name];
    return entry && entry.t.length ? entry.t[entry.t.length - 1] : null;
  }

  async function poll() {
    const params = new URLSearchParams({ hours: root.dataset.hours });
    const since = lastOf("power") ?? lastOf("voltage");
    if (since !== null) params.set("since", since);
    const gasSince = lastOf("gas");
    if (gasSince !== null) params.set("gas_since", gasSince);
    const connection = document.getElementById("connection");
    try {
      const data = await d.fetchJSON(`${root.dataset.liveUrl}?${params}`);
      connection.hidden = true;
      if (!hasReadings) {
        // The first reading arrived: the page's layout depends on what the meter has, so load it once.
        if (data.latest) window.location.reload();
        return;
      }
      state = data;
      renderFigures();
      merge("power", data.power);
      merge("voltage", data.power);
      merge("gas", data.gas);
      replaceChart("hours", data.hours);
    } catch (error) {
      connection.hidden = false;
    } finally {
      window.setTimeout(poll, interval);
    }
  }

  renderFigures();
  if (hasReadings) {
    makeChart("power", state.power, "line", keep.power);
    makeChart("voltage", state.power, "line", keep.power);
    makeChart("gas", state.gas, "bar", keep.gas);
    makeChart("hours", state.hours, "bar", 0);
  }
  window.setTimeout(poll, interval);
})();
