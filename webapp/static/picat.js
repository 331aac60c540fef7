// Pi Catalogue gallery behaviour. A static file, because the Content-Security-Policy
// allows no inline script: local times, the viewer's time zone, filter values kept
// in htmx's history snapshots, delete confirmation, copy buttons, arrow-key paging.
(function () {
  "use strict";

  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  var formats = {
    short: new Intl.DateTimeFormat(undefined, {
      year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit"
    }),
    long: new Intl.DateTimeFormat(undefined, {dateStyle: "full", timeStyle: "long"})
  };

  // Rewrite <time datetime> (UTC from the server) in the viewer's own zone, and tell
  // the filter form which zone its date-time fields are in.
  function localise(root) {
    root.querySelectorAll("time[datetime]:not([data-local])").forEach(function (el) {
      var moment = new Date(el.getAttribute("datetime"));
      if (isNaN(moment.getTime())) return;
      el.textContent = (formats[el.dataset.style] || formats.short).format(moment);
      el.title = el.getAttribute("datetime");
      el.dataset.local = "";
    });
    root.querySelectorAll("input[data-timezone]").forEach(function (el) {
      if (!el.value) el.value = zone;
    });
  }

  // htmx snapshots the page's HTML for the back button, and HTML holds a field's
  // value attribute, not what was typed. Once a filter change is answered (after the
  // old page was snapshotted, before the new URL is pushed) the typed values become
  // the attributes, so each snapshot shows the filters of its own URL.
  function commitFormState() {
    document.querySelectorAll("form input").forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") el.toggleAttribute("checked", el.checked);
      else el.setAttribute("value", el.value);
    });
    document.querySelectorAll("form select option").forEach(function (el) {
      el.toggleAttribute("selected", el.selected);
    });
  }

  // Enter in a filter field fires both "change" and "submit": the second answer lands
  // on the URL already shown, so it replaces that history entry instead of doubling it.
  function beforeHistoryUpdate(event) {
    var update = event.detail.history;
    if (update.type === "push" && update.path === location.pathname + location.search) {
      update.type = "replace";
    }
    commitFormState();
  }

  function confirmSubmit(event) {
    var message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  }

  // A copy button copies its target's text. The clipboard needs a secure context
  // (https, or localhost); over plain http on a LAN the text is selected instead, for
  // Ctrl+C. The button says which happened, then reads "Copy" again.
  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copy(event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.dataset.copy);
    if (!source) return;
    var label = button.dataset.label || (button.dataset.label = button.textContent);
    function say(text) {
      button.textContent = text;
      window.setTimeout(function () { button.textContent = label; }, 2500);
    }
    function fallBack() {
      selectText(source);
      say("Selected: press Ctrl+C");
    }
    if (!navigator.clipboard || !window.isSecureContext) return fallBack();
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      say("Copied");
    }, fallBack);
  }

  // On a phone the filters and the charts fold away behind buttons (picat.css). A
  // button's aria-expanded is the state; it outlives htmx swapping the panel (the
  // charts come back with every filter change), and htmx's history snapshots keep it.
  function syncPanels() {
    document.querySelectorAll("[data-toggle]").forEach(function (button) {
      var panel = document.getElementById(button.getAttribute("aria-controls"));
      if (panel) panel.classList.toggle("open", button.getAttribute("aria-expanded") === "true");
    });
  }

  function togglePanel(event) {
    var button = event.target.closest("[data-toggle]");
    if (!button) return;
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    syncPanels();
  }

  // The number on the "Filters" button: how many filters are set, as they are typed.
  var FILTER_FIELDS = ["from", "to", "lux_min", "lux_max", "camera", "tod_from", "tod_to", "expiring"];
  function countFilters() {
    var form = document.getElementById("filters");
    var badge = document.querySelector("[data-active-filters]");
    if (!form || !badge) return;
    var n = FILTER_FIELDS.filter(function (name) {
      var input = form.elements[name];
      return input && (input.type === "checkbox" ? input.checked : input.value.trim() !== "");
    }).length;
    badge.textContent = String(n);
    badge.dataset.n = String(n);
  }

  function arrowKeys(event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest("input, select, textarea, button")) return;
    var rel = {ArrowLeft: "prev", ArrowRight: "next"}[event.key];
    var link = rel && document.querySelector(".picture-nav a[rel=" + rel + "]");
    if (link) link.click();
  }

  document.addEventListener("DOMContentLoaded", function () { localise(document); });
  document.addEventListener("htmx:load", function (event) { localise(event.target); syncPanels(); });
  document.addEventListener("click", togglePanel);
  document.addEventListener("change", countFilters);
  document.addEventListener("input", countFilters);
  document.addEventListener("htmx:beforeHistoryUpdate", beforeHistoryUpdate);
  document.addEventListener("submit", confirmSubmit, true);
  document.addEventListener("click", copy);
  document.addEventListener("keydown", arrowKeys);
})();
