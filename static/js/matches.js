// "Matching…": while an item's matches are computed in the background, ask every second whether
// they are ready (GET data-match-pending, answers {"pending": bool}) and reload the page when they are.
(function () {
  "use strict";
  var notes = document.querySelectorAll("[data-match-pending]");
  if (!notes.length || !window.fetch) { return; }
  var tries = 0;
  function poll() {
    tries += 1;
    var checks = Array.prototype.map.call(notes, function (note) {
      return fetch(note.getAttribute("data-match-pending"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : {pending: true}; })
        .catch(function () { return {pending: true}; });
    });
    Promise.all(checks).then(function (answers) {
      if (answers.some(function (a) { return !a.pending; })) { window.location.reload(); }
      else if (tries < 60) { window.setTimeout(poll, 1000); }
    });
  }
  window.setTimeout(poll, 700);
})();
