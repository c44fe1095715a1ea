"""Charts drawn on the server as SVG (no JavaScript, nothing fetched from elsewhere).

Each function returns markup safe to put in a page: every text from the database is escaped.
The pages show the same numbers in a table next to each chart, for screen readers and for
anyone who wants the figures.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from mmcore.manage.public import AccessCount, MirrorLocation, PropagationPoint

#: propagation buckets: attribute, legend, colour (colour-blind safe, Okabe-Ito)
PROPAGATION_SERIES = (
    ("same_day", "same day", "#009E73"),
    ("one_day", "one day behind", "#56B4E9"),
    ("two_day", "two days behind", "#E69F00"),
    ("older", "older", "#D55E00"),
    ("no_info", "no answer", "#999999"),
)


def _svg(width: int, height: int, label: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}" class="chart" '
        f'preserveAspectRatio="xMidYMid meet">' + "".join(body) + "</svg>"
    )


def propagation_chart(points: Sequence[PropagationPoint], title: str,
                      max_points: int = 60) -> Markup:
    """Stacked columns, one per propagation run (the last ``max_points``), oldest left."""
    points = list(points)[-max_points:]
    width, height, left, bottom, top = 760, 320, 48, 40, 16
    plot_w, plot_h = width - left - 8, height - top - bottom
    body = [f'<title>{escape(title)}</title>']
    if not points:
        body.append(f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle">'
                    'no propagation data yet</text>')
        return _svg(width, height, title, body)
    peak = max(sum(getattr(p, name) for name, _, _ in PROPAGATION_SERIES) for p in points) or 1
    step = plot_w / len(points)
    bar = max(1.0, step * 0.8)
    for tick in range(5):
        value = round(peak * tick / 4)
        y = top + plot_h - plot_h * value / peak
        body.append(f'<line x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" '
                    'class="grid"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
                    f'class="tick">{value}</text>')
    for index, point in enumerate(points):
        x = left + index * step + (step - bar) / 2
        y = top + plot_h
        tip = [point.at.strftime("%Y-%m-%d %H:%M")]
        for name, legend, colour in PROPAGATION_SERIES:
            count = getattr(point, name)
            tip.append(f"{legend}: {count}")
            if not count:
                continue
            h = plot_h * count / peak
            y -= h
            body.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                        f'height="{h:.1f}" fill="{colour}"/>')
        body.append(f'<rect x="{x:.1f}" y="{top}" width="{bar:.1f}" height="{plot_h}" '
                    f'fill="transparent"><title>{escape(", ".join(tip))}</title></rect>')
    labels = {0, len(points) - 1, len(points) // 2}
    for index in sorted(labels):
        x = left + index * step + step / 2
        body.append(f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                    f'class="tick">{points[index].at.strftime("%m-%d %H:%M")}</text>')
    x = left
    for _, legend, colour in PROPAGATION_SERIES:
        body.append(f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{colour}"/>'
                    f'<text x="{x + 14}" y="{height - 5}" class="tick">{legend}</text>')
        x += 28 + 7 * len(legend)
    return _svg(width, height, title, body)


def bar_chart(counts: Sequence[AccessCount], title: str) -> Markup:
    """Horizontal bars, most requests first."""
    rows = list(counts)
    width, row_h, label_w = 760, 22, 200
    height = max(60, row_h * len(rows) + 20)
    body = [f'<title>{escape(title)}</title>']
    if not rows:
        body.append(f'<text x="{width // 2}" y="34" text-anchor="middle">no statistics for '
                    'this day</text>')
        return _svg(width, 60, title, body)
    peak = max(c.requests for c in rows) or 1
    for index, count in enumerate(rows):
        y = 10 + index * row_h
        w = (width - label_w - 90) * count.requests / peak
        body.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" '
                    f'class="tick">{escape(count.name)}</text>')
        body.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
                    f'fill="#0072B2"><title>{escape(count.name)}: {count.requests}</title></rect>')
        body.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" class="tick">'
                    f'{count.requests} ({count.percent:.1f}%)</text>')
    return _svg(width, height, title, body)


def world_map(locations: Sequence[MirrorLocation], outline: str = "") -> Markup:
    """Mirrors as dots on an equirectangular map (``outline``: SVG path data of the land in
    the same projection, 360 x 180 units)."""
    width, height = 720, 360
    body = ['<title>Public mirrors</title>',
            f'<rect width="{width}" height="{height}" class="sea"/>']
    if outline:
        body.append(f'<path d="{escape(outline)}" class="land" transform="scale(2)"/>')
    for lon in range(-180, 181, 30):
        x = (lon + 180) * 2
        body.append(f'<line x1="{x}" x2="{x}" y1="0" y2="{height}" class="graticule"/>')
    for lat in range(-90, 91, 30):
        y = (90 - lat) * 2
        body.append(f'<line x1="0" x2="{width}" y1="{y}" y2="{y}" class="graticule"/>')
    for mirror in locations:
        x = (max(-180.0, min(180.0, mirror.longitude)) + 180) * 2
        y = (90 - max(-90.0, min(90.0, mirror.latitude))) * 2
        body.append(f'<a href="/mirror/{mirror.host_id}"><circle cx="{x:.1f}" cy="{y:.1f}" '
                    f'r="3.5" class="mirror"><title>{escape(mirror.name)} '
                    f'({escape(mirror.country)})</title></circle></a>')
    return _svg(width, height, "Map of public mirrors", body)
