// Service-desk helpers. No inline scripts anywhere (the CSP forbids them): every page works
// without this file, it only makes the keyboard and the forms quicker.
//  - "r" (outside a field) jumps to the reply box; Ctrl/Cmd+Enter in a form's text sends it.
//  - The canned-response picker inserts the filled-in text at the cursor instead of reloading.
//  - Impact and urgency selects show the resulting priority (the matrix is in data-matrix).
//  - A running timer shows its elapsed time; status messages fade after a while or on click.
(function () {
  "use strict";

  function typing(target) {
    return target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target && target.tagName === "TEXTAREA" && target.form) {
      event.preventDefault();
      if (target.form.requestSubmit) { target.form.requestSubmit(); } else { target.form.submit(); }
      return;
    }
    if (event.key === "r" && !typing(target) && !event.ctrlKey && !event.metaKey && !event.altKey) {
      var box = document.querySelector("[data-reply-body]");
      if (box) {
        event.preventDefault();
        box.scrollIntoView({ block: "center" });
        box.focus();
      }
    }
  });

  // Canned responses: fetch the text filled in for this ticket, insert it at the cursor.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-canned-url]")) { return; }
    var select = form.querySelector("select[name=canned]");
    var box = document.querySelector("[data-reply-body]");
    if (!select || !select.value || !box || !window.fetch) { return; }
    event.preventDefault();
    var url = form.getAttribute("data-canned-url") + "?canned=" + encodeURIComponent(select.value);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/plain" } })
      .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.text(); })
      .then(function (text) {
        var start = box.selectionStart || 0;
        var end = box.selectionEnd || 0;
        var before = box.value.slice(0, start);
        var glue = before && !/\n$/.test(before) ? "\n" : "";
        box.value = before + glue + text + box.value.slice(end);
        var caret = (before + glue + text).length;
        box.focus();
        box.setSelectionRange(caret, caret);
        select.value = "";
      })
      .catch(function () { form.submit(); });
  });

  // Impact × urgency → priority preview.
  function updatePreview(scope) {
    var previews = (scope || document).querySelectorAll("[data-priority-preview]");
    Array.prototype.forEach.call(previews, function (preview) {
      var form = preview.closest("form");
      if (!form) { return; }
      var data;
      try { data = JSON.parse(preview.getAttribute("data-matrix") || "{}"); } catch (error) { return; }
      var impact = form.querySelector("[data-priority-input=impact]");
      var urgency = form.querySelector("[data-priority-input=urgency]");
      var override = form.querySelector("[data-priority-input=priority]");
      if (!impact || !urgency || !data.matrix) { return; }
      var computed = data.matrix[impact.value + ":" + urgency.value];
      var chosen = override && override.value ? override.value : computed;
      var label = (data.labels && data.labels[chosen]) || chosen || "";
      preview.textContent = "";
      preview.appendChild(document.createTextNode("Priority: "));
      var strong = document.createElement("strong");
      strong.textContent = label;
      preview.appendChild(strong);
      if (override && override.value && override.value !== computed) {
        preview.appendChild(document.createTextNode(" (overridden; the matrix says " + ((data.labels && data.labels[computed]) || computed) + ")"));
      } else {
        preview.appendChild(document.createTextNode(" (from impact and urgency)"));
      }
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.hasAttribute && event.target.hasAttribute("data-priority-input")) { updatePreview(); }
  });

  // Running timers.
  function tick() {
    var now = Date.now();
    Array.prototype.forEach.call(document.querySelectorAll("[data-elapsed-since]"), function (node) {
      var started = Date.parse(node.getAttribute("data-elapsed-since"));
      if (isNaN(started)) { return; }
      var minutes = Math.max(0, Math.floor((now - started) / 60000));
      var hours = Math.floor(minutes / 60);
      node.textContent = hours ? hours + " h " + (minutes % 60) + " min" : minutes + " min";
    });
  }

  // Status messages after htmx actions: dismiss on click, fade after a while.
  document.addEventListener("click", function (event) {
    var toast = event.target.closest && event.target.closest(".toast-region .alert");
    if (toast) { toast.remove(); }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "ticket-flash") {
      var current = target.firstElementChild;
      if (current && !current.classList.contains("alert-error")) {
        setTimeout(function () { if (current.parentNode) { current.remove(); } }, 6000);
      }
    }
  });
  document.addEventListener("htmx:afterSettle", function () { updatePreview(); tick(); });

  function ready() { updatePreview(); tick(); setInterval(tick, 30000); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); } else { ready(); }
})();
