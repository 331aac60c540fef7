// Pi Catalogue selection: the grid's checkboxes belong to the toolbar form (form="bulk"),
// so selecting and submitting works without JavaScript. Here: shift-click ticks a range,
// the toolbar counts the selection, Delete asks first, and the zip is asked for without
// the form's CSRF token in its URL (a download changes nothing).
(function () {
  "use strict";

  var last = null;

  function boxes() {
    return Array.prototype.slice.call(
      document.querySelectorAll("input[type=checkbox][name=id][form=bulk]"));
  }

  function update() {
    var out = document.querySelector("[data-selected-count]");
    var all = document.querySelector("[data-select-all]");
    if (!out) return;
    var n = boxes().filter(function (box) { return box.checked; }).length;
    if (all && all.checked) out.textContent = "All matching pictures selected";
    else if (n) out.textContent = n + (n === 1 ? " picture selected" : " pictures selected");
    else out.textContent = "Tick pictures to select them (shift-click for a range)";
  }

  function click(event) {
    var box = event.target.closest && event.target.closest("input[name=id][form=bulk]");
    if (!box) return;
    var all = boxes();
    if (event.shiftKey && last && last !== box && all.indexOf(last) >= 0) {
      var a = all.indexOf(last), b = all.indexOf(box);
      for (var i = Math.min(a, b); i <= Math.max(a, b); i++) all[i].checked = box.checked;
    }
    last = box;
    update();
  }

  function submit(event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-bulk]")) return;
    var button = event.submitter;
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    if (button && "zip" in button.dataset) {
      event.preventDefault();
      var data = new FormData(form);
      data.delete("csrf_token");
      data.delete("include_kept");
      window.location.assign(button.getAttribute("formaction") + "?" +
        new URLSearchParams(data).toString());
    }
  }

  document.addEventListener("click", click);
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-select-all]")) update();
  });
  document.addEventListener("submit", submit, true);
  document.addEventListener("htmx:load", update);
})();
