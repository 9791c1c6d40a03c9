// lists (templates/admin/list.html, static/css/lists.css): one line per record; a value cut with an
// ellipsis is shown whole on hover (its cell's title), and the table's box ends at the window's
// bottom so its sticky header stays in view while the rows scroll.
(function () {
  const TABLE = "table.model-list";

  function titleCutCells(table) {
    table.querySelectorAll("tbody td, thead th").forEach(function (cell) {
      const cut = cell.scrollWidth > cell.clientWidth + 1;
      if (cut && !cell.hasAttribute("title")) {
        cell.setAttribute("title", cell.textContent.replace(/\s+/g, " ").trim());
        cell.dataset.cutTitle = "1";
      } else if (!cut && cell.dataset.cutTitle) {
        cell.removeAttribute("title");
        delete cell.dataset.cutTitle;
      }
    });
  }

  function fitBox(table) {
    const box = table.closest(".table-responsive");
    if (!box) return;
    // the pager below stays reachable by scrolling the page; the box itself fills the window
    const top = box.getBoundingClientRect().top + window.scrollY;
    const room = window.innerHeight - Math.min(top, window.innerHeight / 2) - 8;
    box.style.maxHeight = Math.max(room, 240) + "px";
  }

  // every table of a page scrolls sideways inside its own box, never the page (a tablet, 000
  // 50.03): the screens' tables are boxed here, so that a new screen needs nothing of its own
  function boxTables() {
    document.querySelectorAll(".container-fluid table, .container table").forEach(function (table) {
      if (table.parentElement.closest("table, .table-responsive, .modal, .dropdown-menu, .ec") ||
          table.classList.contains("filters")) return;
      // moving the table blurs a field in it: someone already typing there keeps the caret
      const active = table.contains(document.activeElement) ? document.activeElement : null;
      const caret = active && typeof active.selectionStart === "number" ? [active.selectionStart, active.selectionEnd] : null;
      const box = document.createElement("div");
      box.className = "table-responsive vk-table-box";
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
      if (active) {
        active.focus({preventScroll: true});
        if (caret) active.setSelectionRange(caret[0], caret[1]);
      }
    });
  }

  function refresh() {
    document.querySelectorAll(TABLE).forEach(function (table) {
      fitBox(table);
      titleCutCells(table);
    });
  }

  let pending = null;
  window.addEventListener("resize", function () {
    if (pending) cancelAnimationFrame(pending);
    pending = requestAnimationFrame(refresh);
  });
  function start() {
    boxTables();
    refresh();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  window.addEventListener("load", refresh);
})();

// "Select all N matching the filter" (templates/admin/list.html): shows the bulk form, and in it
// the fields of the chosen action only
(function () {
  function start() {
    const button = document.getElementById("bulk-select-all");
    const panel = document.getElementById("bulk-panel");
    if (!button || !panel) return;
    const action = document.getElementById("bulk-action");
    function sync() {
      const option = action.options[action.selectedIndex];
      const wanted = ((option && option.dataset.fields) || "").split(" ");
      panel.querySelectorAll(".vk-bulk-field").forEach(function (el) {
        const on = wanted.indexOf(el.dataset.field) >= 0;
        el.hidden = !on;
        el.querySelectorAll("input, select").forEach(function (input) { input.disabled = !on; });
      });
    }
    function show(on) {
      panel.hidden = !on;
      button.setAttribute("aria-expanded", on ? "true" : "false");
      document.querySelectorAll("input.action-checkbox, input.action-rowtoggle").forEach(function (box) {
        box.checked = on;
      });
    }
    button.addEventListener("click", function () { show(panel.hidden); });
    document.getElementById("bulk-cancel").addEventListener("click", function () { show(false); });
    action.addEventListener("change", sync);
    sync();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
