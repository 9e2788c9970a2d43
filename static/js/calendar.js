// Calendar keyboard navigation (PRODUCT §2.5): in the week or month grid, Up and Down move between the
// windows of a day, Left and Right to the nearest window of the previous or next day; Page Up and
// Page Down open the previous or next period. Everything stays reachable with Tab alone.
(function () {
  "use strict";
  function days(grid) {
    return Array.prototype.filter.call(grid.querySelectorAll("section"), function (day) {
      return day.querySelector("[data-calendar-item]");
    });
  }
  function move(grid, item, key) {
    var day = item.closest("section");
    var items = Array.prototype.slice.call(day.querySelectorAll("[data-calendar-item]"));
    var index = items.indexOf(item);
    if (key === "ArrowDown" || key === "ArrowUp") {
      return items[index + (key === "ArrowDown" ? 1 : -1)];
    }
    var all = days(grid);
    var next = all[all.indexOf(day) + (key === "ArrowRight" ? 1 : -1)];
    if (!next) { return null; }
    var theirs = next.querySelectorAll("[data-calendar-item]");
    return theirs[Math.min(index, theirs.length - 1)];
  }
  // The week grid scrolls within the page: open it at working hours (07:00), not at midnight, unless the
  // week has nothing in them: then at its first window after 07:00 (the demo's evening work), or before.
  function openAtWorkingHours() {
    var grid = document.querySelector("[data-calendar-scroll]");
    var hour = grid && grid.querySelector(".cal-hours .cal-row-7");
    if (!hour || grid.scrollHeight <= grid.clientHeight) { return; }
    var head = grid.querySelector(".cal-day-head").offsetHeight;
    var top = hour.offsetTop - head;
    var starts = Array.prototype.map.call(grid.querySelectorAll(".cal-slots > [data-calendar-item]"), function (item) {
      return { top: item.offsetTop, bottom: item.offsetTop + item.offsetHeight };
    });
    var shown = Math.min(grid.clientHeight, window.innerHeight - grid.getBoundingClientRect().top);
    var seen = starts.some(function (s) { return s.bottom > top + head && s.top < top + shown; });
    if (!seen && starts.length) {
      var later = starts.filter(function (s) { return s.top > top; }).map(function (s) { return s.top; });
      var first = later.length ? Math.min.apply(null, later) : Math.min.apply(null, starts.map(function (s) { return s.top; }));
      top = first - head - hour.offsetHeight;
    }
    grid.scrollTop = top;
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", openAtWorkingHours);
  } else {
    openAtWorkingHours();
  }
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var grid = document.querySelector("[data-calendar]");
    if (!grid) { return; }
    if (event.key === "PageUp" || event.key === "PageDown") {
      var link = document.querySelector(event.key === "PageUp" ? "a[rel=prev][data-calendar-key]" : "a[rel=next][data-calendar-key]");
      if (link && !event.target.closest("input, select, textarea")) { event.preventDefault(); link.click(); }
      return;
    }
    if (["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"].indexOf(event.key) < 0) { return; }
    var item = event.target.closest && event.target.closest("[data-calendar-item]");
    if (!item || !grid.contains(item)) { return; }
    var target = move(grid, item, event.key);
    if (target) { event.preventDefault(); target.focus(); }
  });
})();
