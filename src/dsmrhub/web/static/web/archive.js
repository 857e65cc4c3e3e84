/* Archive page: electricity per tariff (stacked) beside returned, and gas with costs, per hour/day/month;
   today's figures are live ("so far"). */
"use strict";
(function () {
  const source = document.getElementById("archive-data");
  if (!source) return;
  const data = JSON.parse(source.textContent);
  const { chart, colors, number, money } = window.dsmrhub;
  const text = data.text;
  const values = (list) => list.map((value) => (value === null ? null : Number(value)));
  // Today's row (and the month holding it) is live and still growing: its tooltip title says so.
  const soFar = data.so_far || [];
  const title = (items) =>
    items.length ? items[0].label + (soFar[items[0].dataIndex] ? ` (${text.so_far})` : "") : "";
  const tooltip = (digits, unit) => ({
    callbacks: {
      title,
      label: (item) => `${item.dataset.label}: ${number(item.raw, digits)} ${unit}`,
    },
  });

  chart(document.getElementById("archive-electricity"), {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: text.electricity1, data: values(data.electricity1), backgroundColor: colors.electricity1, stack: "delivered" },
        { label: text.electricity2, data: values(data.electricity2), backgroundColor: colors.electricity2, stack: "delivered" },
        { label: text.returned1, data: values(data.returned1), backgroundColor: colors.returned1, stack: "returned" },
        { label: text.returned2, data: values(data.returned2), backgroundColor: colors.returned2, stack: "returned" },
      ],
    },
    options: {
      scales: {
        x: { stacked: true },
        y: { stacked: true, beginAtZero: true, title: { display: true, text: text.kwh } },
      },
      plugins: { tooltip: tooltip(3, text.kwh) },
    },
  });

  const datasets = [
    { label: text.gas, data: values(data.gas), backgroundColor: colors.gas, yAxisID: "y" },
  ];
  const scales = {
    y: { beginAtZero: true, title: { display: true, text: text.m3 } },
  };
  if (data.cost) {
    datasets.push({
      label: text.cost,
      data: values(data.cost),
      backgroundColor: colors.cost,
      yAxisID: "cost",
    });
    scales.cost = {
      position: "right",
      beginAtZero: true,
      grid: { drawOnChartArea: false },
      title: { display: true, text: text.euro },
    };
  }
  chart(document.getElementById("archive-gas"), {
    type: "bar",
    data: { labels: data.labels, datasets },
    options: {
      scales,
      plugins: {
        tooltip: {
          callbacks: {
            title,
            label: (item) =>
              item.dataset.yAxisID === "cost"
                ? `${item.dataset.label}: ${money(item.raw)}`
                : `${item.dataset.label}: ${number(item.raw, 3)} ${text.m3}`,
          },
        },
      },
    },
  });

  // Water, heat and cooling meters (when the period has their data): bars on an axis per unit (m³, GJ).
  const devices = data.devices || [];
  const canvas = document.getElementById("archive-devices");
  if (devices.length && canvas) {
    const deviceColors = { water: "#15aabf", heat: "#e03131", cooling: "#4c6ef5" };
    const units = [...new Set(devices.map((device) => device.unit))];
    const deviceScales = {};
    units.forEach((unit, n) => {
      deviceScales[`unit${n}`] = {
        position: n === 0 ? "left" : "right",
        beginAtZero: true,
        grid: { drawOnChartArea: n === 0 },
        title: { display: true, text: unit },
      };
    });
    chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: devices.map((device) => ({
          label: device.label,
          data: values(device.values),
          backgroundColor: deviceColors[device.kind] || colors.gas,
          yAxisID: `unit${units.indexOf(device.unit)}`,
          unit: device.unit,
        })),
      },
      options: {
        scales: deviceScales,
        plugins: {
          tooltip: {
            callbacks: {
              title,
              label: (item) => `${item.dataset.label}: ${number(item.raw, 3)} ${item.dataset.unit}`,
            },
          },
        },
      },
    });
  }
})();
