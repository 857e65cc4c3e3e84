/* Trends page: average use per hour of the day and per weekday, and the tariff split. */
"use strict";
(function () {
  const source = document.getElementById("trends-data");
  if (!source) return;
  const data = JSON.parse(source.textContent);
  const { chart, colors, number } = window.dsmrhub;
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
        legend: { position: "right" },
        tooltip: { callbacks: { label: (item) => `${item.label}: ${number(item.raw, 3)} ${text.kwh}` } },
      },
    },
  });
})();
