/* Trends page: average use per hour of the day and per weekday, the tariff split, and the comparison of
   two periods (A as bars, B as a line over them, bucket by bucket). */
"use strict";
(function () {
  const { chart, chartTheme, colors, number, money } = window.dsmrhub;

  function compare() {
    const source = document.getElementById("compare-data");
    const canvas = document.getElementById("compare-chart");
    if (!source || !canvas) return;
    const data = JSON.parse(source.textContent);
    const select = document.getElementById("compare-figure");
    const values = (list) => list.map((value) => (value === null ? null : Number(value)));
    const format = (name, value) =>
      name === "total_cost" ? money(value) : `${number(value, 3)} ${data.units[name]}`;
    const colour = {
      electricity: colors.electricity2, returned: colors.returned1, gas: colors.gas, total_cost: colors.cost,
      water: "#15aabf", heat: "#e03131", cooling: "#4c6ef5",  // as the archive draws the meters
    };

    function datasets(name) {
      const figure = data.figures[name];
      // B in the page's text colour: distinct from every figure's bars, readable light and dark
      const line = chartTheme().text;
      return [
        { type: "bar", label: data.text.a, data: values(figure.a), backgroundColor: colour[name], order: 2 },
        {
          type: "line",
          label: data.text.b,
          data: values(figure.b),
          borderColor: line,
          backgroundColor: line,
          borderDash: [6, 4],
          pointRadius: 2,
          spanGaps: false,
          order: 1,
        },
      ];
    }

    const first = select ? select.value : Object.keys(data.figures)[0];
    const instance = chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: datasets(first) },
      options: {
        scales: {
          x: { title: { display: true, text: data.text.axis } },
          y: { beginAtZero: true, title: { display: true, text: data.units[first] } },
        },
        plugins: {
          legend: { labels: { sort: (one, other) => one.datasetIndex - other.datasetIndex } },
          tooltip: {
            callbacks: {
              title: (items) => {
                const index = items[0].dataIndex;
                const a = data.a_labels[index];
                const b = data.b_labels[index];
                return [a ? `A: ${a}` : null, b ? `B: ${b}` : null].filter(Boolean);
              },
              label: (item) => `${item.datasetIndex === 0 ? "A" : "B"}: ${format(select ? select.value : first, item.raw)}`,
            },
          },
        },
      },
    });
    if (select) {
      select.addEventListener("change", () => {
        instance.data.datasets = datasets(select.value);
        instance.options.scales.y.title.text = data.units[select.value];
        instance.update();
      });
    }
  }

  compare();

  const source = document.getElementById("trends-data");
  if (!source) return;
  const data = JSON.parse(source.textContent);
  const text = data.text;
  const values = (list) => list.map((value) => (value === null ? null : Number(value)));

  function averages(canvas, series) {
    chart(canvas, {
      type: "bar",
      data: {
        labels: series.labels,
        datasets: [
          { label: text.electricity, data: values(series.electricity), backgroundColor: colors.electricity2, yAxisID: "y" },
          { label: text.returned, data: values(series.returned), backgroundColor: colors.returned1, yAxisID: "y" },
          {
            type: "line",
            label: text.gas,
            data: values(series.gas),
            borderColor: colors.gas,
            backgroundColor: colors.gas,
            pointRadius: 2,
            yAxisID: "gas",
          },
        ],
      },
      options: {
        scales: {
          y: { beginAtZero: true, title: { display: true, text: text.kwh } },
          gas: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: text.m3 } },
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: (item) =>
                `${item.dataset.label}: ${number(item.raw, 3)} ${item.dataset.yAxisID === "gas" ? text.m3 : text.kwh}`,
            },
          },
        },
      },
    });
  }

  averages(document.getElementById("trends-hours"), data.hours);
  averages(document.getElementById("trends-weekdays"), data.weekdays);

  chart(document.getElementById("trends-split"), {
    type: "doughnut",
    data: {
      labels: [text.electricity1, text.electricity2],
      datasets: [
        {
          data: [Number(data.split.electricity1), Number(data.split.electricity2)],
          backgroundColor: [colors.electricity1, colors.electricity2],
        },
      ],
    },
    options: {
      interaction: { mode: "nearest", intersect: true },
      plugins: {
        legend: { position: window.matchMedia("(max-width: 576px)").matches ? "bottom" : "right" },
        tooltip: { callbacks: { label: (item) => `${item.label}: ${number(item.raw, 3)} ${text.kwh}` } },
      },
    },
  });
})();
