// Status page: fetch the page again every few seconds and swap in its live part, so the figures stay
// current without a reload (the scroll position and anything selected elsewhere stay as they are).
"use strict";
(function () {
  const live = document.getElementById("status-live");
  if (!live) { return; }
  const seconds = Number(live.dataset.refresh) || 10;
  let busy = false;
  live.style.overflowAnchor = "none";  // the page keeps the view in place itself (below)

  // The first box with an id at or below the top of the window: after the swap it is put back where it
  // was, so that what the reader looks at stays put when text above it grows or shrinks.
  function anchor() {
    for (const element of live.querySelectorAll("[id]")) {
      const top = element.getBoundingClientRect().top;
      if (top >= 0) { return { id: element.id, top: top }; }
    }
    return null;
  }

  async function refresh() {
    if (busy || document.visibilityState !== "visible") { return; }
    busy = true;
    try {
      const response = await fetch(window.location.href, { headers: { Accept: "text/html" }, cache: "no-store" });
      if (!response.ok) { return; }
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById("status-live");
      if (fresh) {
        const kept = anchor();
        live.replaceChildren(...fresh.childNodes);
        const same = kept && document.getElementById(kept.id);
        if (same) { window.scrollBy(0, same.getBoundingClientRect().top - kept.top); }
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
