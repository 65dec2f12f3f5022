// Sync progress on the QuickBooks dashboard: each "last sync" cell of a queued or running sync
// asks the server for its run's status every 1.5 s and shows the result once it has finished.
(function () {
  "use strict";
  var INTERVAL = 1500;

  function poll(cell) {
    var url = cell.getAttribute("data-poll");
    function tick() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (data) {
          cell.innerHTML = data.html;
          if (data.finished) cell.removeAttribute("data-poll");
          else setTimeout(tick, INTERVAL);
        })
        .catch(function () { setTimeout(tick, INTERVAL * 4); });
    }
    setTimeout(tick, INTERVAL);
  }

  document.querySelectorAll("[data-poll]").forEach(poll);
})();
