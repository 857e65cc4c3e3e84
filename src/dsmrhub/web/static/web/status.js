// Status page: fetch the page again every few seconds and swap in its live part, so the figures stay
// current without a reload (the scroll position and anything selected elsewhere stay as they are).
"use strict";
(function () {
  const live = document.getElementById("status-live");
  if (!live) { return; }
  const seconds = Number(live.dataset.refresh) || 10;
  let busy = false;

  async function refresh() {
    if (busy || document.visibilityState !== "visible") { return; }
    busy = true;
    try {
      const response = await fetch(window.location.href, { headers: { Accept: "text/html" }, cache: "no-store" });
      if (!response.ok) { return; }
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById("status-live");
      if (fresh) {
        live.replaceChildren(...fresh.childNodes);
        live.dataset.refreshed = String(Date.now());
      }
    } catch (error) {
      // offline for a moment: the next turn tries again
    } finally {
      busy = false;
    }
  }

  window.setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", refresh);
})();
