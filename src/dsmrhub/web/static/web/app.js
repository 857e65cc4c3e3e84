/* Shared helpers of dsmrhub's pages: JSON fetching, number formatting and chart defaults. */
"use strict";
window.dsmrhub = (function () {
  const language = document.documentElement.lang || "en";
  const colors = {
    electricity1: "#f59f00",
    electricity2: "#e8590c",
    returned1: "#37b24d",
    returned2: "#2b8a3e",
    gas: "#1c7ed6",
    cost: "#ae3ec9",
    l1: "#f03e3e",
    l2: "#f59f00",
    l3: "#1c7ed6",
  };

  async function fetchJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.json();
  }

  function number(value, digits = 0) {
    if (value === null || value === undefined || value === "") return "–";
    return new Intl.NumberFormat(language, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(
      Number(value)
    );
  }

  function money(value) {
    if (value === null || value === undefined || value === "") return "–";
    return new Intl.NumberFormat(language, { style: "currency", currency: "EUR" }).format(Number(value));
  }

  /* A Chart.js chart with dsmrhub's defaults: no animation (fast on a Pi), responsive, legend below. */
  function chart(canvas, config) {
    if (!window.Chart) throw new Error("Chart.js is not loaded");
    const options = Object.assign(
      {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom" } },
      },
      config.options || {}
    );
    return new window.Chart(canvas, Object.assign({}, config, { options }));
  }

  return { colors, fetchJSON, number, money, chart, language };
})();
