// Behaviour shared by every page. The Content-Security-Policy allows no inline script or event
// handler attribute, so pages declare what they need with data attributes and this file wires it.
(function () {
  "use strict";

  // <form data-confirm="Question?">: ask before submitting; Cancel leaves the page as it was.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form instanceof HTMLFormElement ? form.getAttribute("data-confirm") : null;
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
