/* Reachboard admin pages: small progressive enhancements. Every form also works without it. */
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // Copy buttons: data-copy="#element" copies its value or text.
  $$("[data-copy]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var el = $(btn.getAttribute("data-copy"));
      if (!el) return;
      var text = el.value !== undefined && el.tagName !== "PRE" ? el.value : el.textContent;
      var done = function () { var old = btn.textContent; btn.textContent = "Copied"; setTimeout(function () { btn.textContent = old; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { fallback(el, text); done(); });
      } else { fallback(el, text); done(); }
    });
  });
  function fallback(el, text) {
    var area = document.createElement("textarea");
    area.value = text; document.body.appendChild(area); area.select();
    try { document.execCommand("copy"); } catch (e) { /* the text stays selectable */ }
    document.body.removeChild(area);
  }

  // Destructive forms ask first.
  $$("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.confirm(form.getAttribute("data-confirm"))) ev.preventDefault();
    });
  });

  // People: companies only matter for client viewers.
  $$("form[data-role-form]").forEach(function (form) {
    var box = $("[data-viewer-only]", form);
    if (!box) return;
    function role() {
      var checked = $("input[name=role]:checked", form);
      var select = $("select[name=role]", form);
      return checked ? checked.value : (select ? select.value : "");
    }
    function sync() { box.classList.toggle("d-none", role() !== "viewer"); }
    form.addEventListener("change", sync);
    sync();
  });

  // Repeating rows (strategy audiences, channel plan): clone the last row with the next index.
  $$("[data-add-row]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var name = btn.getAttribute("data-add-row");
      var box = $('[data-rows="' + name + '"]');
      var rows = $$("[data-row]", box);
      var last = rows[rows.length - 1];
      var next = rows.length;
      var clone = last.cloneNode(true);
      var pattern = new RegExp("^(" + name + "[.-])\\d+");
      $$("[name],[id],[for]", clone).forEach(function (el) {
        ["name", "id", "for"].forEach(function (attr) {
          var v = el.getAttribute(attr);
          if (v) el.setAttribute(attr, v.replace(pattern, "$1" + next).replace(/^([af])(\d+)-/, function (m, p) { return p + next + "-"; }));
        });
        if (el.type === "checkbox" || el.type === "radio") el.checked = false;
        else if (el.tagName === "SELECT") el.selectedIndex = 0;
        else if ("value" in el) el.value = "";
        el.classList.remove("is-invalid");
      });
      $$(".invalid-feedback", clone).forEach(function (el) { el.remove(); });
      box.appendChild(clone);
      var first = $("input,select,textarea", clone);
      if (first) first.focus();
    });
  });

  // The strategy editor: one question at a time, in the brief's order.
  $$("form[data-stepper]").forEach(function (form) {
    var steps = $$(".rb-step", form);
    var links = $$("[data-step-link]", form);
    var prev = $("[data-step-prev]", form);
    var next = $("[data-step-next]", form);
    var current = 0;
    var firstInvalid = $(".is-invalid", form);
    if (firstInvalid) {
      var owner = firstInvalid.closest(".rb-step");
      current = steps.indexOf(owner);
    } else {
      current = parseInt(form.getAttribute("data-first-step") || "0", 10) || 0;
    }
    function show(i) {
      current = Math.max(0, Math.min(steps.length - 1, i));
      steps.forEach(function (s, j) { s.classList.toggle("d-none", j !== current); });
      links.forEach(function (a, j) {
        a.classList.toggle("active", j === current);
        a.classList.toggle("rb-step-error", !!$(".is-invalid", steps[j]));
        if (j === current) a.setAttribute("aria-current", "step"); else a.removeAttribute("aria-current");
      });
      prev.disabled = current === 0;
      next.disabled = current === steps.length - 1;
    }
    links.forEach(function (a, j) { a.addEventListener("click", function (ev) { ev.preventDefault(); show(j); }); });
    prev.addEventListener("click", function () { show(current - 1); });
    next.addEventListener("click", function () { show(current + 1); var f = $("input:not([type=hidden]),textarea,select", steps[current]); if (f) f.focus(); });
    show(current);
  });

  // Goals: preview the progress the goal would have while the KPI is typed.
  $$("form[data-goal-form]").forEach(function (form) {
    var url = form.getAttribute("data-preview-url");
    var card = $('[data-testid="goal-preview"]');
    var result = $("[data-preview-result]", card);
    var hint = $("[data-preview-hint]", card);
    var list = $("[data-preview-errors]", card);
    var metric = $('select[name="kpi.metric"]', form);
    var aggregation = $('select[name="kpi.aggregation"]', form);
    var timer = null;
    var seq = 0;
    // Only fields the person has touched get a complaint: a blank new form says nothing yet.
    var touched = {};
    function labelOf(field) {
      var label = $('label[for="f-' + field.replace(/\./g, "-") + '"]', form);
      return label ? label.textContent.trim() : field.replace("kpi.", "");
    }
    var badge = { achieved: "success", on_track: "success", at_risk: "warning", off_track: "danger", missed: "danger", not_started: "secondary" };
    function fmt(v) {
      if (v === null || v === undefined) return "—";
      if (typeof v === "number") return v.toLocaleString(undefined, { maximumFractionDigits: 2 });
      return String(v);
    }
    function refresh() {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (v, k) { if (k !== "csrf_token" && k !== "version") params.append(k, v); });
      var mine = ++seq;
      fetch(url + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (mine !== seq) return;
          list.innerHTML = "";
          if (!data.ok) {
            result.classList.add("d-none");
            hint.classList.remove("d-none");
            (data.errors || []).filter(function (e) { return /^kpi/.test(e.field) && touched[e.field]; })
              .forEach(function (e) {
                var li = document.createElement("li"); li.textContent = labelOf(e.field) + ": " + e.message; list.appendChild(li);
              });
            return;
          }
          var p = data.progress;
          hint.classList.add("d-none");
          result.classList.remove("d-none");
          $('[data-p="current"]', card).textContent = fmt(p.current);
          $('[data-p="baseline"]', card).textContent = fmt(p.baseline);
          $('[data-p="percent"]', card).textContent = p.percent === null ? "—" : fmt(p.percent) + " %";
          var s = $('[data-p="status"]', card);
          s.textContent = data.status_label;
          s.className = "badge text-bg-" + (badge[p.status] || "secondary");
          $('[data-p="forecast_date"]', card).textContent = p.forecast_date || "no forecast";
        })
        .catch(function () { /* the preview is a convenience; saving still works */ });
    }
    function later(event) {
      if (event && event.target && event.target.name) touched[event.target.name] = true;
      clearTimeout(timer); timer = setTimeout(refresh, 250);
    }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    if (metric && aggregation) {
      metric.addEventListener("change", function () {
        var opt = metric.options[metric.selectedIndex];
        var agg = opt && opt.getAttribute("data-aggregation");
        if (agg) aggregation.value = agg;
      });
    }
    refresh();
  });

  // Forms marked data-warn-unsaved: leaving the page with changes typed in asks first (the browser's
  // own "Leave site?" dialog); submitting the form does not.
  $$("form[data-warn-unsaved]").forEach(function (form) {
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("change", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (event) {
      if (!dirty) return;
      event.preventDefault();
      event.returnValue = "";
    });
  });

  // CSV upload: choosing a file checks it on the server (nothing stored) and shows what it holds
  // and would change; Import is on only when the check passed.
  $$("form[data-check-url]").forEach(function (form) {
    var file = $('input[type="file"]', form);
    var out = $("[data-csv-check]", form);
    var button = $("[data-csv-import]", form);
    if (!file || !out || !button) return;
    button.disabled = true;
    var seq = 0;
    file.addEventListener("change", function () {
      var mine = ++seq;
      button.disabled = true;
      if (!file.files.length) { out.innerHTML = ""; return; }
      out.innerHTML = '<p class="small rb-muted mb-0">Checking the file…</p>';
      fetch(form.getAttribute("data-check-url"), { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          if (mine !== seq) return;
          out.innerHTML = html;  // rendered (and escaped) by the server's template
          var card = $("[data-ok]", out);
          button.disabled = !(card && card.getAttribute("data-ok") === "1");
          out.scrollIntoView({ block: "nearest", behavior: "smooth" });
        })
        .catch(function () {
          if (mine !== seq) return;
          out.innerHTML = '<p class="small text-danger mb-0">The file could not be checked; Import checks it again.</p>';
          button.disabled = false;
        });
    });
  });
})();
