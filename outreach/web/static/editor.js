/* The post editor's live counter: as the officer types, ask the server (debounced) for the length as the
 * platform counts it and the plain-language findings, and show them. The server does every count and check
 * (the same rules as saving); this script only carries the answer. Without it the "Check" button does the same. */
(function () {
  "use strict";
  var WAIT_MS = 250;

  function setUp(area) {
    var form = area.form;
    var url = area.getAttribute("data-check-url");
    var counter = document.getElementById("counter");
    var problem = document.getElementById("check-problem");
    var findings = document.getElementById("findings");
    var timer = null;
    var asked = 0;

    function show(answer) {
      counter.textContent = answer.sentence;
      counter.classList.toggle("over", answer.over > 0);
      problem.textContent = answer.problem || "";
      problem.hidden = !answer.problem;
      while (findings.firstChild) {
        findings.removeChild(findings.firstChild);
      }
      answer.findings.forEach(function (finding) {
        var item = document.createElement("li");
        item.className = "finding-" + finding.severity;
        item.textContent = finding.label;
        findings.appendChild(item);
      });
    }

    function ask() {
      var number = ++asked;
      var body = new FormData();
      body.append("csrf_token", form.elements.csrf_token.value);
      body.append("text", area.value);
      fetch(url, { method: "POST", body: body, headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (answer) {
          if (answer && number === asked) {
            show(answer);
          }
        })
        .catch(function () {
          /* offline or signed out: the "Check" button still works */
        });
    }

    area.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, WAIT_MS);
    });
  }

  document.querySelectorAll("textarea[data-check-url]").forEach(setUp);
})();
