// ConnectWise ticket behaviour, kept in a static file so the Content-Security-Policy needs no
// inline script: the ticket typeahead's keyboard and choice (templates/connectwise/_ticket_field.html),
// the Add Time Entry popup, the popup telling the change page to refresh its ticket widget, and
// the widget's poll skipped while its tab is hidden.
// Everything is delegated from `document`, so it works on content HTMX swaps in later.
(function () {
  "use strict";

  var POPUP_NAME = "cbcw-time-entry";
  // About the size of ConnectWise's own time entry window.
  var POPUP_FEATURES = "popup=yes,width=820,height=680,resizable=yes,scrollbars=yes";
  var SAVED_MESSAGE = "cbcw:time-entry-saved";

  // --- Ticket typeahead --------------------------------------------------------------------

  function pickerOf(element) { return element.closest("[data-ticket-picker]"); }
  function optionsOf(picker) { return Array.prototype.slice.call(picker.querySelectorAll("[data-ticket-option]")); }

  function setActive(picker, index) {
    var options = optionsOf(picker);
    var query = picker.querySelector("[data-ticket-query]");
    options.forEach(function (option, i) { option.setAttribute("aria-selected", i === index ? "true" : "false"); });
    if (options[index]) {
      query.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({block: "nearest"});
    } else {
      query.removeAttribute("aria-activedescendant");
    }
  }

  function activeIndex(picker) {
    return optionsOf(picker).findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
  }

  function clearResults(picker) {
    var results = picker.querySelector("#ticket-results");
    var query = picker.querySelector("[data-ticket-query]");
    if (results) { results.innerHTML = ""; }
    if (query) {
      query.setAttribute("aria-expanded", "false");
      query.removeAttribute("aria-activedescendant");
    }
  }

  function choose(picker, option) {
    var query = picker.querySelector("[data-ticket-query]");
    picker.querySelector("[data-ticket-id]").value = option.dataset.ticketId;
    picker.querySelector("[data-ticket-summary]").value = option.dataset.ticketSummary;
    picker.querySelector("[data-ticket-label]").textContent = "#" + option.dataset.ticketId + " · " + option.dataset.ticketSummary;
    picker.querySelector("[data-ticket-chosen]").hidden = false;
    if (window.htmx) { window.htmx.trigger(query, "htmx:abort"); }  // a late answer must not reopen the list
    query.value = "";
    clearResults(picker);
    query.focus();
  }

  function clearChoice(picker) {
    picker.querySelector("[data-ticket-id]").value = "";
    picker.querySelector("[data-ticket-summary]").value = "";
    picker.querySelector("[data-ticket-label]").textContent = "";
    picker.querySelector("[data-ticket-chosen]").hidden = true;
    picker.querySelector("[data-ticket-query]").focus();
  }

  document.addEventListener("keydown", function (event) {
    var query = event.target.closest && event.target.closest("[data-ticket-query]");
    if (!query) { return; }
    var picker = pickerOf(query);
    var options = optionsOf(picker);
    var index = activeIndex(picker);
    if (event.key === "ArrowDown" && options.length) {
      event.preventDefault();
      setActive(picker, (index + 1) % options.length);
    } else if (event.key === "ArrowUp" && options.length) {
      event.preventDefault();
      setActive(picker, index <= 0 ? options.length - 1 : index - 1);
    } else if (event.key === "Enter" && options.length) {
      event.preventDefault();  // pick, do not submit the change form
      choose(picker, options[index < 0 ? 0 : index]);
    } else if (event.key === "Escape") {
      clearResults(picker);
    }
  });

  document.addEventListener("click", function (event) {
    var option = event.target.closest("[data-ticket-option]");
    if (option) { choose(pickerOf(option), option); return; }
    var clear = event.target.closest("[data-ticket-clear]");
    if (clear) { clearChoice(pickerOf(clear)); return; }
    var popup = event.target.closest("[data-time-entry-popup]");
    if (popup && !(event.ctrlKey || event.metaKey || event.shiftKey)) {
      var url = new URL(popup.href, window.location.href);
      url.searchParams.set("popup", "1");
      var opened = window.open(url.toString(), POPUP_NAME, POPUP_FEATURES);
      if (opened) { event.preventDefault(); opened.focus(); }  // blocked: the link opens as a page
      return;
    }
    if (event.target.closest("[data-close-window]")) { window.close(); }
  });

  // New suggestions arrived: say so to assistive technology and start with none active.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id !== "ticket-results") { return; }
    var picker = pickerOf(event.target);
    var query = picker.querySelector("[data-ticket-query]");
    query.setAttribute("aria-expanded", optionsOf(picker).length ? "true" : "false");
    setActive(picker, -1);
  });

  // --- Ticket widget poll -------------------------------------------------------------------

  // The widget asks every 2 s whether a callback moved its ticket (hx-trigger "every 2s"); a hidden
  // tab does not ask, and the first poll once it is shown again catches up; a refresh (the button,
  // a saved time entry) still goes. (htmx's trigger filter, `every 2s [...]`, would need eval,
  // which the Content-Security-Policy forbids.)
  document.addEventListener("htmx:beforeRequest", function (event) {
    var poll = event.target.id === "cw-ticket-widget" && /[?&]since=/.test(event.detail.requestConfig.path);
    if (poll && document.visibilityState === "hidden") {
      event.preventDefault();
    }
  });

  // --- Time entry popup --------------------------------------------------------------------

  // The opener (the change page) refreshes its ticket widget when the popup saved an entry.
  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin || !event.data || event.data.type !== SAVED_MESSAGE) { return; }
    var widget = document.getElementById("cw-ticket-widget");
    if (widget && window.htmx) {
      window.htmx.ajax("GET", widget.dataset.refreshUrl, {target: widget, swap: "outerHTML"});
    }
  });

  // In the popup, after saving: tell the opener, then close.
  document.addEventListener("DOMContentLoaded", function () {
    var saved = document.querySelector("[data-time-entry-saved]");
    if (!saved || !window.opener) { return; }
    window.opener.postMessage({type: SAVED_MESSAGE, changeId: saved.dataset.changeId}, window.location.origin);
    window.setTimeout(function () { window.close(); }, 1500);
  });
}());
