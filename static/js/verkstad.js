// Top bar notifications, guards every console form against a double click on Save, and gives
// Bootstrap tabs and select2 3's widgets the roles and names assistive technology needs.
(function () {
  const cfg = window.VERKSTAD || {};
  const list = document.getElementById("notification-list");
  const badge = document.getElementById("notification-count");

  function post(url, body) {
    return fetch(url, {method: "POST", headers: {"Content-Type": "application/json", "X-CSRFToken": cfg.csrf}, body: JSON.stringify(body)});
  }

  function render(data) {
    if (!list) return;
    badge.textContent = data.unread;
    badge.classList.toggle("d-none", data.unread === 0);
    list.innerHTML = "";
    if (!data.items.length) {
      const empty = document.createElement("span");
      empty.className = "dropdown-item-text text-muted";
      empty.textContent = cfg.noNotifications;
      list.appendChild(empty);
      return;
    }
    data.items.forEach(function (n) {
      const a = document.createElement("a");
      a.className = "dropdown-item notification" + (n.read ? "" : " unread");
      a.href = n.link || "#";
      a.dataset.id = n.id;
      a.textContent = n.message;
      const small = document.createElement("small");
      small.className = "d-block text-muted";
      small.textContent = n.at;
      a.appendChild(small);
      a.addEventListener("click", function () { post(cfg.readUrl, {id: n.id}); });
      list.appendChild(a);
    });
    const all = document.createElement("button");
    all.className = "dropdown-item text-primary";
    all.id = "notifications-read-all";
    all.textContent = cfg.markAllRead;
    all.addEventListener("click", function (e) { e.preventDefault(); post(cfg.readUrl, {id: "all"}).then(load); });
    list.appendChild(all);
  }

  function load() {
    if (!list || !cfg.notificationsUrl) return;
    fetch(cfg.notificationsUrl, {headers: {"Accept": "application/json"}}).then(r => r.ok ? r.json() : null).then(d => d && render(d));
  }
  load();
  setInterval(load, 60000);

  document.addEventListener("submit", function (e) {
    const form = e.target;
    if (form.dataset.submitted) { e.preventDefault(); return; }
    form.dataset.submitted = "1";
    setTimeout(function () { delete form.dataset.submitted; }, 5000);
  }, true);

  // Bootstrap's tabs: a tablist's items are presentation, its links tabs (tab.js keeps aria-selected)
  function tabRoles(root) {
    root.querySelectorAll('[role="tablist"]').forEach(function (list) {
      list.querySelectorAll(":scope > li").forEach(function (li) { li.setAttribute("role", "presentation"); });
      list.querySelectorAll('[data-toggle="tab"]').forEach(function (a) {
        a.setAttribute("role", "tab");
        a.setAttribute("aria-selected", a.classList.contains("active") ? "true" : "false");
        const pane = a.getAttribute("href");
        if (pane && pane.charAt(0) === "#") a.setAttribute("aria-controls", pane.slice(1));
      });
    });
  }

  // select2 3 draws an unnamed link in place of the select: it is named by the select's label and
  // the value it shows (aria-labelledby, so the name follows the value)
  function select2Names() {
    document.querySelectorAll(".select2-container").forEach(function (box) {
      const id = (box.id || "").replace(/^s2id_/, "");
      const label = id && document.querySelector('label[for="' + CSS.escape(id) + '"]');
      if (!label) return;
      if (!label.id) label.id = "label-" + id;
      box.querySelectorAll(".select2-choice").forEach(function (choice) {
        const chosen = choice.querySelector(".select2-chosen");
        if (chosen && !chosen.id) chosen.id = "chosen-" + id;
        choice.setAttribute("aria-labelledby", label.id + (chosen ? " " + chosen.id : ""));
      });
      box.querySelectorAll(".select2-choices input, .select2-focusser").forEach(function (el) {
        if (!el.getAttribute("aria-labelledby")) el.setAttribute("aria-labelledby", label.id);
      });
    });
  }

  tabRoles(document);
  // EventCalendar marks itself up as a table whose rows hold a toolbar, buttons and row headers
  // outside any row, which screen readers cannot follow (axe: aria-required-children/-parent):
  // a calendar is a labelled region, its bookings buttons, its arrows named, and its scrolling
  // box reachable by keyboard (bookings.js, booking_planning.js call this after each drawing)
  window.verkstadCalendarRoles = function (el, label, prev, next) {
    const root = el.querySelector(".ec");
    if (!root) return;
    root.setAttribute("role", "region");
    root.setAttribute("aria-label", label);
    root.querySelectorAll("[role=row],[role=rowgroup],[role=rowheader],[role=columnheader],[role=cell],[role=gridcell]")
      .forEach(function (n) { n.removeAttribute("role"); });
    root.querySelectorAll("[aria-colindex],[aria-rowindex]").forEach(function (n) {
      n.removeAttribute("aria-colindex"); n.removeAttribute("aria-rowindex");
    });
    [["ec-prev", prev], ["ec-next", next]].forEach(function (pair) {
      const button = root.querySelector("button." + pair[0]);
      if (button && pair[1]) { button.setAttribute("aria-label", pair[1]); button.title = pair[1]; }
    });
    const main = root.querySelector(".ec-main");
    if (main && !main.hasAttribute("tabindex")) { main.tabIndex = 0; main.setAttribute("aria-label", label); }
  };
  // a screen that started a job follows it (services.platform.jobs' status JSON): ``step(s)`` after
  // each reading, every half second until the job ends, then ``end(s)``
  window.verkstadFollowJob = function (url, step, end) {
    fetch(url, {headers: {"Accept": "application/json"}}).then(function (r) { return r.json(); }).then(function (s) {
      step(s);
      if (!s.ended) { setTimeout(function () { window.verkstadFollowJob(url, step, end); }, 500); return; }
      end(s);
    });
  };
  // Flask-Admin starts select2 on DOM ready (helpers.js): name the widgets after it
  if (window.jQuery) { window.jQuery(function () { setTimeout(select2Names, 0); }); }
})();
