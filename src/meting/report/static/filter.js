/* Search and filter for the report's appendix: a text (domain or organisation), a status
   that any column of the row has, a government layer. Plain script, no library; the report
   carries it inline under a Content-Security-Policy hash. Without script the appendix is
   the full table and the controls stay hidden. The page's query string sets a first filter
   (report.html?q=gemeente&s=f&l=Gemeenten), so a filtered view can be linked. */
(function () {
  "use strict";
  var box = document.getElementById("filter");
  if (!box) { return; }
  var text = document.getElementById("filter-q");
  var status = document.getElementById("filter-s");
  var layer = document.getElementById("filter-l");
  var count = document.getElementById("filter-n");
  var parts = Array.prototype.slice.call(document.querySelectorAll("section.appendix-part"));
  var rows = null;  // read on the first filtering: opening the page stays quick
  var total = 0;
  var lang = document.documentElement.lang || "nl";

  function read() {
    rows = parts.map(function (part) {
      var found = [];
      var body = part.querySelector("tbody");
      Array.prototype.forEach.call(body ? body.rows : [], function (row) {
        var key = row.cells[0].textContent + " " + (row.getAttribute("data-o") || "");
        found.push({ row: row, key: key.toLowerCase() });
      });
      total += found.length;
      return found;
    });
  }

  function apply() {
    var wanted = text.value.trim().toLowerCase();
    var cls = status.value;
    var only = layer.value;
    var shown = 0;
    if (rows === null) { read(); }
    parts.forEach(function (part, i) {
      var inLayer = !only || part.getAttribute("data-layer") === only;
      var visible = 0;
      rows[i].forEach(function (item) {
        var match = inLayer && (!wanted || item.key.indexOf(wanted) !== -1) &&
          (!cls || item.row.querySelector("td." + cls) !== null);
        item.row.hidden = !match;
        if (match) { visible += 1; }
      });
      part.hidden = visible === 0;
      shown += visible;
    });
    count.textContent = count.getAttribute("data-text")
      .replace("{shown}", shown.toLocaleString(lang))
      .replace("{total}", total.toLocaleString(lang));
  }

  var params = new URLSearchParams(window.location.search);
  text.value = params.get("q") || "";
  status.value = params.get("s") || "";
  layer.value = params.get("l") || "";
  var timer = 0;
  text.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(apply, 150);
  });
  status.addEventListener("change", apply);
  layer.addEventListener("change", apply);
  box.hidden = false;
  if (text.value || status.value || layer.value) { apply(); }
}());
