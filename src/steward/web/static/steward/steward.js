// Keyboard and list helpers. No inline scripts anywhere (the CSP forbids them): pages work
// without this file; it only adds shortcuts.
//  - "/" focuses the page's search box ([data-search]); Escape in it clears the search.
//  - Table rows with data-href open on Enter (when focused) or on a click outside links.
//  - After htmx swaps a list page, the results scroll back into view.
document.addEventListener("keydown", function (event) {
  var target = event.target;
  var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable);
  if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
    var search = document.querySelector("[data-search]");
    if (search) { event.preventDefault(); search.focus(); search.select(); }
  }
  if (event.key === "Escape" && target && target.hasAttribute && target.hasAttribute("data-search") && target.value) {
    target.value = "";
    target.dispatchEvent(new Event("search", { bubbles: true }));
  }
  if (event.key === "Enter" && target && target.dataset && target.dataset.href) {
    window.location.href = target.dataset.href;
  }
});
document.addEventListener("click", function (event) {
  var row = event.target.closest && event.target.closest("tr[data-href]");
  if (row && !event.target.closest("a, button, input, label, select, textarea")) {
    if (window.getSelection && String(window.getSelection())) { return; }  // selecting text, not opening
    window.location.href = row.dataset.href;
  }
});
document.addEventListener("htmx:afterSwap", function (event) {
  var results = event.detail && event.detail.target;
  if (results && results.id === "list-results" && results.getBoundingClientRect().top < 0) {
    results.scrollIntoView({ block: "start" });
  }
});
