// Tabs (WAI-ARIA tabs pattern): one tab in the Tab order, arrow keys, Home and End move between
// tabs and open the one reached; after HTMX swaps the tab set, focus returns to the chosen tab.
(function () {
  "use strict";
  var KEYS = { ArrowRight: 1, ArrowLeft: -1, Home: "first", End: "last" };
  var refocus = false;

  document.addEventListener("keydown", function (event) {
    var tab = event.target.closest('[role="tablist"] [role="tab"]');
    if (!tab || !(event.key in KEYS)) return;
    var tabs = Array.prototype.slice.call(tab.closest('[role="tablist"]').querySelectorAll('[role="tab"]'));
    var move = KEYS[event.key], index = tabs.indexOf(tab);
    var next = move === "first" ? tabs[0] : move === "last" ? tabs[tabs.length - 1]
      : tabs[(index + move + tabs.length) % tabs.length];
    event.preventDefault();
    if (next === tab) return;
    refocus = true;
    next.focus();
    next.click();
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (!refocus) return;
    var selected = event.detail.elt.querySelector('[role="tab"][aria-selected="true"]');
    if (selected) {
      refocus = false;
      selected.focus();
    }
  });
})();
