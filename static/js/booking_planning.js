// Planning tab of the booking form: a small resource timeline synchronised both ways with the
// start, end, vehicle and trade-plate inputs. Saving still goes through the form (server checks).
(function () {
  const cfg = window.BOOKING_PLANNING;
  const el = document.getElementById("planning-calendar");
  if (!cfg || !el || typeof EventCalendar === "undefined") return;
  const own = el.dataset.booking;
  const start = document.getElementById("start_at"), end = document.getElementById("end_at");
  const vehicle = document.getElementById("vehicle"), plate = document.getElementById("trade_plate");
  let ec = null;

  function pad(n) { return String(n).padStart(2, "0"); }
  function local(d) { return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes()); }
  function resourceId() {
    if (vehicle && vehicle.value) return "v" + vehicle.value;
    if (plate && plate.value) return "p" + plate.value;
    return null;
  }
  function draft() {
    if (!start.value || !end.value || !resourceId()) return null;
    return {id: "draft", resourceIds: [resourceId()], start: start.value, end: end.value, title: "●",
            classNames: ["booking-draft"], editable: !cfg.locked, startEditable: !cfg.locked, durationEditable: !cfg.locked};
  }
  function setResource(id) {
    if (cfg.lockedResource) return;
    if (id.charAt(0) === "v" && vehicle) { vehicle.value = id.slice(1); }
    if (id.charAt(0) === "p" && plate) { plate.value = id.slice(1); if (vehicle && !vehicle.value) vehicle.value = ""; }
  }
  function refreshDraft() {
    if (!ec) return;
    ec.removeEventById("draft");
    const d = draft();
    if (d) { ec.addEvent(d); ec.setOption("date", start.value.slice(0, 10)); }
  }
  function fromCalendar(ev, resource) {
    start.value = local(ev.start);
    end.value = local(ev.end);
    if (resource) setResource(String(resource.id));
  }

  let rolesFrame = null;
  function fixRoles() {  // once per frame, after EventCalendar has drawn (verkstad.js)
    if (rolesFrame === null) rolesFrame = requestAnimationFrame(function () {
      rolesFrame = null;
      window.verkstadCalendarRoles(el, cfg.text.title, cfg.text.prev, cfg.text.next);
    });
  }

  function create() {
    if (ec) return;
    ec = EventCalendar.create(el, {
      view: "resourceTimelineWeek", date: (start.value || local(new Date())).slice(0, 10), locale: cfg.locale, firstDay: 1,
      height: "auto", headerToolbar: {start: "prev,next", center: "title", end: ""},
      views: {resourceTimelineWeek: {slotDuration: "03:00", slotLabelFormat: {hour: "2-digit"}, snapDuration: "00:15"}},
      slotWidth: 30, selectable: !cfg.locked, editable: false,
      resourceLabelContent: function (info) {
        const label = document.createElement("span");
        label.className = "resource-label";
        label.textContent = info.resource.title;
        return {domNodes: [label]};
      },
      resources: function () {
        return fetch(cfg.resourcesUrl, {headers: {"Accept": "application/json"}}).then(function (r) { return r.ok ? r.json() : []; });
      },
      eventSources: [{events: function (info) {
        const params = new URLSearchParams({start: local(info.start), end: local(info.end)});
        return fetch(cfg.eventsUrl + "?" + params, {headers: {"Accept": "application/json"}})
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (rows) {
            const others = rows.filter(function (e) { return e.id !== own; }).map(function (e) {
              return Object.assign(e, {editable: false, startEditable: false, durationEditable: false});
            });
            const d = draft();
            return d ? others.concat([d]) : others;
          });
      }}],
      select: function (info) {
        if (!info.resource) return;
        if (cfg.lockedResource && String(info.resource.id) !== resourceId()) return;
        fromCalendar({start: info.start, end: info.end}, info.resource);
        refreshDraft();
        ec.unselect();
      },
      eventDrop: function (info) {
        if (cfg.lockedResource && info.newResource) { info.revert(); return; }
        fromCalendar(info.event, info.newResource);
      },
      eventResize: function (info) { fromCalendar(info.event, null); },
      datesSet: fixRoles, resourceLabelDidMount: fixRoles, eventDidMount: fixRoles
    });
    fixRoles();
    window.planningCalendar = ec;
  }

  [start, end, vehicle, plate].forEach(function (input) { if (input) input.addEventListener("change", refreshDraft); });
  $('a[href="#tab-planning"]').on("shown.bs.tab", create);
  if (document.querySelector("#tab-planning.active")) create();
})();
