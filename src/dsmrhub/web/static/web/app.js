/* Shared helpers of dsmrhub's pages: JSON fetching, number, money and date formats (the same as the
   templates' {% load units %} filters), chart defaults that follow the light or dark colour scheme, the
   navigation menu on narrow screens and the scroll cue of wide tables. */
"use strict";
window.dsmrhub = (function () {
  const root = document.documentElement;
  const language = root.lang || "en";
  // English dates as the server writes them ("5 Mar 2026", day first), Dutch as Dutch ("5 mrt 2026").
  const dateLocale = language === "en" ? "en-GB" : language;
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

  /* "€ 3.20" / "€ 3,20": the units.money filter's format (euro sign, no-break space, two decimals). */
  function money(value) {
    if (value === null || value === undefined || value === "") return "–";
    return `€\u00a0${number(value, 2)}`;
  }

  function asDate(value) {
    return value instanceof Date ? value : new Date(value);
  }

  /* "5 Mar 2026" / "5 mrt 2026": the units.day filter's format. */
  function day(value) {
    if (value === null || value === undefined || value === "") return "–";
    const text = new Intl.DateTimeFormat(dateLocale, { day: "numeric", month: "short", year: "numeric" }).format(
      asDate(value)
    );
    return text.replace(/\.(?= \d{4}$)/, ""); // some Dutch data writes "mrt." — the server writes "mrt"
  }

  /* "5 Mar 2026 09:05" / "5 mrt 2026 09:05": the units.moment filter's format (local time, 24 hours). */
  function moment(value) {
    if (value === null || value === undefined || value === "") return "–";
    const time = new Intl.DateTimeFormat(dateLocale, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(
      asDate(value)
    );
    return `${day(value)} ${time}`;
  }

  /* Chart colours from the page's CSS (app.css: --chart-text, --chart-grid, --chart-outline, which follow
     Pico's light and dark scheme), so every chart is readable in both. */
  const darkScheme = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function chartTheme() {
    const style = getComputedStyle(root);
    const read = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
    return {
      text: read("--chart-text", "#555"),
      grid: read("--chart-grid", "rgba(0,0,0,.1)"),
      outline: read("--chart-outline", "#fff"),
      font: read("--chart-font", "system-ui, sans-serif"),
    };
  }

  let appliedTheme = null;

  function applyChartDefaults() {
    const Chart = window.Chart;
    if (!Chart) return null;
    const theme = chartTheme();
    Chart.defaults.color = theme.text;
    Chart.defaults.borderColor = theme.grid;
    Chart.defaults.font.family = theme.font;
    Chart.defaults.elements.arc.borderColor = theme.outline;
    Chart.defaults.elements.point.borderColor = theme.outline;
    Chart.defaults.scale.grid.color = theme.grid;
    Chart.defaults.scale.border.color = theme.grid;
    Chart.defaults.scale.ticks.color = theme.text;
    Chart.defaults.plugins.legend.labels.color = theme.text;
    Chart.defaults.plugins.title.color = theme.text;
    const previous = appliedTheme;
    appliedTheme = theme;
    return previous;
  }

  /* Chart.js copies the scale defaults into each chart's options when it is built, so a chart already
     drawn keeps the old colours: swap every option that still holds an old theme colour for the new one. */
  function recolour(options, swaps, seen = new Set()) {
    if (!options || typeof options !== "object" || seen.has(options)) return;
    seen.add(options);
    Object.keys(options).forEach((key) => {
      const value = options[key];
      if (typeof value === "string" && swaps.has(value)) options[key] = swaps.get(value);
      else if (value && typeof value === "object" && !Array.isArray(value)) recolour(value, swaps, seen);
    });
  }

  function schemeChanged() {
    const previous = applyChartDefaults();
    if (!window.Chart || !previous) return;
    const swaps = new Map();
    ["text", "grid", "outline"].forEach((name) => {
      if (previous[name] !== appliedTheme[name]) swaps.set(previous[name], appliedTheme[name]);
    });
    Object.values(window.Chart.instances).forEach((instance) => {
      recolour(instance.config.options, swaps);
      instance.update("none");
    });
  }

  if (darkScheme) darkScheme.addEventListener("change", schemeChanged);

  /* A Chart.js chart with dsmrhub's defaults: no animation (fast on a Pi), responsive, legend below. */
  function chart(canvas, config) {
    if (!window.Chart) throw new Error("Chart.js is not loaded");
    applyChartDefaults();
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

  /* Navigation: on a narrow screen the pages sit behind a menu button (app.css); Escape closes it. */
  function setUpMenu() {
    const nav = document.querySelector("header nav");
    const button = document.getElementById("menu-toggle");
    if (!nav || !button) return;
    const close = () => {
      nav.classList.remove("open");
      button.setAttribute("aria-expanded", "false");
    };
    button.addEventListener("click", () => {
      const open = !nav.classList.contains("open");
      nav.classList.toggle("open", open);
      button.setAttribute("aria-expanded", String(open));
      if (open) {
        const first = nav.querySelector("#site-pages a, #site-pages button");
        if (first) first.focus();
      }
    });
    nav.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && nav.classList.contains("open")) {
        close();
        button.focus();
      }
    });
    // Wider than a phone, the pages stay in the bar as long as they fit in one line with the brand and
    // the login (more pages or longer names in another language may not).
    const phone = window.matchMedia("(max-width: 767px)");
    const fit = () => {
      if (phone.matches) return nav.classList.remove("compact");
      const wasOpen = nav.classList.contains("open");
      nav.classList.remove("compact");
      const tops = new Set(
        Array.from(nav.querySelectorAll(".brand, #site-pages a, ul.account > li:not(.menu-item)")).map((element) =>
          Math.round(element.getBoundingClientRect().top / 8)
        )
      );
      nav.classList.toggle("compact", tops.size > 1);
      if (!nav.classList.contains("compact") && wasOpen) close();
    };
    fit();
    if (window.ResizeObserver) new ResizeObserver(fit).observe(document.querySelector("header"));
    else window.addEventListener("resize", fit);
  }

  /* Wide tables: a wrapper .table-scroll scrolls sideways; when columns are out of view it gets
     .scrollable (a shadow at the hidden side, app.css) and a line above it names the hidden columns. */
  function columnsOutOfView(wrapper) {
    const table = wrapper.querySelector("table");
    const row = table && table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!row) return [];
    const box = wrapper.getBoundingClientRect();
    return Array.from(row.cells)
      .filter((cell) => {
        const place = cell.getBoundingClientRect();
        return place.right > box.right + 1 || place.left < box.left - 1;
      })
      .map((cell) => cell.textContent.replace(/\s+/g, " ").trim())
      .filter((text) => text !== "");
  }

  function updateScrollCue(wrapper) {
    const hidden = wrapper.scrollWidth > wrapper.clientWidth + 1;
    wrapper.classList.toggle("scrollable", hidden);
    wrapper.classList.toggle("at-start", wrapper.scrollLeft <= 1);
    wrapper.classList.toggle("at-end", wrapper.scrollLeft + wrapper.clientWidth >= wrapper.scrollWidth - 1);
    let hint = wrapper.previousElementSibling;
    if (!hint || !hint.classList.contains("scroll-hint")) {
      if (!hidden) return;
      hint = document.createElement("p");
      hint.className = "scroll-hint";
      hint.setAttribute("aria-live", "polite");
      wrapper.before(hint);
    }
    const names = hidden ? columnsOutOfView(wrapper) : [];
    hint.hidden = names.length === 0;
    const prefix = document.body.dataset.scrollHint || "Scroll sideways for:";
    hint.textContent = names.length ? `↔ ${prefix} ${names.join(", ")}` : "";
  }

  function setUpTables() {
    const wrappers = Array.from(document.querySelectorAll(".table-scroll"));
    wrappers.forEach((wrapper) => {
      updateScrollCue(wrapper);
      wrapper.addEventListener("scroll", () => updateScrollCue(wrapper), { passive: true });
    });
    if (window.ResizeObserver) {
      const observer = new ResizeObserver((entries) => entries.forEach((entry) => updateScrollCue(entry.target)));
      wrappers.forEach((wrapper) => observer.observe(wrapper));
    }
    // a table inside a closed <details> has no size until it opens
    document.querySelectorAll("details").forEach((details) =>
      details.addEventListener("toggle", () => details.querySelectorAll(".table-scroll").forEach(updateScrollCue))
    );
  }

  /* Pages that fill a table later (from JSON) call this afterwards. */
  function refreshTables() {
    document.querySelectorAll(".table-scroll").forEach(updateScrollCue);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => {
      setUpMenu();
      setUpTables();
    });
  } else {
    setUpMenu();
    setUpTables();
  }

  return { colors, fetchJSON, number, money, day, moment, chart, chartTheme, refreshTables, language };
})();
