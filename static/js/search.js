// The global search of the top bar (templates/partials/global_search.html, views/platform/search.py).
// Ctrl+K (Cmd+K) anywhere, or `/` when not typing in a field, puts the cursor in it; the
// results come grouped by kind; arrow keys choose one, Enter opens it (Enter with nothing
// chosen opens the page of all results), Esc closes the list.
(function () {
  const form = document.getElementById("global-search");
  if (!form) return;
  const input = document.getElementById("global-search-input");
  const list = document.getElementById("global-search-results");
  let timer = null;
  let request = null;
  let shown = "";  // the query whose answer the list shows

  function typing(target) {
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }

  function options() {
    return Array.from(list.querySelectorAll('[role="option"]:not([aria-disabled="true"])'));
  }

  function active() {
    const id = input.getAttribute("aria-activedescendant");
    return id ? document.getElementById(id) : null;
  }

  function choose(option) {
    options().forEach(function (o) { o.setAttribute("aria-selected", o === option ? "true" : "false"); });
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({block: "nearest"});
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function open(isOpen) {
    list.hidden = !isOpen;
    input.setAttribute("aria-expanded", isOpen ? "true" : "false");
    if (!isOpen) choose(null);
  }

  function element(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text) el.textContent = text;
    return el;
  }

  let optionCount = 0;
  function option(title, detail, url, extraClass) {
    const el = element("div", "global-search-option" + (extraClass ? " " + extraClass : ""));
    el.id = "global-search-option-" + (++optionCount);
    el.setAttribute("role", "option");
    el.setAttribute("aria-selected", "false");
    el.dataset.url = url;
    el.appendChild(element("span", "global-search-title", title));
    if (detail) el.appendChild(element("span", "global-search-detail", detail));
    return el;
  }

  function render(answer) {
    list.textContent = "";
    if (!answer.groups.length) {
      const empty = element("div", "global-search-empty", form.dataset.empty);
      empty.setAttribute("role", "option");
      empty.setAttribute("aria-disabled", "true");
      empty.id = "global-search-empty";
      list.appendChild(empty);
    }
    answer.groups.forEach(function (group) {
      const box = element("div", "global-search-group");
      box.setAttribute("role", "group");
      box.dataset.kind = group.kind;
      const head = element("div", "global-search-group-label", group.label);
      head.id = "global-search-group-" + group.kind;
      head.setAttribute("role", "presentation");
      box.setAttribute("aria-labelledby", head.id);
      box.appendChild(head);
      group.items.forEach(function (item) {
        box.appendChild(option(item.title, item.detail, item.url, item.exact ? "exact" : ""));
      });
      if (group.more) box.appendChild(option(form.dataset.more, "", group.more, "global-search-more"));
      list.appendChild(box);
    });
    if (answer.all && answer.groups.length) list.appendChild(option(form.dataset.all, "", answer.all, "global-search-all"));
    shown = answer.query;
    open(true);
    // a plate, number or OCR typed whole is chosen at once: Enter opens it
    const exact = list.querySelector('.exact[role="option"]');
    if (exact) choose(exact);
  }

  function ask() {
    const query = input.value.trim();
    if (query === shown && !list.hidden) return;
    if (request) request.abort();
    if (!query) { shown = ""; open(false); return; }
    request = new AbortController();
    fetch(form.dataset.url + "?q=" + encodeURIComponent(query), {
      headers: {Accept: "application/json"}, credentials: "same-origin", signal: request.signal,
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (answer) {
      if (answer.query === input.value.trim()) render(answer);
    }).catch(function (error) {
      if (error.name === "AbortError") return;
      list.textContent = "";
      const failed = element("div", "global-search-empty", form.dataset.failed);
      failed.setAttribute("role", "option");
      failed.setAttribute("aria-disabled", "true");
      failed.id = "global-search-failed";
      list.appendChild(failed);
      open(true);
    });
  }

  function go(el) {
    if (el && el.dataset.url) location.href = el.dataset.url;
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 150);
  });
  input.addEventListener("focus", function () { if (list.childElementCount && input.value.trim()) open(true); });

  input.addEventListener("keydown", function (event) {
    const all = options();
    const index = all.indexOf(active());
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (list.hidden) { ask(); return; }
      if (!all.length) return;
      const step = event.key === "ArrowDown" ? 1 : -1;
      choose(all[(index + step + all.length) % all.length]);
    } else if (event.key === "Enter") {
      const chosen = active();
      if (chosen && !list.hidden) { event.preventDefault(); go(chosen); }
      // else the form goes to the page of all results
    } else if (event.key === "Escape") {
      if (!list.hidden) { event.preventDefault(); open(false); } else { input.blur(); }
    }
  });

  // a click on a result opens it; mousedown keeps the focus in the field until then
  list.addEventListener("mousedown", function (event) { event.preventDefault(); });
  list.addEventListener("click", function (event) {
    const el = event.target.closest('[role="option"]');
    if (el && el.getAttribute("aria-disabled") !== "true") go(el);
  });
  document.addEventListener("click", function (event) { if (!form.contains(event.target)) open(false); });

  document.addEventListener("keydown", function (event) {
    const ctrlK = (event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "k";
    const slash = event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && !typing(event.target);
    if (!ctrlK && !slash) return;
    event.preventDefault();
    input.focus();
    input.select();
  });
})();
