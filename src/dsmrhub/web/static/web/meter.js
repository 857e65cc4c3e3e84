/* Meter page: lowest, mean and highest voltage and current per phase in each interval of the chosen day. */
"use strict";
(function () {
  const source = document.getElementById("quality-data");
  if (!source) return;
  const data = JSON.parse(source.textContent);
  const { chart, colors, number } = window.dsmrhub;
  const text = data.text;
  const values = (list) => list.map((value) => (value === null ? null : Number(value)));

  function band(canvas, series, unit, digits) {
    const datasets = [];
    for (const phase of data.phases) {
      const key = `l${phase}`;
      const color = colors[key];
      const parts = series[key];
      // low, then high filled down to it: the band of the interval; the mean on top
      datasets.push({ label: `L${phase} ${text.low}`, data: values(parts.low), borderColor: color, borderWidth: 1, pointRadius: 0, fill: false });
      datasets.push({
        label: `L${phase} ${text.high}`,
        data: values(parts.high),
        borderColor: color,
        borderWidth: 1,
        pointRadius: 0,
        backgroundColor: `${color}33`,
        fill: "-1",
      });
      datasets.push({ label: `L${phase} ${text.mean}`, data: values(parts.mean), borderColor: color, backgroundColor: color, borderWidth: 2, pointRadius: 0, fill: false });
    }
    chart(canvas, {
      type: "line",
      data: { labels: data.labels, datasets },
      options: {
        spanGaps: false,
        scales: { y: { title: { display: true, text: unit } } },
        plugins: {
          tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${number(item.raw, digits)} ${unit}` } },
        },
      },
    });
  }

  band(document.getElementById("quality-voltage"), data.voltage, text.volt, 1);
  band(document.getElementById("quality-current"), data.current, text.ampere, 3);
})();
