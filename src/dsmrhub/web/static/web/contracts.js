// The contract form shows the parts of the chosen kind only (without JavaScript every part is shown; the
// server ignores the parts of other kinds).
(function () {
  "use strict";
  const kind = document.getElementById("id_kind");
  if (!kind) return;
  const show = function () {
    document.querySelectorAll("fieldset[data-kind]").forEach(function (part) {
      part.hidden = part.dataset.kind.split(" ").indexOf(kind.value) < 0;
    });
  };
  kind.addEventListener("change", show);
  show();
})();
