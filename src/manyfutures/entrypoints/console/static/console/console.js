// The console's only script of its own: small progressive enhancements. Every page works
// without it (the forms post and the server answers with a whole page).
(function () {
  "use strict";

  // A new project's time zone defaults to the browser's, when the reader has not typed one.
  function fillBrowserTimeZone(root) {
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (error) {
      return;
    }
    root.querySelectorAll("input[data-browser-timezone]").forEach(function (input) {
      if (!input.value && zone) {
        input.value = zone;
      }
    });
  }

  // Daily and weekdays have fixed days: the day boxes are hidden (and skipped by Tab).
  function syncCadenceDays(root) {
    root.querySelectorAll("select[data-cadence-mode]").forEach(function (select) {
      var days = select.form && select.form.querySelector("[data-cadence-days]");
      if (!days) {
        return;
      }
      var update = function () {
        days.hidden = select.value === "daily" || select.value === "weekdays";
      };
      select.addEventListener("change", update);
      update();
    });
  }

  function enhance(root) {
    fillBrowserTimeZone(root);
    syncCadenceDays(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
  });
  document.addEventListener("htmx:load", function (event) {
    enhance(event.target);
  });
})();
