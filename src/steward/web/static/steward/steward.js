// Keyboard helpers: "/" focuses the page's search box; rows with data-href open on Enter.
document.addEventListener("keydown", function (event) {
  var target = event.target;
  var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable);
  if (event.key === "/" && !typing) {
    var search = document.querySelector("[data-search]");
    if (search) { event.preventDefault(); search.focus(); search.select(); }
  }
  if (event.key === "Enter" && target && target.dataset && target.dataset.href) {
    window.location.href = target.dataset.href;
  }
});
document.addEventListener("click", function (event) {
  var row = event.target.closest && event.target.closest("tr[data-href]");
  if (row && !event.target.closest("a, button, input, label")) { window.location.href = row.dataset.href; }
});
