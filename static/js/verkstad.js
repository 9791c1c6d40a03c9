// Top bar notifications, and guards every console form against a double click on Save.
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
})();
