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
      return;
    }
    // A long action (Connect, Push) that leaves the page: its button shows progress and takes no
    // second click. htmx does the same for the buttons it posts (hx-disabled-elt).
    if (form instanceof HTMLFormElement && form.classList.contains("progress-form")) {
      form.querySelectorAll("button").forEach(function (button) {
        setTimeout(function () { button.disabled = true; }, 0);
        button.classList.add("is-busy");
      });
    }
  });

  // The menu button of narrow screens shows and hides the navigation.
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest(".menu-button") : null;
    if (!button) return;
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.closest(".topbar").classList.toggle("open", open);
  });
})();
