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

// "Select all N matching the filter" as Gmail offers it (templates/admin/list.html, issue 11): the
// header box ticks the page and shows the bar's offer; taking it selects every matching row (the
// bulk form below the bar, with the fields of the chosen action only); "Clear the selection", the
// form's Cancel, unticking the header box or any row go back to nothing selected
(function () {
  function start() {
    const bar = document.getElementById("bulk-bar");
    const panel = document.getElementById("bulk-panel");
    if (!bar || !panel) return;
    const button = document.getElementById("bulk-select-all");
    const undo = document.getElementById("bulk-undo");
    const pagePart = document.getElementById("bulk-bar-page");
    const allPart = document.getElementById("bulk-bar-all");
    const toggle = document.querySelector("input.action-rowtoggle");
    const action = document.getElementById("bulk-action");
    function boxes() { return document.querySelectorAll("input.action-checkbox"); }
    function sync() {
      const option = action.options[action.selectedIndex];
      const wanted = ((option && option.dataset.fields) || "").split(" ");
      panel.querySelectorAll(".vk-bulk-field").forEach(function (el) {
        const on = wanted.indexOf(el.dataset.field) >= 0;
        el.hidden = !on;
        el.querySelectorAll("input, select").forEach(function (input) { input.disabled = !on; });
      });
    }
    // "none": nothing offered (or, without a header box, the offer alone); "page": the page is
    // ticked, the offer shown; "all": every matching row selected, the bulk form shown
    function show(mode) {
      pagePart.hidden = !(mode === "page" || (mode === "none" && !toggle));
      allPart.hidden = mode !== "all";
      panel.hidden = mode !== "all";
      button.setAttribute("aria-expanded", mode === "all" ? "true" : "false");
      if (mode !== "page") {
        const on = mode === "all";
        boxes().forEach(function (box) { box.checked = on; });
        if (toggle) toggle.checked = on;
      }
      window.dispatchEvent(new Event("resize"));  // the table's box starts lower or higher now
    }
    if (toggle) {
      toggle.addEventListener("change", function () {
        boxes().forEach(function (box) { box.checked = toggle.checked; });
        show(toggle.checked ? "page" : "none");
      });
      boxes().forEach(function (box) {
        box.addEventListener("change", function () {
          if (!box.checked && (!pagePart.hidden || !allPart.hidden)) {
            toggle.checked = false;
            pagePart.hidden = true;
            allPart.hidden = true;
            panel.hidden = true;
            button.setAttribute("aria-expanded", "false");
          }
        });
      });
    }
    button.addEventListener("click", function () {
      show("all");
      undo.focus();
    });
    function clear() {
      show("none");
      (toggle || button).focus();
    }
    undo.addEventListener("click", clear);
    document.getElementById("bulk-cancel").addEventListener("click", clear);
    action.addEventListener("change", sync);
    sync();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
