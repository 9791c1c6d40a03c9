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

  // the resource column's width stays for the next visit in this browser (it suits the screen);
  // the zoom is the user's, on every screen (cfg.zoom, saved through cfg.zoomUrl)
  function stored(key, value) {
    const name = "verkstad.bookings." + key;
    try {
      if (value === undefined) return window.localStorage.getItem(name);
      if (value === null) window.localStorage.removeItem(name); else window.localStorage.setItem(name, String(value));
    } catch (e) { /* private mode: the choice lasts for this page only */ }
    return null;
  }

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

  // --- filters: make, model group, category and the searchable vehicle selection ---------------
  const selects = ["f-make", "f-model-group", "f-category"].map(function (id) { return document.getElementById(id); })
    .filter(Boolean);
  const vehicleBoxes = Array.from(document.querySelectorAll("#f-vehicle-options input[type=checkbox]"));
  const vehicleSearch = document.getElementById("f-vehicle-search");
  const vehicleSummary = document.getElementById("f-vehicle-summary");
  const clearButton = document.getElementById("clear-filters");

  function filters() {
    const params = new URLSearchParams();
    selects.forEach(function (input) { if (input.value) params.set(input.name, input.value); });
    vehicleBoxes.forEach(function (box) { if (box.checked) params.append("vehicle", box.value); });
    return params;
  }
  function filtersChanged() {
    const chosen = vehicleBoxes.filter(function (box) { return box.checked; }).length;
    if (vehicleSummary) {
      vehicleSummary.textContent = chosen ? vehicleSummary.dataset.some.replace("__N__", chosen) : vehicleSummary.dataset.all;
    }
    if (clearButton) clearButton.disabled = !filters().toString();
    ec.refetchResources();
    ec.refetchEvents();
  }
  function fold(text) { return text.toLowerCase().replace(/\s+/g, ""); }
  function searchVehicles() {
    const wanted = fold(vehicleSearch.value);
    let shown = 0;
    document.querySelectorAll("#f-vehicle-options .vehicle-option").forEach(function (option) {
      const match = !wanted || fold(option.dataset.search).indexOf(wanted) !== -1;
      option.classList.toggle("d-none", !match);
      if (match) shown += 1;
    });
    document.getElementById("f-vehicle-none").classList.toggle("d-none", shown > 0);
  }
  if (vehicleSearch) {
    vehicleSearch.addEventListener("input", searchVehicles);
    vehicleSearch.addEventListener("keydown", function (e) {
      if (e.key !== "Enter") return;
      e.preventDefault();  // Enter ticks the first vehicle found
      const first = document.querySelector("#f-vehicle-options .vehicle-option:not(.d-none) input");
      if (first) { first.checked = !first.checked; filtersChanged(); }
    });
    // ticking boxes and typing keep the list open (Bootstrap closes a dropdown on any click)
    vehicleSearch.closest(".dropdown-menu").addEventListener("click", function (e) { e.stopPropagation(); });
    $("#vehicle-filter").on("shown.bs.dropdown", function () { vehicleSearch.focus(); });
  }
  selects.concat(vehicleBoxes).forEach(function (input) { input.addEventListener("change", filtersChanged); });
  if (clearButton) clearButton.addEventListener("click", function () {
    selects.forEach(function (input) { input.value = ""; });
    vehicleBoxes.forEach(function (box) { box.checked = false; });
    if (vehicleSearch) { vehicleSearch.value = ""; searchVehicles(); }
    filtersChanged();
  });

  // --- resources and bookings ------------------------------------------------------------------
  function resourceLabel(info) {
    const r = info.resource, p = r.extendedProps || {};
    const box = node("div", "resource-label");
    box.title = r.title + (p.model ? " " + p.model : "");
    const first = node("span", "resource-reg", r.title);
    box.appendChild(first);
    if (p.free) { const f = node("span", "free", "●"); f.title = T.free; box.appendChild(f); }
    if (p.overdue) { const w = node("span", "warn", "⚠"); w.title = T.overdue; box.appendChild(w); }
    if (p.notes && p.notes.length) {
      const flag = node("a", "flag", "⚑");
      flag.title = T.notes + ": " + p.notes.join("; ");
      flag.setAttribute("aria-label", flag.title);
      if (p.notes_url) { flag.href = p.notes_url + "#notes"; flag.target = "_blank"; }
      box.appendChild(flag);
    }
    if (p.model) {
      if (cfg.twoLines) box.appendChild(node("br"));
      box.appendChild(node("span", "resource-model", (cfg.twoLines ? "" : " ") + p.model));
    }
    return {domNodes: [box]};
  }

  // a booking's bar: the lock of a confirmed one, its number (always readable: a short booking's
  // bar is at least as wide as the number, see bookings.css) and the customer when there is room
  function eventContent(info) {
    const p = info.event.extendedProps;
    const box = node("span", "booking-content");
    if (p.confirmed) {
      const lock = node("i", "fa fa-lock booking-lock");
      lock.setAttribute("aria-hidden", "true");
      box.appendChild(lock);
      box.appendChild(node("span", "sr-only", T.locked + ": "));
    }
    box.appendChild(node("strong", "booking-number", p.number));
    box.appendChild(node("span", "booking-customer", p.customer));
    return {domNodes: [box]};
  }

  function tipLines(ev) {
    const p = ev.extendedProps;
    return [p.number + " · " + p.status_label + (p.confirmed ? " · " + T.confirmed : ""),
            T.customer + ": " + p.customer, T.driver + ": " + (p.driver || "–"), T.planned + ": " + p.planned,
            p.issued ? T.issued + ": " + p.issued : null, p.returned ? T.returned + ": " + p.returned : null,
            p.confirmed ? T.locked : null].filter(Boolean);
  }
  // the tooltip sits beside the pointer (or the focused bar) and always inside the window: it
  // flips to the other side of the pointer where it would run over the right or bottom edge
  function tip(ev, x, y, el2) {
    tooltip.innerHTML = "";
    tipLines(ev).forEach(function (line) { tooltip.appendChild(node("div", "", line)); });
    tooltip.classList.remove("d-none");
    const gap = 12, margin = 4;
    const w = tooltip.offsetWidth, h = tooltip.offsetHeight;
    const vw = document.documentElement.clientWidth, vh = document.documentElement.clientHeight;
    let left = x + gap, top = y + gap;
    if (left + w > vw - margin) left = x - gap - w;
    if (top + h > vh - margin) top = y - gap - h;
    tooltip.style.left = Math.max(margin, Math.min(left, vw - w - margin)) + "px";
    tooltip.style.top = Math.max(margin, Math.min(top, vh - h - margin)) + "px";
    if (el2) el2.setAttribute("aria-describedby", "booking-tooltip");
  }
  function hideTip() { tooltip.classList.add("d-none"); }

  function closeMenu() { menu.classList.remove("show"); menu.innerHTML = ""; }
  document.addEventListener("click", function (e) { if (!menu.contains(e.target)) closeMenu(); });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") { closeMenu(); hideTip(); } });

  function openMenu(ev, e) {
    e.preventDefault();
    hideTip();
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
        // kept inside the window as well
        const box = menu.getBoundingClientRect(), vw = document.documentElement.clientWidth;
        if (box.right > vw - 4) menu.style.left = Math.max(4, e.pageX - box.width) + "px";
        if (box.bottom > window.innerHeight - 4) menu.style.top = Math.max(window.scrollY + 4, e.pageY - box.height) + "px";
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
        ec.refetchEvents();  // after paging the reverted booking may belong to another period
        return;
      }
      show(res.warning || T.saved, res.warning ? "warning" : "success");
      ec.refetchEvents();
    }, function () { info.revert(); show(T.failed); ec.refetchEvents(); });
  }

  // --- zoom: the week in 1-, 3- or 6-hour slots, as wide as the screen allows --------------------
  // snap: the step a drag moves in; min: the narrowest slot whose hour label still reads
  const ZOOMS = {1: {slot: "01:00", snap: "00:15", min: 30}, 3: {slot: "03:00", snap: "00:30", min: 20},
                 6: {slot: "06:00", snap: "01:00", min: 20}};
  const VIEWS = {resourceTimelineDay: {slot: "00:30", snap: "00:15", width: 36},
                 resourceTimelineMonth: {slot: {days: 1}, snap: null, width: 36}};
  let zoom = ZOOMS[cfg.zoom] ? Number(cfg.zoom) : 3;  // the user's, kept on the server (services.platform.preferences)

  function sidebarWidth() {
    const side = el.querySelector(".ec-body .ec-sidebar") || el.querySelector(".ec-sidebar");
    return side ? side.offsetWidth : 150;
  }
  // the widest slot with which the whole week fits the calendar's width (never under min)
  function weekSlotWidth(hours) {
    const main = el.querySelector(".ec-main");
    const available = (main ? main.clientWidth : el.clientWidth) - sidebarWidth() - 2;
    return Math.max(ZOOMS[hours].min, Math.floor(available / (7 * 24 / hours)));
  }
  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
  function set(name, value) { if (!same(ec.getOption(name), value)) ec.setOption(name, value); }
  function applyZoom() {
    const view = ec.getView().type;
    const own = VIEWS[view];
    if (own) {
      set("slotDuration", own.slot);
      set("snapDuration", own.snap || own.slot);
      set("slotWidth", own.width);
    } else {
      const z = ZOOMS[zoom];
      set("slotDuration", z.slot);
      set("snapDuration", z.snap);
      set("slotWidth", weekSlotWidth(zoom));
    }
    set("customButtons", zoomButtons(view === "resourceTimelineWeek"));
    const group = el.querySelector(".ec-zoom1");
    if (group && group.parentNode) {
      group.parentNode.setAttribute("role", "group");
      group.parentNode.setAttribute("aria-label", T.zoom);
    }
  }
  function zoomButtons(enabled) {
    const buttons = {};
    Object.keys(ZOOMS).forEach(function (hours) {
      buttons["zoom" + hours] = {
        text: T.hours.replace("__N__", hours), active: enabled && Number(hours) === zoom,
        click: function () {
          zoom = Number(hours);
          post(cfg.zoomUrl, {hours: zoom});
          if (ec.getView().type !== "resourceTimelineWeek") ec.setOption("view", "resourceTimelineWeek");
          applyZoom();
        }
      };
    });
    return buttons;
  }
  // the fit depends on the resource column, which grows when its labels arrive: once per frame
  let zoomFrame = null;
  function scheduleZoom() {
    if (zoomFrame === null) zoomFrame = requestAnimationFrame(function () {
      zoomFrame = null; addResizer(); applyZoom(); fixRoles();
      requestAnimationFrame(pullInside);  // after EventCalendar has drawn the new slots
    });
  }
  // a short booking at the period's very end would stick out of it at its minimum width
  // (bookings.css) and be cut: it is drawn leftwards from its end instead
  function pullInside() {
    el.querySelectorAll(".ec-body .ec-events").forEach(function (row) {
      const right = row.getBoundingClientRect().right;
      row.querySelectorAll(".ec-event").forEach(function (bar) {
        bar.style.removeProperty("translate");
        const over = bar.getBoundingClientRect().right - right;
        if (over > 0.5) bar.style.setProperty("translate", (-Math.ceil(over)) + "px 0");
      });
    });
  }
  function fixRoles() { window.verkstadCalendarRoles(el, cfg.title, T.prev, T.next); }
  let resizeTimer;
  window.addEventListener("resize", function () { clearTimeout(resizeTimer); resizeTimer = setTimeout(applyZoom, 150); });

  // --- the resource column: drag its right edge (or use the arrow keys on it) to resize ---------
  const MIN_WIDTH = 90, MAX_WIDTH = 480;
  function setResourceWidth(px, save) {
    if (px === null) {
      el.style.removeProperty("--resource-width");
      el.classList.remove("resource-sized");
    } else {
      px = Math.round(Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, px)));
      el.style.setProperty("--resource-width", px + "px");
      el.classList.add("resource-sized");
    }
    const handle = el.querySelector(".resource-resizer");
    if (handle) handle.setAttribute("aria-valuenow", String(px === null ? sidebarWidth() : px));
    if (save) { stored("resourceWidth", px); applyZoom(); }
  }
  function addResizer() {
    const head = el.querySelector(".ec-header .ec-sidebar");
    if (!head || head.querySelector(".resource-resizer")) return;
    const handle = node("div", "resource-resizer");
    handle.setAttribute("role", "separator");
    handle.setAttribute("aria-orientation", "vertical");
    handle.setAttribute("aria-label", T.resourceWidth);
    handle.setAttribute("aria-valuemin", String(MIN_WIDTH));
    handle.setAttribute("aria-valuemax", String(MAX_WIDTH));
    handle.setAttribute("aria-valuenow", String(sidebarWidth()));
    handle.tabIndex = 0;
    handle.title = T.resourceWidth;
    head.appendChild(handle);
    let startX = null, startWidth = 0;
    handle.addEventListener("pointerdown", function (e) {
      e.preventDefault();
      e.stopPropagation();
      handle.setPointerCapture(e.pointerId);
      startX = e.clientX;
      startWidth = sidebarWidth();
      el.classList.add("resizing-resources");
    });
    handle.addEventListener("pointermove", function (e) {
      if (startX !== null) setResourceWidth(startWidth + e.clientX - startX, false);
    });
    function end(e) {
      if (startX === null) return;
      startX = null;
      el.classList.remove("resizing-resources");
      if (handle.hasPointerCapture(e.pointerId)) handle.releasePointerCapture(e.pointerId);
      setResourceWidth(sidebarWidth(), true);
    }
    handle.addEventListener("pointerup", end);
    handle.addEventListener("pointercancel", end);
    handle.addEventListener("dblclick", function () { setResourceWidth(null, true); });
    handle.addEventListener("keydown", function (e) {
      const step = {ArrowLeft: -16, ArrowRight: 16}[e.key];
      if (!step) return;
      e.preventDefault();
      setResourceWidth(sidebarWidth() + step, true);
    });
  }
  const savedWidth = Number(stored("resourceWidth"));
  if (savedWidth) setResourceWidth(savedWidth, false);

  // --- paging while a booking is dragged or resized at the calendar's edge (003) ---------------
  // EventCalendar scrolls the week under a dragged booking (dragScroll); once the pointer rests
  // at an edge the week cannot scroll past, the calendar turns to the next (previous) period and
  // the drag goes on there, as often as the pointer stays.
  const EDGE = 28, DWELL = 700;
  let pointer = null, resting = null, watch = null;
  function trackPointer(e) { pointer = {x: e.clientX, y: e.clientY}; }
  function edgeDirection() {
    const main = el.querySelector(".ec-main");
    if (!main || !pointer) return 0;
    const box = main.getBoundingClientRect();
    if (pointer.y < box.top || pointer.y > box.bottom) return 0;
    if (pointer.x >= box.right - EDGE && main.scrollLeft + main.clientWidth >= main.scrollWidth - 2) return 1;
    if (pointer.x <= box.left + sidebarWidth() + EDGE && pointer.x >= box.left + sidebarWidth() - EDGE &&
        main.scrollLeft <= 1) return -1;
    return 0;
  }
  function turnPage(direction) {
    if (direction > 0) ec.next(); else ec.prev();
    requestAnimationFrame(function () {
      const main = el.querySelector(".ec-main");
      // go on where the pointer is: the new period's start after "next", its end after "prev"
      if (main) main.scrollLeft = direction > 0 ? 0 : main.scrollWidth;
      // let EventCalendar place the dragged booking under the pointer in the new period
      if (pointer) document.dispatchEvent(new PointerEvent("pointermove", {
        clientX: pointer.x, clientY: pointer.y, isPrimary: true, pointerType: "mouse", bubbles: true}));
    });
  }
  function watchEdges() {
    const direction = edgeDirection();
    el.classList.toggle("paging-next", direction > 0);
    el.classList.toggle("paging-prev", direction < 0);
    if (!direction) { resting = null; return; }
    const now = Date.now();
    if (!resting || resting.direction !== direction) { resting = {direction: direction, since: now}; return; }
    if (now - resting.since >= DWELL) { resting = {direction: direction, since: now}; turnPage(direction); }
  }
  function startPaging(info) {
    pointer = info.jsEvent ? {x: info.jsEvent.clientX, y: info.jsEvent.clientY} : null;
    document.addEventListener("pointermove", trackPointer, true);
    clearInterval(watch);
    watch = setInterval(watchEdges, 100);
  }
  function stopPaging() {
    clearInterval(watch);
    watch = null;
    resting = null;
    document.removeEventListener("pointermove", trackPointer, true);
    el.classList.remove("paging-next", "paging-prev");
  }

  const ec = EventCalendar.create(el, {
    view: "resourceTimelineWeek",
    date: cfg.goTo || new Date(),
    locale: cfg.locale,
    firstDay: 1,
    height: "auto",
    headerToolbar: {start: "prev,next today", center: "title",
                    end: "zoom1,zoom3,zoom6 resourceTimelineDay,resourceTimelineWeek,resourceTimelineMonth"},
    buttonText: {today: T.today, resourceTimelineDay: T.day, resourceTimelineWeek: T.week, resourceTimelineMonth: T.month},
    customButtons: zoomButtons(true),
    slotDuration: ZOOMS[zoom].slot,
    snapDuration: ZOOMS[zoom].snap,
    slotLabelFormat: {hour: "2-digit"},
    views: {resourceTimelineMonth: {slotLabelFormat: {day: "numeric"}}},
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
    eventContent: eventContent,
    select: function (info) {
      if (!info.resource) return;
      const params = new URLSearchParams({start: local(info.start), end: local(info.end), resource: String(info.resource.id)});
      window.location = cfg.newUrl + "?" + params.toString();
    },
    eventDragStart: startPaging,
    eventResizeStart: startPaging,
    eventDragStop: stopPaging,
    eventResizeStop: stopPaging,
    eventDrop: saveMove,
    eventResize: saveMove,
    eventClick: function (info) { window.location = cfg.menuUrl.replace("/0/menu", "/" + info.event.id); },
    datesSet: scheduleZoom,
    resourceLabelDidMount: scheduleZoom,
    eventDidMount: function (info) {
      const bar = info.el, ev = info.event;
      bar.dataset.bookingId = ev.id;
      scheduleZoom();
      bar.dataset.status = ev.extendedProps.status;
      if (ev.extendedProps.confirmed) bar.dataset.locked = "1";
      bar.addEventListener("contextmenu", function (e) { openMenu(ev, e); });
      bar.addEventListener("mousemove", function (e) { if (!watch) tip(ev, e.clientX, e.clientY, bar); });
      bar.addEventListener("mouseleave", hideTip);
      bar.addEventListener("focus", function () {
        const box = bar.getBoundingClientRect();
        tip(ev, box.left, box.bottom, bar);
      });
      bar.addEventListener("blur", hideTip);
    }
  });
  window.bookingCalendar = ec;

  const goTo = document.getElementById("f-date");
  if (goTo) goTo.addEventListener("change", function () { if (goTo.value) ec.setOption("date", goTo.value); });
})();
