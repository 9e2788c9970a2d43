// A typeahead that picks one value (WAI-ARIA combobox with a listbox popup), e.g. the ConnectWise
// company of a client on the settings page. Markup: [data-combobox] holding the input
// ([data-combobox-input], role="combobox", aria-controls = the listbox), the listbox the server
// fills with [data-combobox-option] items (data-value), and a form ([data-combobox-form]) whose
// [data-combobox-value] input receives the chosen value before it is submitted (through htmx).
// ↓ ↑ move the active option (aria-activedescendant), Enter or a click chooses it, Escape closes.
(function () {
  "use strict";

  function parts(element) {
    var box = element.closest("[data-combobox]");
    if (!box) return null;
    var input = box.querySelector("[data-combobox-input]");
    var list = document.getElementById(input.getAttribute("aria-controls"));
    return { box: box, input: input, list: list,
             options: Array.prototype.slice.call(list.querySelectorAll("[data-combobox-option]")) };
  }

  function activate(p, index) {
    p.options.forEach(function (option, i) { option.setAttribute("aria-selected", i === index ? "true" : "false"); });
    if (p.options[index]) {
      p.input.setAttribute("aria-activedescendant", p.options[index].id);
      p.options[index].scrollIntoView({ block: "nearest" });
    } else {
      p.input.removeAttribute("aria-activedescendant");
    }
  }

  function close(p) {
    p.list.innerHTML = "";
    p.input.setAttribute("aria-expanded", "false");
    p.input.removeAttribute("aria-activedescendant");
  }

  function choose(p, option) {
    var form = p.box.querySelector("[data-combobox-form]");
    form.querySelector("[data-combobox-value]").value = option.getAttribute("data-value");
    if (window.htmx) window.htmx.trigger(p.input, "htmx:abort");  // a late answer must not reopen the list
    form.requestSubmit();
  }

  document.addEventListener("keydown", function (event) {
    var input = event.target.closest && event.target.closest("[data-combobox-input]");
    if (!input) return;
    var p = parts(input);
    var index = p.options.findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!p.options.length) return;
      var step = event.key === "ArrowDown" ? 1 : -1;
      activate(p, index < 0 ? (step > 0 ? 0 : p.options.length - 1) : (index + step + p.options.length) % p.options.length);
    } else if (event.key === "Enter") {
      event.preventDefault();  // never the no-JavaScript search page
      if (index >= 0) choose(p, p.options[index]);
    } else if (event.key === "Escape") {
      close(p);
    }
  });

  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest("[data-combobox-option]");
    if (option) choose(parts(option), option);
  });

  // The list is open while it holds options (htmx filled it).
  document.addEventListener("htmx:afterSwap", function (event) {
    var list = event.detail.target;
    var input = list && list.id && document.querySelector('[data-combobox-input][aria-controls="' + list.id + '"]');
    if (input) input.setAttribute("aria-expanded", list.children.length ? "true" : "false");
  });
})();
