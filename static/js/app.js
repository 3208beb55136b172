// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  // File inputs with data-max-total / data-max-files: say so beside the field instead of sending a
  // request the server must refuse as a whole (which would lose what was typed).
  function fileProblem(input) {
    var chosen = Array.prototype.slice.call(input.files || []);
    var total = chosen.reduce(function (sum, f) { return sum + f.size; }, 0);
    if (input.dataset.maxFiles && chosen.length > Number(input.dataset.maxFiles)) { return input.dataset.tooMany; }
    if (input.dataset.maxTotal && total > Number(input.dataset.maxTotal)) { return input.dataset.tooLarge; }
    return null;
  }
  function showFileProblem(input, message) {
    var box = input.parentNode.querySelector(".js-file-error");
    if (!message) {
      if (box) { box.remove(); input.classList.remove("is-invalid"); }
      return;
    }
    if (!box) {
      box = document.createElement("div");
      box.className = "invalid-feedback d-block js-file-error";
      box.setAttribute("role", "alert");
      input.insertAdjacentElement("afterend", box);
    }
    box.textContent = message;
    input.classList.add("is-invalid");
  }
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[type=file][data-max-total], input[type=file][data-max-files]")) {
      showFileProblem(input, fileProblem(input));
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var bad = Array.prototype.filter.call(form.querySelectorAll("input[type=file][data-max-total], input[type=file][data-max-files]"),
      function (input) { var message = fileProblem(input); showFileProblem(input, message); return message; });
    if (bad.length) { event.preventDefault(); bad[0].focus(); return; }
    // Ask before destructive actions (forms marked data-confirm).
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
