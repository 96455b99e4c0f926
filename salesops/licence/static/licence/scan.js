/* "Photo of business licence" (licence/_scan.html): upload the photo, poll the scan while
 * the worker reads it, show the fields read for the user to confirm or fix, then copy the
 * confirmed values into the page's form inputs. Plain script (the page's CSP allows no
 * inline code and Alpine's CSP build no expressions this long). */
(function () {
  "use strict";
  var POLL_MS = 700;
  var SLOW_MS = 60000;

  function csrfToken(box) {
    var form = box.closest("form");
    var input = (form || document).querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function show(el, on) { if (el) el.hidden = !on; }

  function setup(box) {
    if (box.dataset.licenceReady) return;
    box.dataset.licenceReady = "1";
    var file = box.querySelector("[data-licence-file]");
    var keep = box.querySelector("[data-licence-keep]");
    var scanId = box.querySelector("[data-licence-scan-id]");
    var status = box.querySelector("[data-licence-status]");
    var statusText = box.querySelector("[data-licence-status-text]");
    var bar = box.querySelector("[data-licence-bar]");
    var error = box.querySelector("[data-licence-error]");
    var done = box.querySelector("[data-licence-done]");
    var review = box.querySelector("[data-licence-review]");
    var notesId = box.dataset.notesInput;
    var pollTimer = null;

    function fail(message) {
      show(status, false);
      error.textContent = message;
      show(error, true);
    }

    function progress(text, percent) {
      show(status, true);
      statusText.textContent = text;
      bar.style.width = percent + "%";
      bar.setAttribute("aria-valuenow", String(percent));
    }

    function fillReview(scan) {
      box.querySelectorAll("tr[data-field]").forEach(function (row) {
        var key = row.dataset.field;
        var entry = (scan.fields || {})[key] || {};
        var value = row.querySelector("[data-licence-value]");
        var note = row.querySelector("[data-licence-note]");
        var use = row.querySelector("[data-licence-use]");
        value.value = entry.value || "";
        note.textContent = "";
        note.className = "small";
        value.classList.remove("is-invalid", "is-warning");
        if (key === "credit_code" && entry.status === "corrected") {
          note.textContent = box.dataset.msgCorrected.replace("{raw}", entry.raw || "");
          note.classList.add("text-warning");
        } else if (key === "credit_code" && entry.status === "unchecked") {
          note.textContent = box.dataset.msgUnchecked;
          note.classList.add("text-danger");
          value.classList.add("is-invalid");
        } else if (entry.value && entry.confidence < 0.8) {
          note.textContent = box.dataset.msgLow;
          note.classList.add("text-warning");
        }
        var usable = !!row.dataset.input || !!notesId;
        use.disabled = !usable;
        use.checked = usable && !!entry.value;
      });
      show(review, true);
    }

    function poll(id, started) {
      fetch(box.dataset.detailUrl.replace("/0/", "/" + id + "/"), {
        headers: { Accept: "application/json" }, credentials: "same-origin"
      }).then(function (r) { return r.json(); }).then(function (scan) {
        finishOrWait(scan, started);
      }).catch(function () { fail(box.dataset.msgNetwork); });
    }

    function finishOrWait(scan, started) {
      if (scan.state === "failed") { fail(scan.error); return; }
      if (scan.state === "done") {
        show(status, false);
        scanId.value = scan.keep_photo && scan.has_photo ? String(scan.id) : "";
        fillReview(scan);
        return;
      }
      var slow = Date.now() - started > SLOW_MS;
      progress(slow ? box.dataset.msgSlow : box.dataset.msgReading, Math.max(15, scan.progress));
      pollTimer = window.setTimeout(function () { poll(scan.id, started); }, POLL_MS);
    }

    file.addEventListener("change", function () {
      if (!file.files || !file.files.length) return;
      window.clearTimeout(pollTimer);
      show(error, false); show(done, false); show(review, false);
      scanId.value = "";
      progress(box.dataset.msgUploading, 5);
      var data = new FormData();
      data.append("image", file.files[0]);
      data.append("keep_photo", keep && keep.checked ? "1" : "0");
      fetch(box.dataset.uploadUrl, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(box), Accept: "application/json" }
      }).then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok, body: body }; });
      }).then(function (res) {
        file.value = "";
        if (!res.ok) { fail(res.body.message || box.dataset.msgNetwork); return; }
        finishOrWait(res.body, Date.now());
      }).catch(function () { file.value = ""; fail(box.dataset.msgNetwork); });
    });

    review.addEventListener("keydown", function (event) {
      // Enter in a review box must not submit the page's form before it is filled in.
      if (event.key === "Enter") event.preventDefault();
    });

    box.querySelector("[data-licence-confirm]").addEventListener("click", function () {
      var extra = [];
      box.querySelectorAll("tr[data-field]").forEach(function (row) {
        var use = row.querySelector("[data-licence-use]");
        var value = row.querySelector("[data-licence-value]").value.trim();
        if (!use.checked || !value) return;
        var target = row.dataset.input ? document.getElementById(row.dataset.input) : null;
        if (target) {
          target.value = value;
          target.dispatchEvent(new Event("input", { bubbles: true }));
          target.dispatchEvent(new Event("change", { bubbles: true }));
        } else if (notesId) {
          extra.push(row.querySelector("th").textContent.trim() + ": " + value);
        }
      });
      var notes = notesId ? document.getElementById(notesId) : null;
      if (notes && extra.length) {
        notes.value = (notes.value ? notes.value.replace(/\s+$/, "") + "\n" : "") + extra.join("\n");
        notes.dispatchEvent(new Event("input", { bubbles: true }));
      }
      show(review, false);
      done.textContent = box.dataset.msgFilled;
      show(done, true);
    });
  }

  function init() { document.querySelectorAll("[data-licence-scan]").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  document.addEventListener("htmx:afterSettle", init);
})();
