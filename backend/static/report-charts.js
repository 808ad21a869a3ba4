/* Draws the charts of a report or share page (backend/reporting/charts.py): each
   <div data-chart="ID"> gets the figure in <script type="application/json" id="chart-data-ID">,
   drawn by the app's partial Plotly build. No inline script, no request: the data is in the page. */
(function () {
  "use strict";
  function draw() {
    if (!window.Plotly) { return; }
    var boxes = document.querySelectorAll("[data-chart]");
    Array.prototype.forEach.call(boxes, function (box) {
      var block = document.getElementById("chart-data-" + box.getAttribute("data-chart"));
      if (!block) { return; }
      var figure;
      try { figure = JSON.parse(block.textContent); } catch (e) { return; }
      var layout = figure.layout || {};
      layout.autosize = true;
      delete layout.width;
      window.Plotly.newPlot(box, figure.data || [], layout,
        {displayModeBar: false, responsive: true, scrollZoom: false}).then(function () {
        box.setAttribute("data-drawn", "1");
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
