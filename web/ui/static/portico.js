// Portico: progressive enhancement only. Loads plugin card fragments, keeps
// the theme choice, submits filter selects on change. Every page works
// without it.
(function () {
  "use strict";
  var root = document.documentElement;
  try {
    var saved = localStorage.getItem("portico-theme");
    if (saved) root.setAttribute("data-theme", saved);
  } catch (e) {}

  function loadCard(slot) {
    var src = slot.getAttribute("data-src");
    var title = slot.querySelector("h3") ? slot.querySelector("h3").textContent : "Card";
    fetch(src, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.text();
      })
      .then(function (html) {
        // The fragment is server-rendered with html/template escaping.
        var tpl = document.createElement("template");
        tpl.innerHTML = html;
        slot.replaceChildren(tpl.content);
      })
      .catch(function (err) {
        var art = document.createElement("article");
        art.className = "card state-error";
        art.setAttribute("data-state", "error");
        var h = document.createElement("h3");
        h.textContent = title;
        var p = document.createElement("p");
        p.className = "card-error";
        p.setAttribute("role", "alert");
        p.textContent = "Could not load this card: " + err.message;
        art.append(h, p);
        slot.replaceChildren(art);
      })
      .finally(function () {
        slot.setAttribute("aria-busy", "false");
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".card-slot[data-src]").forEach(loadCard);
    document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
      s.addEventListener("change", function () { s.form.submit(); });
    });
    var t = document.getElementById("theme-toggle");
    if (t) {
      t.hidden = false;
      t.addEventListener("click", function () {
        var dark = root.getAttribute("data-theme") === "dark" ||
          (!root.getAttribute("data-theme") && matchMedia("(prefers-color-scheme: dark)").matches);
        var next = dark ? "light" : "dark";
        root.setAttribute("data-theme", next);
        t.setAttribute("aria-pressed", String(next === "dark"));
        try { localStorage.setItem("portico-theme", next); } catch (e) {}
      });
    }
  });
})();
