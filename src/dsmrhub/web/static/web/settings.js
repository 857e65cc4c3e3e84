// Settings page: copy the API key to the clipboard.
"use strict";
(function () {
  const button = document.getElementById("api-key-copy");
  const input = document.getElementById("api-key");
  const label = button.textContent;
  function done(text) {
    button.textContent = text;
    window.setTimeout(function () { button.textContent = label; }, 2000);
  }
  button.addEventListener("click", function () {
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(
        function () { done(button.dataset.copied); },
        function () { done(button.dataset.failed); }
      );
    } else {
      done(document.execCommand("copy") ? button.dataset.copied : button.dataset.failed);
    }
  });
})();
