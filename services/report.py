"""`_report.html`: a run's data, for people. One self-contained file (no script, no network,
no external font; inline SVG), readable on a laptop and printable: a summary (rows,
rejects, warnings, shapes, drifting columns first), then one small chart per numeric column
(this run's histogram as bars, the previous run's as outlines, the reference's as ticks,
over the reference's bins) with its null and zero shares and PSI, then the text columns'
most frequent values."""

import html
import math
from typing import Dict, List, Optional, Sequence

from calculators.columns import COLUMNS, NUMERIC_COLUMNS
from services.profile import histogram, reference_cuts, shares, slot_array

_UNITS = {column.name: column.unit for column in COLUMNS}
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 300, 112, 8, 26, 8

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;
margin:24px auto;max-width:1280px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#5a6275;margin:0 0 16px}
table{border-collapse:collapse;margin:4px 0 12px}td,th{padding:3px 10px 3px 0;
text-align:left;vertical-align:top}th{color:#5a6275;font-weight:600}
.bad{color:#b42318;font-weight:600}.ok{color:#1a7f37;font-weight:600}
.warn{color:#9a6700;font-weight:600}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(310px,1fr));gap:12px}
figure{margin:0;border:1px solid #dde1ea;border-radius:6px;padding:8px 10px;
break-inside:avoid}figure.drifting{border-color:#b42318;background:#fff7f6}
figcaption{font-size:12px;color:#5a6275}figcaption b{color:#1d2330;font-size:13px}
.legend span{display:inline-block;margin-right:14px;font-size:12px;color:#5a6275}
.key{display:inline-block;width:12px;height:10px;margin-right:4px;vertical-align:-1px}
svg text{font:10px system-ui,sans-serif;fill:#5a6275}
@media print{body{margin:0;max-width:none}figure{page-break-inside:avoid}}
"""


def render(profile: dict, drift: dict, previous: Optional[dict], reference: dict,
           run: Dict[str, object]) -> str:
    """The report. `run`: what the summary shows (job, run id, range or window, documents,
    rows, rejects, warnings, shapes)."""
    columns = drift["columns"]
    drifting = list(drift["drifting_columns"])
    order = drifting + [name for name in NUMERIC_COLUMNS if name not in drifting]
    charts = [_chart(name, profile, previous, reference, columns[name], name in drifting)
              for name in order]
    return "".join([
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<title>Run report: {}</title><style>{}</style></head><body>".format(
            _text(run.get("job_run_id")), _STYLE),
        _summary(run, drift),
        "<h2>Numeric columns</h2><p class=\"legend\">",
        "<span><i class=\"key\" style=\"background:#3b6fd8\"></i>this run</span>",
        "<span><i class=\"key\" style=\"border:1.5px solid #1d2330\"></i>previous run</span>",
        "<span><i class=\"key\" style=\"background:#e8a33d;height:3px\"></i>reference</span>",
        "<span>bins: the reference's deciles; bars: share of the defined values</span></p>",
        "<div class=\"grid\">", "".join(charts), "</div>",
        _texts(profile), "</body></html>\n"])


def _summary(run: Dict[str, object], drift: dict) -> str:
    warnings: Dict[str, int] = dict(run.get("warnings") or {})  # type: ignore[call-overload]
    shapes: Dict[str, int] = dict(run.get("shapes") or {})  # type: ignore[call-overload]
    drifting = drift["drifting_columns"]
    rows = [
        ("job", "{} · run {}".format(_text(run.get("job_name")), _text(run.get("job_run_id")))),
        ("read", _text(run.get("selection"))),
        ("documents read", _number(run.get("documents_read"))),
        ("rows", _number(drift["rows"]) + (" (previous run: {}, {:+,})".format(
            _number(drift["previous_rows"]), drift["row_change"])
            if drift["previous_rows"] is not None else " (no previous run)")),
        ("rejects", _number(run.get("rejects"))),
        ("warnings", ", ".join("{} {}".format(_text(kind), _number(count))
                               for kind, count in sorted(warnings.items())) or "none"),
        ("shapes", ", ".join("{} {}".format(_text(shape), _number(count))
                             for shape, count in shapes.items() if count) or "none"),
    ]
    if drift["previous_rows"] is None:
        verdict = "<span class=\"ok\">no previous run to compare with</span>"
    elif drift["dataset_drifts"]:
        verdict = "<span class=\"bad\">the dataset drifts: {} of {} columns</span>".format(
            len(drifting), drift["comparable_columns"])
    else:
        verdict = "<span class=\"{}\">{} of {} columns drift</span>".format(
            "warn" if drifting else "ok", len(drifting), drift["comparable_columns"])
    rows.append(("drift", verdict + (": " + ", ".join(_text(name) for name in drifting)
                                      if drifting else "")))
    body = "".join("<tr><th>{}</th><td>{}</td></tr>".format(label, value)
                   for label, value in rows)
    return "<h1>Conversation features: run report</h1><p class=\"meta\">{}</p><table>{}</table>" \
        .format(_text(run.get("finished_at")), body)


def _chart(name: str, profile: dict, previous: Optional[dict], reference: dict,
           drift_entry: dict, drifting: bool) -> str:
    cuts = reference_cuts(slot_array(reference, name))
    now = shares(histogram(slot_array(profile, name), cuts))
    before = shares(histogram(slot_array(previous, name), cuts)) if previous else None
    expected = shares(histogram(slot_array(reference, name), cuts))
    column = profile["numeric"][name]
    rows = profile["rows"] or 1
    top = max([0.01] + list(now) + list(expected) + (list(before) if before is not None else []))
    plot_width, plot_height = WIDTH - 2 * LEFT, HEIGHT - BOTTOM - TOP
    step = plot_width / max(len(cuts), 1)
    parts = ["<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" "
             "height=\"{h}\" aria-label=\"histogram of {n}\">".format(w=WIDTH, h=HEIGHT,
                                                                       n=name)]
    base = TOP + plot_height
    for index in range(len(cuts)):
        x = LEFT + index * step
        height = plot_height * now[index] / top
        parts.append("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
                     "fill=\"#3b6fd8\"><title>{}: {:.1%}</title></rect>".format(
                         x + 1, base - height, max(step - 2, 1), height,
                         _text(_bin_label(column["histogram"]["edges"], index)),
                         float(now[index])))
        if before is not None:
            height = plot_height * before[index] / top
            parts.append("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
                         "fill=\"none\" stroke=\"#1d2330\" stroke-width=\"1.2\"/>".format(
                             x + 1, base - height, max(step - 2, 1), height))
        y = base - plot_height * expected[index] / top
        parts.append("<line x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\" "
                     "stroke=\"#e8a33d\" stroke-width=\"3\"/>".format(
                         x + 1, x + step - 1, y, y))
    parts.append("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#8a92a6\"/>".format(
        LEFT, WIDTH - LEFT, base, base))
    edges = column["histogram"]["edges"]
    parts.append("<text x=\"{}\" y=\"{}\">{}</text>".format(
        LEFT, HEIGHT - 10, _text(_short(column["min"]))))
    parts.append("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>".format(
        WIDTH - LEFT, HEIGHT - 10, _text(_short(column["max"]))))
    if len(edges) > 3:
        middle = len(edges) // 2
        parts.append("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>".format(
            LEFT + middle * step, HEIGHT - 10, _text(_short(edges[middle]))))
    parts.append("</svg>")
    against = drift_entry.get("previous") or {}
    psi_text = ("PSI {:.3f} (drifts above {:.3f}) · JS {:.3f}".format(
        against["psi"], against["threshold"], against["js_distance"]) if against
        else "PSI –")
    caption = ("<figcaption><b>{}</b>{} · {}<br>nulls {:.1%} · zeros {:.1%} · "
               "mean {} · p50 {}</figcaption>").format(
        _text(name), " ({})".format(_text(_UNITS[name])) if _UNITS.get(name) else "",
        psi_text, column["nulls"] / rows, column["zeros"] / rows, _text(_short(column["mean"])),
        _text(_short(column.get("p50"))))
    return "<figure class=\"column{}\" id=\"{}\">{}{}</figure>".format(
        " drifting" if drifting else "", _text(name), "".join(parts), caption)


def _texts(profile: dict) -> str:
    rows = []
    for name, entry in profile["text"].items():
        distinct = "{:,}{}".format(entry["distinct"], "+" if entry["distinct_capped_at"] else "")
        top = ", ".join("{} ({:,})".format(_text(_clip(value)), count)
                        for value, count in entry["top"][:5])
        rows.append("<tr><th>{}</th><td>{}</td><td>{:,}</td><td>{}</td></tr>".format(
            _text(name), distinct, entry["nulls"], top))
    return ("<h2>Text columns</h2><table><tr><th>column</th><th>distinct</th><th>nulls</th>"
            "<th>most frequent</th></tr>{}</table>".format("".join(rows)))


def _bin_label(edges: Sequence[Optional[float]], index: int) -> str:
    low, high = edges[index], edges[index + 1]
    return "{} to {}".format("min" if low is None else _short(low),
                             "max" if high is None else _short(high))


def _short(value: Optional[float]) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    magnitude = abs(value)
    if magnitude and (magnitude >= 1e6 or magnitude < 1e-3):
        return "{:.2e}".format(value)
    if magnitude >= 100:
        return "{:,.0f}".format(value)
    return "{:.3g}".format(value)


def _number(value: object) -> str:
    return "{:,}".format(value) if isinstance(value, int) else _text(value)


def _clip(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[:limit - 1] + "…"


def _text(value: object) -> str:
    return html.escape("" if value is None else str(value))


__all__: List[str] = ["render"]
