/* Value formatters for the portfolio grid: compact numbers (12.3k, 1.2M). */
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

dagfuncs.rbCompact = function (v) {
    if (v === null || v === undefined) { return "–"; }
    var a = Math.abs(v), s = v < 0 ? "-" : "";
    var units = [[1e9, "B"], [1e6, "M"], [1e3, "k"]];
    for (var i = 0; i < units.length; i++) {
        if (a >= units[i][0]) {
            return s + parseFloat((a / units[i][0]).toFixed(1)) + units[i][1];
        }
    }
    return s + (Math.round(a * 10) / 10);
};

dagfuncs.rbSigned = function (v) {
    if (v === null || v === undefined) { return "–"; }
    return (v > 0 ? "+" : "") + dagfuncs.rbCompact(v);
};
