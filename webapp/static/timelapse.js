// Pi Catalogue timelapse form: typing an interval or a time of day chooses that option,
// so the frame count (asked for by htmx as the form changes) follows what was typed.
(function () {
  "use strict";
  var choices = { interval: "interval", at: "daily" };

  function choose(event) {
    var field = event.target;
    var form = field.form;
    if (!form || form.id !== "timelapse" || !(field.name in choices)) return;
    var radio = form.querySelector("input[name=pick][value=" + choices[field.name] + "]");
    if (radio) radio.checked = true;
  }

  document.addEventListener("focusin", choose);
  document.addEventListener("input", choose, true);
})();
