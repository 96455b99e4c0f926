/* The KPI scheme editor (CSP: no inline script): add a metric row from the
 * <template id="item-row-template">, remove a row. The rows post as parallel lists
 * (item_metric, item_group, …), so adding or removing needs no renumbering. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    const add = event.target.closest("[data-add-row]");
    if (add) {
      const template = document.getElementById("item-row-template");
      const body = document.getElementById("item-rows");
      if (!template || !body) return;
      const row = template.content.firstElementChild.cloneNode(true);
      body.appendChild(row);
      const first = row.querySelector("select, input");
      if (first) first.focus();
      return;
    }
    const remove = event.target.closest("[data-remove-row]");
    if (remove) {
      const row = remove.closest("[data-item-row]");
      if (row) row.remove();
    }
  });
})();
