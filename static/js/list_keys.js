// Keyboard shortcuts on a list of rows ([data-row-keys], e.g. the changes list): j moves focus to
// the next row's main link ([data-row-link]), k to the previous one, and Enter opens the focused
// link as any link does. The shortcuts are named on the links (aria-keyshortcuts) and in the
// help line the table points at (aria-describedby), so a screen reader user hears of them.
// Keys typed into a field, or with a modifier, are left alone.
(function () {
  "use strict";
  var MOVES = { j: 1, k: -1 };

  document.addEventListener("keydown", function (event) {
    if (!(event.key in MOVES) || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    var table = document.querySelector("[data-row-keys]");
    if (!table) return;
    var links = Array.prototype.slice.call(table.querySelectorAll("[data-row-link]"));
    if (!links.length) return;
    var index = links.indexOf(document.activeElement);
    var next = index < 0 ? (MOVES[event.key] > 0 ? 0 : links.length - 1)
      : Math.min(links.length - 1, Math.max(0, index + MOVES[event.key]));
    event.preventDefault();
    links[next].focus();
    links[next].closest("tr").scrollIntoView({ block: "nearest" });
  });
})();
