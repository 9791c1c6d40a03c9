// The console's form layout (templates/admin/form_layout.html): collapsible groups, the optional
// blocks behind an "add" button, fields that follow the record's kind, the first error in sight,
// and one save per click however often "Spara" is pressed.
(function () {
  const form = document.querySelector("form.vk-form");
  if (!form) return;

  // --- groups ----------------------------------------------------------------------------
  function setOpen(group, open) {
    const toggle = group.querySelector(".vk-group-toggle");
    const body = group.querySelector(".vk-group-body");
    if (!toggle || !body) return;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    body.hidden = !open;
    group.classList.toggle("vk-group-closed", !open);
  }
  // the groups folded away are kept for this user and form (services.platform.preferences)
  function rememberFolded() {
    const url = form.dataset.foldedUrl;
    if (!url) return;
    // one request after the other, each with the groups folded when it is sent: the last click wins
    rememberFolded.queue = (rememberFolded.queue || Promise.resolve()).then(function () {
      const groups = Array.from(form.querySelectorAll(".vk-group.vk-group-closed")).map(function (g) { return g.dataset.group; });
      return fetch(url, {method: "POST", headers: {"Content-Type": "application/json", "Accept": "application/json",
                                                   "X-CSRFToken": (window.VERKSTAD || {}).csrf},
                         body: JSON.stringify({form: form.dataset.form, groups: groups})});
    }).catch(function () {});
  }
  form.addEventListener("click", function (event) {
    const toggle = event.target.closest(".vk-group-toggle");
    if (toggle) {
      const group = toggle.closest(".vk-group");
      setOpen(group, toggle.getAttribute("aria-expanded") !== "true");
      rememberFolded();
      return;
    }
    const opener = event.target.closest(".vk-subgroup-open");
    if (opener) {
      const fields = document.getElementById(opener.getAttribute("aria-controls"));
      fields.hidden = false;
      opener.remove();
      const first = fields.querySelector("input, select, textarea");
      if (first) first.focus();
    }
  });

  // --- fields that only some kinds use (data-kinds) or require (data-required-kinds) --------
  const kind = form.querySelector("select#kind");
  function hasValue(wrapper) {
    return Array.from(wrapper.querySelectorAll("input, select, textarea")).some(function (input) {
      if (input.type === "checkbox" || input.type === "hidden" || input.type === "radio") return false;
      const value = input.value === undefined ? "" : String(input.value).trim();
      return value !== "" && value !== "__None";
    });
  }
  function followKind() {
    const now = kind.value;
    form.querySelectorAll("[data-kinds]").forEach(function (wrapper) {
      const wanted = wrapper.dataset.kinds.split(" ").indexOf(now) >= 0;
      // a typed value or an error never disappears from sight: the server refuses it or moves it
      const keep = hasValue(wrapper) || wrapper.querySelector(".is-invalid, .invalid-feedback");
      wrapper.classList.toggle("d-none", !wanted && !keep);
    });
    form.querySelectorAll("[data-required-kinds]").forEach(function (wrapper) {
      const required = wrapper.dataset.requiredKinds.split(" ").indexOf(now) >= 0;
      const mark = wrapper.querySelector(".vk-required");
      if (mark) mark.hidden = !required;
      const input = wrapper.querySelector("#" + CSS.escape(wrapper.dataset.field));
      if (input) {
        if (required) input.setAttribute("aria-required", "true");
        else input.removeAttribute("aria-required");
      }
    });
  }
  if (kind) {
    // the kind is a select2 widget: it announces a choice with jQuery's "change" (and
    // "select2:select"), which a native addEventListener("change") never hears
    if (window.jQuery) window.jQuery(kind).on("change select2:select", followKind);
    else kind.addEventListener("change", followKind);
    followKind();
  }

  // --- the first error in sight -------------------------------------------------------------
  const status = form.querySelector(".vk-form-status");
  const errors = Array.from(form.querySelectorAll(".vk-field .invalid-feedback, .inline-field .input-errors"));
  if (errors.length) {
    errors.forEach(function (e) { const g = e.closest(".vk-group"); if (g) setOpen(g, true); });
    if (status) status.textContent = status.dataset.errors.replace("__N__", errors.length);
    const field = errors[0].closest(".vk-field, .inline-field");
    const input = field && field.querySelector("input:not([type=hidden]), select, textarea");
    if (field) field.scrollIntoView({block: "center"});
    if (input && !input.classList.contains("select2-offscreen")) input.focus({preventScroll: true});
  }

  // --- one save per click: a double click, or Enter pressed twice, posts the form once --------
  // (the server holds the form's nonce as well: a second post that gets through saves nothing)
  form.addEventListener("submit", function (event) {
    if (form.dataset.sending === "1") { event.preventDefault(); return; }
    form.dataset.sending = "1";
    form.classList.add("vk-form-sending");
    if (status) status.textContent = status.dataset.saving;
  });
  // back to the page from the browser's cache: it may be sent again
  window.addEventListener("pageshow", function () {
    form.dataset.sending = "";
    form.classList.remove("vk-form-sending");
  });
})();
