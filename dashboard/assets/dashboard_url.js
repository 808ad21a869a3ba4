// The dashboard's clientside functions (run in the browser, no request).
// querystring: the company page's controls in the URL's query string, the same rules as
// backend/read_models/controls.py Controls.query_string: the range always, the dates only for a
// custom range, the granularity unless it is the default (day), the channel unless it is "all",
// the comparison unless it is the period's own.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    reachboard: {
        querystring: function (preset, start, end, granularity, channel, compare) {
            const args = new URLSearchParams();
            args.set("range", preset || "90d");
            if (preset === "custom" && start && end) {
                args.set("from", String(start).slice(0, 10));
                args.set("to", String(end).slice(0, 10));
            }
            if (granularity && granularity !== "day") {
                args.set("granularity", granularity);
            }
            if (channel && channel !== "all") {
                args.set("channel", channel);
            }
            // The comparison only when it is not the period's own (year to date: last year).
            const usual = preset === "ytd" ? "year" : "previous";
            if (compare && compare !== usual) {
                args.set("compare", compare);
            }
            return "?" + args.toString();
        },
        // The navigation bar's menu button (phones): open or close the folded links.
        toggle: function (clicks, open) {
            return clicks ? !open : open;
        },
        // The portfolio: a click on a company's row opens its page (the row's id is the company's);
        // on its Unanswered count, its Listening page.
        openCompany: function (cell) {
            if (!cell || !cell.rowId) {
                return window.dash_clientside.no_update;
            }
            var page = "/dashboard/company/" + encodeURIComponent(cell.rowId);
            return cell.colId === "unanswered" ? page + "/listening" : page;
        }
    }
});
