// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  // Ask before destructive actions (forms marked data-confirm).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    // A double-clicked submit sends the form once (the server refuses duplicates too).
    if (form.hasAttribute("data-once")) {
      if (form.dataset.submitted === "1") { event.preventDefault(); return; }
      form.dataset.submitted = "1";
      // Disable after the browser has collected the form data, so the clicked button's value is sent.
      setTimeout(function () {
        form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) { b.disabled = true; });
      }, 0);
    }
  }, true);
})();
