// Keyboard shortcuts of the console (reference 000 10.25); `?` lists them (templates/partials/keyboard_help.html).
// A page may name its own target of a key with data-shortcut="<key>".
// Letters act only when the user is not typing in a field; Ctrl+S and Esc act everywhere.
// Ctrl+K and `/` (the global search) live in search.js.
(function () {
  const ROWS = "table.model-list tbody tr";
  const ORDER_KEY = "verkstad.listOrder";

  function typing(target) {
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }

  function rows() {
    return Array.from(document.querySelectorAll(ROWS)).filter(function (r) { return openLink(r); });
  }

  function openLink(row) {
    return row.querySelector('a[href*="/details/"]') || row.querySelector('a[href*="/edit/"]');
  }

  // the list remembers the order of its records, so that a card can go to the next and previous one
  function rememberOrder() {
    const urls = rows().map(function (r) { return openLink(r).getAttribute("href"); });
    if (urls.length) sessionStorage.setItem(ORDER_KEY, JSON.stringify({list: location.pathname + location.search, urls: urls}));
  }

  function neighbour(step) {
    let saved;
    try { saved = JSON.parse(sessionStorage.getItem(ORDER_KEY) || "null"); } catch (e) { saved = null; }
    if (!saved) return null;
    const here = location.pathname + location.search;
    const index = saved.urls.findIndex(function (u) {
      const a = document.createElement("a");
      a.href = u;
      return a.pathname + a.search === here;
    });
    if (index < 0) return null;
    return saved.urls[index + step] || null;
  }

  let current = -1;
  function select(index) {
    const all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (r, i) { r.classList.toggle("keyboard-current", i === current); });
    all[current].scrollIntoView({block: "nearest"});
  }

  function click(selector) {
    const el = document.querySelector(selector);
    if (el) { el.click(); return true; }
    return false;
  }

  function save() {
    const form = document.querySelector("form.admin-form") || document.querySelector("main form[method=post], .container form[method=post]:not([action*=logout])");
    if (!form) return false;
    const button = form.querySelector('[type=submit]:not([name="_add_another"]):not([name="_continue_editing"])') || form.querySelector("[type=submit]");
    if (button) { button.click(); } else { form.requestSubmit(); }
    return true;
  }

  function toggleHelp() {
    const help = document.getElementById("keyboard-help");
    if (help && window.jQuery) window.jQuery(help).modal("toggle");
  }

  const keys = {
    "?": toggleHelp,
    "n": function () { return click('a[href*="/new/"]:not(.dropdown-item)') || click('a[href*="/new/"]'); },
    "s": function () { const f = document.querySelector('input[name="search"]'); if (f) { f.focus(); f.select(); return true; } return false; },
    "j": function () { select(current + 1); },
    "k": function () { select(current - 1); },
    "Enter": function () { const all = rows(); if (current >= 0 && all[current]) { location.href = openLink(all[current]).href; return true; } return false; },
    "e": function () { return click('a[href*="/edit/"][id^="edit"]'); },
    "]": function () { const url = neighbour(1); if (url) { location.href = url; return true; } return false; },
    "[": function () { const url = neighbour(-1); if (url) { location.href = url; return true; } return false; },
  };

  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "s") {
      if (save()) event.preventDefault();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    // a page names its own targets with data-shortcut="<key>"; the built-in ones are the fallback
    const target = document.querySelector('[data-shortcut="' + CSS.escape(event.key) + '"]');
    if (target) { event.preventDefault(); target.click(); return; }
    const action = keys[event.key];
    if (!action) return;
    if (action() !== false) event.preventDefault();
  });

  rememberOrder();
})();
