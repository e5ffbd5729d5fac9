// The dues month sheet (dues/sheet.html). Loaded with `defer`; no inline scripts (CSP script-src 'self').
// Without this script the sheet still works: tick the boxes one by one and submit.
//
//   [data-dues-select-unpaid]   a button that ticks every unpaid member of the sheet
//   [data-dues-member]          a member's checkbox; Space ticks it, ↑/↓ move between them
//   [data-dues-count]           how many are ticked
(function () {
  "use strict";

  function boxes(root) {
    return Array.prototype.slice.call(root.querySelectorAll("[data-dues-member]"));
  }

  function count(root) {
    var out = root.querySelector("[data-dues-count]");
    if (!out) return;
    out.textContent = String(
      boxes(root).filter(function (b) {
        return b.checked;
      }).length
    );
  }

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-dues-select-unpaid]") : null;
    if (!button) return;
    var root = button.closest("form") || document;
    event.preventDefault();
    var all = boxes(root);
    var allTicked = all.every(function (b) {
      return b.checked;
    });
    all.forEach(function (b) {
      b.checked = !allTicked;
    });
    count(root);
  });

  document.addEventListener("change", function (event) {
    var box = event.target instanceof Element ? event.target.closest("[data-dues-member]") : null;
    if (box) count(box.closest("form") || document);
  });

  document.addEventListener("keydown", function (event) {
    var box = event.target instanceof Element ? event.target.closest("[data-dues-member]") : null;
    if (!box || (event.key !== "ArrowDown" && event.key !== "ArrowUp")) return;
    var all = boxes(box.closest("form") || document);
    var i = all.indexOf(box) + (event.key === "ArrowDown" ? 1 : -1);
    if (i >= 0 && i < all.length) {
      event.preventDefault();
      all[i].focus();
    }
  });
})();
