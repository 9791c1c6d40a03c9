// Low-code helpers of the registers (issue 10 item 8); the customer form's own script is in
// templates/admin/customer_form_js.html.
(function () {
  "use strict";

  // A look-up whose choices depend on another field of its form: the order's kind decides
  // which customer types may be chosen (customer register settings), so the select2 request
  // carries it. Flask-Admin sets up select2 on "ready"; "load" comes after that.
  window.addEventListener("load", function () {
    if (!window.jQuery) return;
    document.querySelectorAll("[data-lookup-with]").forEach(function (input) {
      const other = document.getElementById(input.dataset.lookupWith);
      const widget = window.jQuery(input).data("select2");
      if (!other || !widget || !widget.opts || !widget.opts.ajax) return;
      const ajax = widget.opts.ajax, data = ajax.data;
      ajax.data = function () {
        const params = data.apply(this, arguments);
        params[other.name] = other.value;
        return params;
      };
    });
  });
})();
