// Pi Catalogue charts and selection. A static file, because the Content-Security-Policy
// allows no inline script. The charts are SVG drawn on the server; every bar and cell is
// a link to the gallery filtered to it (that works without JavaScript). Here a click, or
// a drag across the timeline's bars, fills the filter form instead and submits it, so
// htmx updates the grid and the URL as for any filter change.
(function () {
  "use strict";

  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  var drag = null;

  // Chart fragments are asked for in the viewer's zone (it decides where days begin)
  // and at the width of their box, so the server draws them one unit to a pixel and
  // their 11 px text stays 11 px. A box that changes width (the window, a phone's
  // "Timeline" button unfolding it) has its chart drawn again at the new width.
  function contentWidth(box) {
    var style = window.getComputedStyle(box);
    return Math.floor(box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight));
  }

  function addZone(event) {
    var elt = event.detail.elt;
    if (!(elt.closest && elt.closest("[data-viewer-zone]"))) return;
    event.detail.parameters.tz = zone;
    var box = event.detail.target;
    if (box && box.classList.contains("chart")) {
      var width = contentWidth(box);
      if (width > 0) event.detail.parameters.width = width;
      box.dataset.drawnWidth = String(width);
      box.dataset.source = event.detail.path;
    }
  }

  var redrawing = null;
  function redraw() {
    window.clearTimeout(redrawing);
    redrawing = window.setTimeout(function () {
      document.querySelectorAll(".chart[data-source]").forEach(function (box) {
        var width = contentWidth(box), drawn = parseFloat(box.dataset.drawnWidth) || 0;
        // A scrollbar coming or going is not worth a new chart; a resized window or
        // a panel unfolded (drawn at 0) is.
        if (width > 0 && Math.abs(width - drawn) > Math.max(40, drawn * 0.1)) {
          htmx.ajax("GET", box.dataset.source, {source: box, target: box});
        }
      });
    }, 200);
  }

  function applyFilters(query) {
    var form = document.getElementById("filters");
    if (!form) return false;
    new URLSearchParams(query).forEach(function (value, name) {
      var input = form.elements[name];
      if (!input) return;
      // A bucket ends a millisecond before the next: allow milliseconds in the field.
      if (input.type === "datetime-local" && value.indexOf(".") >= 0) input.step = "any";
      input.value = value;
    });
    if (form.elements.tz) form.elements.tz.value = zone;
    form.requestSubmit();
    return true;
  }

  function bars(svg) {
    return Array.prototype.slice.call(svg.querySelectorAll("a.bar"));
  }

  function barAt(svg, clientX) {
    var point = svg.createSVGPoint();
    point.x = clientX;
    point.y = 0;
    var x = point.matrixTransform(svg.getScreenCTM().inverse()).x;
    var all = bars(svg);
    for (var i = 0; i < all.length; i++) {
      if (x < parseFloat(all[i].dataset.x1)) return i;
    }
    return all.length - 1;
  }

  function mark(svg, from, to) {
    var low = Math.min(from, to), high = Math.max(from, to);
    bars(svg).forEach(function (bar, i) {
      bar.classList.toggle("selected", from >= 0 && i >= low && i <= high);
    });
  }

  function rangeQuery(svg, from, to) {
    var all = bars(svg);
    var first = new URLSearchParams(all[Math.min(from, to)].dataset.filters);
    var last = new URLSearchParams(all[Math.max(from, to)].dataset.filters);
    first.set("to", last.get("to"));
    return first.toString();
  }

  function pointerDown(event) {
    var svg = event.target.closest && event.target.closest("svg[data-timeline]");
    if (!svg || event.button !== 0) return;
    var index = barAt(svg, event.clientX);
    drag = {svg: svg, from: index, to: index, pointer: event.pointerId};
    svg.setPointerCapture(event.pointerId);
    mark(svg, index, index);
    event.preventDefault();
  }

  function pointerMove(event) {
    if (!drag || event.pointerId !== drag.pointer) return;
    drag.to = barAt(drag.svg, event.clientX);
    mark(drag.svg, drag.from, drag.to);
  }

  function pointerUp(event) {
    if (!drag || event.pointerId !== drag.pointer) return;
    var done = drag;
    drag = null;
    applyFilters(rangeQuery(done.svg, done.from, done.to));
  }

  // A link in a chart sets its filters. A bar clicked with a pointer was handled on
  // pointerup (a click is a drag over one bar); from the keyboard (detail 0) it is here.
  function click(event) {
    var link = event.target.closest &&
      event.target.closest("#timeline a[data-filters], #profile a[data-filters]");
    if (!link) return;
    event.preventDefault();
    if (link.classList.contains("bar") && event.detail !== 0) return;
    applyFilters(link.dataset.filters);
  }

  document.addEventListener("htmx:configRequest", addZone);
  if (window.ResizeObserver) {
    var watcher = new ResizeObserver(redraw);
    document.addEventListener("htmx:load", function () {
      document.querySelectorAll(".chart").forEach(function (box) { watcher.observe(box); });
    });
  }
  document.addEventListener("pointerdown", pointerDown);
  document.addEventListener("pointermove", pointerMove);
  document.addEventListener("pointerup", pointerUp);
  document.addEventListener("pointercancel", function () { drag = null; });
  document.addEventListener("click", click);
})();
