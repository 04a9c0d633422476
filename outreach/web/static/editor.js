/* The live counter of the post editor and of the announcement form: as the officer types, ask the server
 * (debounced) for the length as the platform counts it and the plain-language findings, and show them. The
 * server does every count and check (the same rules as saving); this script only carries the answer, always
 * as text (never as markup). Without it the "Check" button does the same. */
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

  function element(name, className, text) {
    var made = document.createElement(name);
    if (className) {
      made.className = className;
    }
    if (text) {
      made.textContent = text;
    }
    return made;
  }

  function setUpAnnouncement(form) {
    var url = form.getAttribute("data-check-url");
    var out = document.getElementById("checks");
    var timer = null;
    var asked = 0;

    function show(answer) {
      while (out.firstChild) {
        out.removeChild(out.firstChild);
      }
      if (answer.problem) {
        out.appendChild(element("p", "problem", answer.problem));
      }
      if (!answer.channels.length) {
        return;
      }
      out.appendChild(element("h2", "", out.getAttribute("data-heading")));
      answer.channels.forEach(function (channel) {
        var box = element("div", "check");
        box.appendChild(element("h3", "", channel.label));
        box.appendChild(element("p", channel.over > 0 ? "counter over" : "counter", channel.sentence));
        if (channel.problem) {
          box.appendChild(element("p", "problem", channel.problem));
        }
        if (channel.findings.length) {
          var list = element("ul", "findings");
          channel.findings.forEach(function (finding) {
            list.appendChild(element("li", "finding-" + finding.severity, finding.label));
          });
          box.appendChild(list);
        } else if (!channel.problem) {
          box.appendChild(element("p", "", out.getAttribute("data-plain")));
        }
        out.appendChild(box);
      });
    }

    function ask() {
      var number = ++asked;
      fetch(url, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
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

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, WAIT_MS);
    }

    form.addEventListener("input", later);
    form.addEventListener("change", later);
  }

  document.querySelectorAll("textarea[data-check-url]").forEach(setUp);
  document.querySelectorAll("form.announce[data-check-url]").forEach(setUpAnnouncement);
})();
