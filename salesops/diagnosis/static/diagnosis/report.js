// The report's Print button: the browser's print dialog (Print → Save as PDF). Static, as
// the Content-Security-Policy wants; bound once however often the file is evaluated.
(function () {
  "use strict";
  if (window.diagnosisPrintBound) return;
  window.diagnosisPrintBound = true;
  document.addEventListener("click", function (event) {
    const button = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
})();
