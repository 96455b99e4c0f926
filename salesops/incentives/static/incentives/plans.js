/* The bonus-plan version editor (CSP: no inline script): "Check" posts one component's
 * formula to the API (/incentives/formulas/check) and shows its problems or its preview
 * beside the component; nothing is saved. The texts come from <template id="check-texts">
 * so they are translated by the page. */
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function text(name) {
    const template = document.getElementById("check-texts");
    const node = template && template.content.querySelector("[data-" + name + "]");
    return node ? node.textContent.trim() : "";
  }

  function line(parent, content, cls) {
    const div = document.createElement("div");
    if (cls) div.className = cls;
    div.textContent = content;
    parent.appendChild(div);
  }

  function show(box, body) {
    box.replaceChildren();
    if (!body.ok) {
      (body.errors || []).forEach(function (e) { line(box, e, "text-danger"); });
      return;
    }
    line(box, text("ok"), "text-success");
    const p = body.preview || {};
    if (p.source === "example") {
      const inputs = Object.keys(p.inputs || {}).map(function (k) { return k + " = " + p.inputs[k]; });
      line(box, text("example") + " " + inputs.join(", ") + " → " + (p.result || p.error || ""));
    } else if (p.source === "last_month") {
      line(box, text("contracts"));
      if (!p.contracts) {
        line(box, text("none"), "text-secondary");
      } else {
        line(box, p.contracts + " " + text("stats") + ": " +
          [p.min, p.median, p.max, p.total].join(" / "));
      }
      if (p.error) line(box, p.error, "text-danger");
    }
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-check]");
    if (!button) return;
    const form = button.closest("form");
    const card = button.closest("[data-kind]");
    const box = card && card.querySelector("[data-check-result]");
    const formula = card && card.querySelector("[data-formula]");
    if (!form || !box || !formula) return;
    button.disabled = true;
    fetch(form.dataset.checkUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ kind: button.dataset.check, formula: formula.value }),
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.message || text("failed"));
          return body;
        });
      })
      .then(function (body) { show(box, body); })
      .catch(function (error) {
        box.replaceChildren();
        line(box, error.message || text("failed"), "text-danger");
      })
      .finally(function () { button.disabled = false; });
  });
})();
