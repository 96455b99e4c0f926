/* The weekly report's print button ([data-print]) and ?print=1 ([data-autoprint]):
 * static, as the Content-Security-Policy wants. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    const button = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (button) window.print();
  });
  window.addEventListener("load", function () {
    if (document.querySelector("[data-autoprint]")) window.print();
  });
})();
