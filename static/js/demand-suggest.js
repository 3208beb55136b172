// Demand form: while the firm types, suggest scenario, industry and stage terms from the title and
// description (POST to the form's data-suggest-url, JSON back) and show them as chips; a click on a
// chip chooses that term in the form's own field. Without JavaScript the server suggests on save.
(function () {
  "use strict";
  var form = document.querySelector("form[data-suggest-url]");
  var box = document.getElementById("term-suggestions");
  if (!form || !box || !window.fetch || !window.FormData) { return; }
  var chips = box.querySelector("[data-suggest-chips]");
  var heading = box.querySelector("[data-suggest-heading]");
  var title = form.querySelector("#title");
  var description = form.querySelector("#description");
  var fields = {scenario: form.querySelector("#scenario_ids"), industry: form.querySelector("#industry_id"),
                stage: form.querySelector("#stage_id")};
  var timer = null;
  var asked = "";
  var latest = null;

  function isChosen(kind, id) {
    var select = fields[kind];
    return Boolean(select) && Array.prototype.some.call(select.options, function (o) {
      return o.selected && o.value === String(id);
    });
  }

  function choose(kind, id) {
    var select = fields[kind];
    Array.prototype.forEach.call(select.options, function (o) {
      if (o.value === String(id)) { o.selected = true; } else if (!select.multiple) { o.selected = false; }
    });
    select.dispatchEvent(new Event("change", {bubbles: true}));
  }

  function render() {
    chips.textContent = "";
    var shown = 0;
    ["scenario", "industry", "stage"].forEach(function (kind) {
      ((latest && latest[kind]) || []).forEach(function (term) {
        if (!fields[kind]) { return; }
        var chosen = isChosen(kind, term.id);
        var button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-sm me-1 mb-1 " + (chosen ? "btn-primary" : "btn-outline-primary");
        button.setAttribute("aria-pressed", chosen ? "true" : "false");
        button.setAttribute("data-kind", kind);
        button.setAttribute("data-term-id", String(term.id));
        button.textContent = (chosen ? "\u2713 " : "+ ") + term.label;
        button.addEventListener("click", function () { choose(kind, term.id); });
        chips.appendChild(button);
        shown += 1;
      });
    });
    heading.hidden = shown === 0;
  }

  function ask() {
    var key = title.value + "\n" + description.value;
    if (key === asked || key.trim().length < 4) { return; }
    asked = key;
    var body = new FormData();
    body.append("title", title.value);
    body.append("description", description.value);
    var token = form.querySelector("input[name=csrf_token]");
    if (token) { body.append("csrf_token", token.value); }
    fetch(form.getAttribute("data-suggest-url"), {method: "POST", body: body, credentials: "same-origin",
                                                   headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data && key === asked) { latest = data; render(); } })
      .catch(function () { /* suggestions are a help, not a requirement */ });
  }

  form.addEventListener("input", function (event) {
    if (event.target === title || event.target === description) {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 600);
    }
  });
  form.addEventListener("change", function (event) {
    if (latest && (event.target === fields.scenario || event.target === fields.industry || event.target === fields.stage)) {
      render();
    }
  });
  ask();  // the edit page opens with text already there
})();
