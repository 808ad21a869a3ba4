/* Value formatters for the portfolio grid, in the page's language (<html lang>): compact numbers
   (12.3k, 1.2M in English; 12,3 tn, 12,3k, 12,3 tys. through the browser's Intl elsewhere) and
   percentages (3.45%, 3,45 %). */
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

dagfuncs.rbLang = function () {
    return (document.documentElement.lang || "en").toLowerCase();
};

dagfuncs.rbCompact = function (v) {
    if (v === null || v === undefined) { return "–"; }
    var lang = dagfuncs.rbLang();
    if (lang !== "en") {
        return new Intl.NumberFormat(lang, {notation: "compact", maximumFractionDigits: 1}).format(v);
    }
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

dagfuncs.rbPercent = function (v) {
    if (v === null || v === undefined) { return "–"; }
    var lang = dagfuncs.rbLang();
    if (lang === "en") { return (v * 100).toFixed(2) + "%"; }
    return new Intl.NumberFormat(lang, {style: "percent", minimumFractionDigits: 2, maximumFractionDigits: 2}).format(v);
};
