/* @hostname autocomplete for the change form's description and plan fields (PRODUCT §2.4).
 *
 * A textarea with data-mentions="<suggestions URL>" asks the server (through htmx) for active
 * devices whose hostname starts with what follows the "@" at the caret, the change's company
 * first. Like the ticket typeahead (static/js/tickets.js), nothing is highlighted until an arrow
 * key: Down highlights the first suggestion, Up the last; Enter or Tab inserts the highlighted
 * one as "@hostname " (the first one when none is highlighted), Escape closes them; a click picks
 * one too. Loaded from a static file: the CSP forbids inline script.
 */
(function () {
  "use strict";

  // An "@" not glued to a word, dot or dash on its left (as cbcw/changes/mentions.py reads them).
  var TOKEN = /(?:^|[^\w.@-])@([A-Za-z0-9][A-Za-z0-9._-]*)?$/;

  function setUp(textarea) {
    var list = document.createElement("ul");
    var status = document.createElement("span");
    var token = null;
    var active = -1;
    var timer = null;
    var asked = 0;

    list.id = textarea.id + "-mentions";
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Devices to mention");
    list.hidden = true;
    status.className = "sr-only";
    status.setAttribute("role", "status");
    textarea.insertAdjacentElement("afterend", status);
    textarea.insertAdjacentElement("afterend", list);
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", list.id);

    function options() {
      return Array.prototype.slice.call(list.querySelectorAll("[role=option]"));
    }

    function tokenAtCaret() {
      if (textarea.selectionStart !== textarea.selectionEnd) {
        return null;
      }
      var before = textarea.value.slice(0, textarea.selectionStart);
      var match = before.match(TOKEN);
      if (!match) {
        return null;
      }
      var prefix = match[1] || "";
      return { prefix: prefix, start: textarea.selectionStart - prefix.length - 1, end: textarea.selectionStart };
    }

    function close() {
      list.hidden = true;
      list.innerHTML = "";
      active = -1;
      token = null;
      textarea.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      var all = options();
      all.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (all[index]) {
        textarea.setAttribute("aria-activedescendant", all[index].id);
        all[index].scrollIntoView({ block: "nearest" });
      } else {
        textarea.removeAttribute("aria-activedescendant");
      }
    }

    function lookUp() {
      var found = tokenAtCaret();
      if (!found) {
        close();
        return;
      }
      var company = document.getElementById("company_id");
      var query = new URLSearchParams({ q: found.prefix, company_id: company ? company.value : "" });
      var ticket = ++asked;
      window.htmx.ajax("GET", textarea.dataset.mentions + "?" + query.toString(), { target: list, swap: "innerHTML" })
        .then(function () {
          if (ticket !== asked) {
            return; // a newer keystroke asked again; its answer decides
          }
          token = found;
          var count = options().length;
          list.hidden = count === 0;
          status.textContent = count ? count + " device(s) suggested: use the arrow keys and Enter." : "";
          highlight(-1); // nothing highlighted until an arrow key, as in the ticket typeahead
        });
    }

    function pick(option) {
      if (!option || !token) {
        return;
      }
      // Replace the whole word being typed (also what follows the caret), and add a space only
      // where none follows already: picking never leaves a double space.
      var value = textarea.value;
      var end = token.end + value.slice(token.end).match(/^[A-Za-z0-9._-]*/)[0].length;
      var rest = value.slice(end);
      var text = "@" + option.dataset.hostname + (/^\s/.test(rest) ? "" : " ");
      textarea.value = value.slice(0, token.start) + text + rest;
      var caret = token.start + text.length + (/^ /.test(rest) ? 1 : 0);
      textarea.setSelectionRange(caret, caret);
      close();
      status.textContent = "Inserted " + text.trim() + ".";
      textarea.focus();
    }

    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookUp, 150);
    });
    textarea.addEventListener("keydown", function (event) {
      if (list.hidden) {
        return;
      }
      var count = options().length;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight((active + 1) % count);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(active <= 0 ? count - 1 : active - 1);
      } else if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        pick(options()[active < 0 ? 0 : active]);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    textarea.addEventListener("blur", function () {
      setTimeout(close, 200); // after a click on an option has been handled
    });
    list.addEventListener("mousedown", function (event) {
      event.preventDefault(); // keep the focus (and the caret) in the textarea
      pick(event.target.closest("[role=option]"));
    });
  }

  function init() {
    document.querySelectorAll("textarea[data-mentions]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
