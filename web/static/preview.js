// Live preview of a watchlist edit: the form works without it (Preview
// button); with it, every change asks the API what the edit would do.
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form || !window.fetch) { return; }
  var out = document.getElementById("preview");
  var errs = document.getElementById("errors");
  var timer = null, seq = 0;

  function lines(name) {
    var el = form.elements[name];
    if (!el) { return undefined; }
    return el.value.split("\n").map(function (s) { return s.trim(); }).filter(function (s) { return s !== ""; });
  }

  function body() {
    var kind = form.elements.kind.value;
    var b = { kind: kind, name: form.elements.name.value, days: parseInt(form.elements.days.value, 10) || 7 };
    if (kind === "company") {
      b.aliases = lines("aliases");
      b.exclude = lines("exclude");
      b.all_news = form.elements.all_news.checked;
    } else {
      b.terms = lines("terms");
      b.exclude = [];
    }
    return b;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function list(title, items, cls) {
    var frag = document.createDocumentFragment();
    if (!items.length) { return frag; }
    frag.appendChild(el("h2", "", title));
    var ul = el("ul", "changes");
    items.forEach(function (it) {
      var li = el("li", cls);
      var a = el("a", "", it.title);
      if (/^https?:\/\//i.test(it.link)) { a.href = it.link; }
      a.rel = "noopener noreferrer nofollow";
      a.target = "_blank";
      li.appendChild(a);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", "small", (it.matched_terms || []).join(", ")));
      ul.appendChild(li);
    });
    frag.appendChild(ul);
    return frag;
  }

  function show(data) {
    errs.textContent = "";
    out.textContent = "";
    var p = el("p", "count");
    p.appendChild(el("strong", "", String(data.matches)));
    p.appendChild(document.createTextNode(" matching items · "));
    p.appendChild(el("strong", "", String(data.gained.length)));
    p.appendChild(document.createTextNode(" gained · "));
    p.appendChild(el("strong", "", String(data.lost.length)));
    p.appendChild(document.createTextNode(" lost"));
    out.appendChild(p);
    out.appendChild(list("Gained", data.gained, "gained"));
    out.appendChild(list("Lost", data.lost, "lost"));
  }

  function problems(list) {
    errs.textContent = "";
    var ul = el("ul", "error");
    ul.setAttribute("role", "alert");
    list.forEach(function (m) { ul.appendChild(el("li", "", m)); });
    errs.appendChild(ul);
  }

  function run() {
    var mine = ++seq;
    out.setAttribute("aria-busy", "true");
    fetch("/api/watchlist/preview", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf },
      body: JSON.stringify(body())
    }).then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, data: data }; });
    }).then(function (res) {
      if (mine !== seq) { return; }
      out.removeAttribute("aria-busy");
      if (res.ok) { show(res.data); } else { problems(res.data.errors || [res.data.error || "preview failed"]); }
    }).catch(function () { out.removeAttribute("aria-busy"); });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(run, 250);
  });
  run();
})();
