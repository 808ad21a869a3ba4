/* Cell renderers for the portfolio grid (served locally from the dashboard's assets). Their words
   come translated from the server: the column's cellRendererParams and the row's own fields. */
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

dagcomponentfuncs.RbSparkline = function (props) {
    var values = props.value || [];
    var w = 110, h = 28, pad = 2;
    if (values.length < 2) {
        return React.createElement("span", {className: "text-muted small"}, "–");
    }
    var min = Math.min.apply(null, values), max = Math.max.apply(null, values);
    var span = max - min || 1;
    var pts = values.map(function (v, i) {
        var x = pad + (i * (w - 2 * pad)) / (values.length - 1);
        var y = h - pad - ((v - min) * (h - 2 * pad)) / span;
        return x.toFixed(1) + "," + y.toFixed(1);
    }).join(" ");
    var up = values[values.length - 1] >= values[0];
    return React.createElement("svg", {width: w, height: h, className: "rb-spark", role: "img",
            "aria-label": props.label || "Followers trend"},
        React.createElement("polyline", {points: pts, fill: "none", stroke: up ? "#146C43" : "#B02A37",
            strokeWidth: 1.6}));
};

dagcomponentfuncs.RbLatest = function (props) {
    if (!props.value) {
        return React.createElement("span", {className: "rb-stale"}, props.noData || "no data");
    }
    var stale = props.data && props.data.stale;
    return React.createElement("span", {className: stale ? "rb-stale" : "",
            title: stale ? (props.staleTitle || "") : ""},
        props.value + (stale ? " · " + (props.stale || "stale") : ""));
};

// The portfolio's unanswered mentions: the count as a link to the company's Listening page. A
// plain click is the grid's (cellClicked: dashboard_url.js openCompany opens the page without a
// reload), so the link does not load the page a second time; a click to a new tab is the link's.
dagcomponentfuncs.RbUnanswered = function (props) {
    var n = props.value || 0;
    var url = props.data && props.data.listening_url;
    if (!url) {
        return React.createElement("span", null, String(n));
    }
    return React.createElement("a", {href: url, className: "rb-unanswered",
            title: props.data.unanswered_title || "",
            onClick: function (event) {
                if (event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey && !event.altKey) {
                    event.preventDefault();
                }
            }}, String(n));
};
