// Portico: progressive enhancement only. Loads plugin card fragments, keeps
// the theme choice, submits filter selects on change, and the keyboard:
// "/" focuses the header search box; on the search page the arrow keys or
// j/k move between results and Enter opens one. Every page works without it.
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

  function typing(el) {
    return !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  // Results are links; moving focus between them makes Enter open the
  // focused one natively and keeps screen readers in step.
  function moveResult(list, links, step) {
    var i = links.indexOf(document.activeElement);
    var next = i < 0 ? (step > 0 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, i + step));
    links[next].focus();
    list.querySelectorAll("li.result.active").forEach(function (li) { li.classList.remove("active"); });
    var li = links[next].closest("li.result");
    if (li) {
      li.classList.add("active");
      li.scrollIntoView({ block: "nearest" });
    }
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.defaultPrevented) return;
    var active = document.activeElement;
    var box = document.getElementById("q");
    if (ev.key === "/" && box && !typing(active)) {
      ev.preventDefault();
      box.focus();
      box.select();
      return;
    }
    if (ev.key === "Escape" && typing(active) && active.type === "search") {
      active.blur();
      return;
    }
    var list = document.getElementById("search-results");
    if (!list) return;
    var links = Array.prototype.slice.call(list.querySelectorAll("a.result-link"));
    if (links.length === 0) return;
    var down = ev.key === "ArrowDown" || (ev.key === "j" && !typing(active));
    var up = ev.key === "ArrowUp" || (ev.key === "k" && !typing(active));
    if (!down && !up) return;
    // From a search box only ArrowDown leaves it (into the results).
    if (typing(active) && !(down && active.type === "search")) return;
    ev.preventDefault();
    moveResult(list, links, down ? 1 : -1);
  });

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
