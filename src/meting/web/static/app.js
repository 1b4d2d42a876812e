// meting dashboard: small progressive additions; every page works without this file.
(function () {
  "use strict";
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  // htmx requests carry the page's CSRF token in a header.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrf();
  });
  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    // data-sort: a number, or a text that sorts as shown does not (an ISO date)
    var sort = cell.getAttribute("data-sort");
    if (sort !== null && sort !== "" && !isNaN(Number(sort))) { return Number(sort); }
    if (sort !== null && sort !== "") { return sort; }
    return cell.textContent.trim().toLowerCase();
  }
  function sortBy(table, index, header) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    rows.sort(function (a, b) {
      var x = cellValue(a, index), y = cellValue(b, index), order;
      if (typeof x === "number" && typeof y === "number") {
        order = x === y ? 0 : (x < y ? -1 : 1);
      } else {  // texts; digits in them as numbers ("9" before "28")
        order = String(x).localeCompare(String(y), undefined, {numeric: true});
      }
      return order * (ascending ? 1 : -1);
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  function ready() {
    document.querySelectorAll("table.sortable").forEach(function (table) {
      if (!table.tHead) { return; }
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
        th.classList.add("sorter");
        th.setAttribute("tabindex", "0");
        th.addEventListener("click", function () { sortBy(table, index, th); });
        th.addEventListener("keydown", function (e) {
          if (e.key === "Enter") { sortBy(table, index, th); }
        });
      });
    });
    document.querySelectorAll("select.goto").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.value.charAt(0) === "/") { window.location.href = select.value; }
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
}());
