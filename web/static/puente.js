// Puente: small enhancements; every page works without this file.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "es";

  // Suggestions from ESCO while typing a job title or a skill (fields with data-suggest).
  document.querySelectorAll("[data-suggest]").forEach(function (input, n) {
    var list = document.createElement("datalist");
    list.id = "suggest-" + n;
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");
    input.parentNode.appendChild(list);
    var timer = null, last = "";
    input.addEventListener("input", function () {
      // For a comma-separated list, suggest for the part being typed.
      var parts = input.value.split(","), q = parts[parts.length - 1].trim();
      if (q.length < 2 || q === last) { return; }
      last = q;
      clearTimeout(timer);
      timer = setTimeout(function () {
        fetch("/api/v1/suggest?kind=" + input.dataset.suggest + "&lang=" + lang + "&q=" + encodeURIComponent(q))
          .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
          .then(function (body) {
            var head = parts.slice(0, -1).map(function (p) { return p.trim(); }).filter(Boolean);
            list.innerHTML = "";
            body.suggestions.forEach(function (s) {
              var option = document.createElement("option");
              option.value = head.concat([s]).join(", ");
              list.appendChild(option);
            });
          })
          .catch(function () {});
      }, 200);
    });
  });

  // The residence statuses of the country chosen only (the list holds every country's, grouped).
  var home = document.getElementById("country"), statusList = document.getElementById("status");
  if (home && statusList) {
    var groups = Array.prototype.slice.call(statusList.querySelectorAll("optgroup[data-country]"));
    var showStatuses = function () {
      var chosen = home.value, kept = statusList.value;
      groups.forEach(function (g) { if (g.parentNode) { g.parentNode.removeChild(g); } });
      groups.forEach(function (g) { if (!chosen || g.dataset.country === chosen) { statusList.appendChild(g); } });
      statusList.value = kept;
      if (statusList.value !== kept) { statusList.value = ""; }
    };
    home.addEventListener("change", showStatuses);
    showStatuses();
  }

  // The private link: a button copies it (the text box can be copied by hand without script).
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var field = document.querySelector(button.dataset.copy);
    if (!field) { return; }
    button.hidden = false;
    field.addEventListener("focus", function () { field.select(); });
    button.addEventListener("click", function () {
      field.select();
      var done = function () { button.textContent = button.dataset.copied; };
      if (navigator.clipboard) { navigator.clipboard.writeText(field.value).then(done, function () {}); }
      else if (document.execCommand("copy")) { done(); }
    });
  });

  // Live run status: poll the API and reload once the ranking is ready (no full-page refresh loop).
  var watch = document.querySelector("[data-run-url]");
  if (watch) {
    var poll = function () {
      fetch(watch.dataset.runUrl, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          var status = (body.matching || body).status;
          if (status === "done" || status === "failed") { window.location.reload(); }
          else { setTimeout(poll, 1000); }
        })
        .catch(function () { setTimeout(poll, 3000); });
    };
    setTimeout(poll, 1000);
  }
})();
