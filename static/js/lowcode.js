// Low-code helpers of the registers (issue 10 item 8); the customer form's own script is in
// templates/registers/customer_form_js.html.
(function () {
  "use strict";

  // A look-up whose choices depend on another field of its form: the order's kind decides
  // which customer types may be chosen (customer register settings), so the select2 request
  // carries it. The request is wrapped when the widget first opens (select2 3 is set up by
  // Flask-Admin's own script, whenever that runs).
  function carryOther(input) {
    const other = document.getElementById(input.dataset.lookupWith);
    const widget = window.jQuery(input).data("select2");
    if (!other || !widget || !widget.opts || !widget.opts.ajax || widget.opts.ajax.carriesOther) return;
    const ajax = widget.opts.ajax, data = ajax.data;
    ajax.data = function () {
      const params = data.apply(this, arguments);
      params[other.name] = other.value;
      return params;
    };
    ajax.carriesOther = true;
  }
  if (window.jQuery) {
    window.jQuery(document).on("select2-opening", "[data-lookup-with]", function () { carryOther(this); });
  }
})();

// The form layout of the custom fields (customer register settings): fields are dragged
// within a group or into another one (SortableJS, from npm); save sends the groups in order.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.custom-layout").forEach(function (form) {
      if (!window.Sortable) return;
      const group = "layout-" + form.dataset.entity;
      function sortable(list) {
        new window.Sortable(list, {group: group, handle: ".drag-handle", animation: 150, emptyInsertThreshold: 24});
      }
      form.querySelectorAll(".layout-fields").forEach(sortable);
      const add = form.querySelector(".add-group");
      if (add) {
        add.addEventListener("click", function () {
          const input = form.querySelector(".new-group-name");
          const name = input.value.trim();
          if (!name) { input.focus(); return; }
          const existing = Array.from(form.querySelectorAll(".layout-group")).find(g => g.dataset.tab === name);
          if (existing) { input.value = ""; return; }
          const box = document.createElement("div");
          box.className = "layout-group mb-2";
          box.dataset.tab = name;
          const title = document.createElement("div");
          title.className = "small font-weight-bold";
          title.textContent = name;
          const list = document.createElement("ul");
          list.className = "list-group layout-fields";
          list.style.minHeight = "2rem";
          list.setAttribute("aria-label", name);
          box.append(title, list);
          form.querySelector(".layout-groups").appendChild(box);
          sortable(list);
          input.value = "";
        });
      }
      form.addEventListener("submit", function () {
        form.querySelector("input[name=layout]").value = JSON.stringify(
          Array.from(form.querySelectorAll(".layout-group")).map(function (g) {
            return {tab: g.dataset.tab || null,
                    ids: Array.from(g.querySelectorAll("li[data-id]")).map(li => Number(li.dataset.id))};
          }));
      });
    });
  });
})();
