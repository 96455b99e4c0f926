/* The compliance queue (K10): dismissing a finding needs a reason — say so before the
 * form goes to the server (which refuses it too, naming the field). */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    const button = event.target instanceof Element ? event.target.closest("[data-testid='dismiss']") : null;
    if (!button) return;
    const form = button.closest("form");
    const reason = form ? form.querySelector("input[name='reason']") : null;
    if (reason && !reason.value.trim()) {
      event.preventDefault();
      reason.classList.add("is-invalid");
      reason.setCustomValidity(reason.getAttribute("data-required-message") || reason.placeholder);
      reason.reportValidity();
      reason.addEventListener("input", function () {
        reason.setCustomValidity("");
        reason.classList.remove("is-invalid");
      }, { once: true });
    }
  });
})();
