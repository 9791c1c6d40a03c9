// The booking manager: a resource timeline (EventCalendar) per booking kind. Every change goes to
// the server, and the calendar shows the server's answer: a refused move snaps back with the reason.
(function () {
  const cfg = window.BOOKINGS;
  const el = document.getElementById("booking-calendar");
  if (!cfg || !el) return;
  const T = cfg.text;
  const message = document.getElementById("calendar-message");
  const menu = document.getElementById("booking-menu");
  const tooltip = document.getElementById("booking-tooltip");
  const csrf = (window.VERKSTAD || {}).csrf;

  function pad(n) { return String(n).padStart(2, "0"); }
  function local(d) {
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  function show(text, kind) {
    message.textContent = text;
    message.className = "alert alert-" + (kind || "danger");
    clearTimeout(show.timer);
    show.timer = setTimeout(function () { message.className = "alert d-none"; }, 8000);
  }
  function post(url, body) {
    return fetch(url, {method: "POST", headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf},
                       body: JSON.stringify(body || {})})
      .then(function (r) { return r.json().catch(function () { return {ok: false, error: T.failed}; }); });
  }
  function node(tag, cls, text) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  }
  function filters() {
    const params = new URLSearchParams();
    ["f-make", "f-model-group", "f-category"].forEach(function (id) {
      const input = document.getElementById(id);
      if (input && input.value) params.set(input.name, input.value);
    });
    const chosen = document.getElementById("f-vehicle");
    if (chosen) Array.from(chosen.selectedOptions).forEach(function (o) { params.append("vehicle", o.value); });
    return params;
  }

  function resourceLabel(info) {
    const r = info.resource, p = r.extendedProps || {};
    const box = node("div", "resource-label");
    const first = node("span", "resource-reg", r.title);
    box.appendChild(first);
    if (p.free) { const f = node("span", "free", "●"); f.title = T.free; box.appendChild(f); }
    if (p.overdue) { const w = node("span", "warn", "⚠"); w.title = T.overdue; box.appendChild(w); }
    if (p.notes && p.notes.length) {
      const flag = node("a", "flag", "⚑");
      flag.title = T.notes + ": " + p.notes.join("; ");
      if (p.notes_url) { flag.href = p.notes_url + "#notes"; flag.target = "_blank"; }
      box.appendChild(flag);
    }
    if (p.model) {
      if (cfg.twoLines) box.appendChild(node("br"));
      box.appendChild(node("span", "resource-model", (cfg.twoLines ? "" : " ") + p.model));
    }
    return {domNodes: [box]};
  }

  function tip(ev, e) {
    const p = ev.extendedProps;
    tooltip.innerHTML = "";
    [[p.number + " · " + p.status_label + (p.confirmed ? " · " + T.confirmed : "")],
     [T.customer + ": " + p.customer], [T.driver + ": " + (p.driver || "–")], [T.planned + ": " + p.planned],
     p.issued ? [T.issued + ": " + p.issued] : null, p.returned ? [T.returned + ": " + p.returned] : null]
      .forEach(function (line) { if (line) { tooltip.appendChild(node("div", "", line[0])); } });
    tooltip.style.left = (e.pageX + 12) + "px";
    tooltip.style.top = (e.pageY + 12) + "px";
    tooltip.classList.remove("d-none");
  }

  function closeMenu() { menu.classList.remove("show"); menu.innerHTML = ""; }
  document.addEventListener("click", function (e) { if (!menu.contains(e.target)) closeMenu(); });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") closeMenu(); });

  function openMenu(ev, e) {
    e.preventDefault();
    tooltip.classList.add("d-none");
    fetch(cfg.menuUrl.replace("/0/", "/" + ev.id + "/"), {headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        menu.innerHTML = "";
        (data.actions || []).forEach(function (action) {
          const a = node("a", "dropdown-item", T[action] || action);
          a.href = data.urls[action] || "#";
          a.dataset.action = action;
          if (action.indexOf("print_") === 0) a.target = "_blank";
          // "template" is a plain link: it opens the new-booking form filled from this booking
          const posted = {confirm: 1, unconfirm: 1, cancel_issue: 1, "delete": 1};
          if (posted[action]) {
            a.addEventListener("click", function (click) {
              click.preventDefault();
              closeMenu();
              if (action === "delete" && !window.confirm(T.confirmDelete)) return;
              if (action === "cancel_issue" && !window.confirm(T.confirmCancel)) return;
              post(data.urls[action]).then(function (res) {
                if (!res.ok) { show(res.error); return; }
                show(T.saved, "success");
                ec.refetchEvents();
                ec.refetchResources();
              });
            });
          }
          menu.appendChild(a);
        });
        menu.style.left = e.pageX + "px";
        menu.style.top = e.pageY + "px";
        menu.classList.add("show");
      });
  }

  function saveMove(info) {
    const ev = info.event;
    const body = {start: local(ev.start), end: local(ev.end), version: ev.extendedProps.version};
    if (info.newResource) body.resource = String(info.newResource.id);
    post(cfg.moveUrl.replace("/0/", "/" + ev.id + "/"), body).then(function (res) {
      if (!res.ok) {
        info.revert();
        show(res.error || T.failed);
        return;
      }
      show(res.warning || T.saved, res.warning ? "warning" : "success");
      ec.refetchEvents();
    }, function () { info.revert(); show(T.failed); });
  }

  const ec = EventCalendar.create(el, {
    view: "resourceTimelineWeek",
    date: cfg.goTo || new Date(),
    locale: cfg.locale,
    firstDay: 1,
    height: "auto",
    headerToolbar: {start: "prev,next today", center: "title", end: "resourceTimelineDay,resourceTimelineWeek,resourceTimelineMonth"},
    buttonText: {today: T.today, resourceTimelineDay: T.day, resourceTimelineWeek: T.week, resourceTimelineMonth: T.month},
    views: {
      resourceTimelineDay: {slotDuration: "00:30"},
      resourceTimelineWeek: {slotDuration: "03:00", slotLabelFormat: {hour: "2-digit"}, snapDuration: "00:15"},
      resourceTimelineMonth: {slotDuration: {days: 1}}
    },
    slotWidth: 36,
    nowIndicator: true,
    selectable: cfg.mayNew,
    editable: cfg.mayEdit,
    eventResizableFromStart: false,
    dragScroll: true,
    resources: function () {
      return fetch(cfg.resourcesUrl + "?" + filters().toString(), {headers: {"Accept": "application/json"}}).then(function (r) { return r.json(); });
    },
    eventSources: [{
      events: function (info) {
        const params = filters();
        params.set("start", local(info.start));
        params.set("end", local(info.end));
        return fetch(cfg.eventsUrl + "?" + params.toString(), {headers: {"Accept": "application/json"}}).then(function (r) { return r.json(); });
      }
    }],
    resourceLabelContent: resourceLabel,
    select: function (info) {
      if (!info.resource) return;
      const params = new URLSearchParams({start: local(info.start), end: local(info.end), resource: String(info.resource.id)});
      window.location = cfg.newUrl + "?" + params.toString();
    },
    eventDrop: saveMove,
    eventResize: saveMove,
    eventClick: function (info) { window.location = cfg.menuUrl.replace("/0/menu", "/" + info.event.id); },
    eventDidMount: function (info) {
      info.el.dataset.bookingId = info.event.id;
      info.el.dataset.status = info.event.extendedProps.status;
      info.el.addEventListener("contextmenu", function (e) { openMenu(info.event, e); });
      info.el.addEventListener("mousemove", function (e) { tip(info.event, e); });
      info.el.addEventListener("mouseleave", function () { tooltip.classList.add("d-none"); });
    }
  });
  window.bookingCalendar = ec;

  ["f-make", "f-model-group", "f-category", "f-vehicle"].forEach(function (id) {
    const input = document.getElementById(id);
    if (input) input.addEventListener("change", function () { ec.refetchResources(); ec.refetchEvents(); });
  });
  const goTo = document.getElementById("f-date");
  if (goTo) goTo.addEventListener("change", function () { if (goTo.value) ec.setOption("date", goTo.value); });
})();
