/* Knowledge copy buttons: a click copies the button's data-copy-text to the clipboard
 * (the usage is recorded by the button's own hx-post). Delegated on the document, so the
 * buttons of an htmx fragment (the check-in's matched scripts) work too. */
(function () {
  "use strict";
  function fallback(text) {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "position-fixed top-0 start-0 opacity-0";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } finally { document.body.removeChild(area); }
  }
  function done(button) {
    button.classList.remove("btn-outline-primary");
    button.classList.add("btn-success");
    const label = button.querySelector("[data-copy-label]");
    if (label && button.dataset.copiedLabel) label.textContent = button.dataset.copiedLabel;
  }
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy-text]");
    if (!button) return;
    const text = button.getAttribute("data-copy-text");
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { done(button); },
        function () { fallback(text); done(button); }
      );
    } else {
      fallback(text);
      done(button);
    }
  });
})();
