// ChangeBreeze's own script (loaded from base.html; the CSP allows no inline script).
// - A failed HTMX request shows its message in the live region #request-status, where screen
//   readers announce it: the server's short error fragment, or a plain sentence when the server
//   could not be reached.
// - Dialog buttons: [data-close-dialog] closes its dialog; after a successful HTMX request,
//   [data-open-dialog-on-success="id"] opens that dialog and [data-close-dialog-on-success]
//   closes the one it sits in (these replace inline onclick / hx-on handlers).
// - Tables keep their table roles when the phone layout turns their rows into blocks.
(function () {
  "use strict";

  function statusRegion() {
    return document.getElementById("request-status");
  }

  function showError(message) {
    var region = statusRegion();
    if (!region) return;
    region.querySelector("[data-status-text]").textContent = message;
    region.hidden = false;
  }

  function hideError() {
    var region = statusRegion();
    if (region) region.hidden = true;
  }

  function messageFrom(xhr) {
    var fallback = "The request failed (" + xhr.status + "). Reload the page and try again.";
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (type.indexOf("text/html") !== 0 || !xhr.responseText) return fallback;
    var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
    var element = doc.querySelector(".error-message");
    var text = element ? element.textContent.trim() : "";
    return text || fallback;
  }

  document.addEventListener("htmx:responseError", function (event) {
    showError(messageFrom(event.detail.xhr));
  });

  document.addEventListener("htmx:sendError", function () {
    showError("The server could not be reached. Check your connection and try again.");
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var element = event.detail.elt;
    if (!event.detail.successful) return;
    hideError();
    var opens = element.getAttribute("data-open-dialog-on-success");
    if (opens) {
      var dialog = document.getElementById(opens);
      if (dialog && !dialog.open) dialog.showModal();
    }
    if (element.hasAttribute("data-close-dialog-on-success")) {
      var own = element.closest("dialog");
      if (own) own.close();
    }
  });

  // At phone width the stylesheet shows each table row as a block of labelled values; some
  // browsers (Safari) then drop the table from the accessibility tree. Explicit roles keep the
  // rows, cells and column headings announced as a table, whatever the layout.
  var TABLE_ROLES = [["table", "table"], ["thead, tbody, tfoot", "rowgroup"], ["tr", "row"],
                     ["thead th", "columnheader"], ["tbody th", "rowheader"], ["td", "cell"]];

  function keepTableRoles(root) {
    // A swapped-in row or cell: its own table; otherwise every table inside what was swapped in.
    var own = root.closest && root.closest("table");
    var tables = own ? [own] : Array.prototype.slice.call(root.querySelectorAll("table"));
    tables.forEach(function (table) {
      TABLE_ROLES.forEach(function (pair) {
        var found = pair[0] === "table" ? [table] : table.querySelectorAll(pair[0]);
        Array.prototype.forEach.call(found, function (element) {
          if (!element.hasAttribute("role")) element.setAttribute("role", pair[1]);
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { keepTableRoles(document); });
  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.querySelectorAll) keepTableRoles(elt);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-close-dialog]");
    if (button) {
      var dialog = button.closest("dialog");
      if (dialog) dialog.close();
      return;
    }
    if (event.target.closest("[data-dismiss-status]")) hideError();
  });
})();
