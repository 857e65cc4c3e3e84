// Settings page: the API key is hidden until "Show"; "Copy" puts it on the clipboard either way.
"use strict";
(function () {
  const input = document.getElementById("api-key");
  const show = document.getElementById("api-key-show");
  const button = document.getElementById("api-key-copy");
  const label = button.textContent;

  show.addEventListener("click", function () {
    const hidden = input.type === "password";
    input.type = hidden ? "text" : "password";
    show.textContent = hidden ? show.dataset.hide : show.dataset.show;
    show.setAttribute("aria-pressed", String(hidden));
  });

  function done(text) {
    button.textContent = text;
    window.setTimeout(function () { button.textContent = label; }, 2000);
  }
  function copyBySelection() {
    // a password field cannot be copied from: show the text for the moment of copying
    const type = input.type;
    input.type = "text";
    input.select();
    const copied = document.execCommand("copy");
    input.type = type;
    return copied;
  }
  button.addEventListener("click", function () {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(
        function () { done(button.dataset.copied); },
        function () { done(copyBySelection() ? button.dataset.copied : button.dataset.failed); }
      );
    } else {
      done(copyBySelection() ? button.dataset.copied : button.dataset.failed);
    }
  });
})();
