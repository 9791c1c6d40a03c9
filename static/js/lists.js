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
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", refresh);
  } else {
    refresh();
  }
  window.addEventListener("load", refresh);
})();
