"""A shipment's sensor readings drawn as an SVG line chart, on the server:
no chart library, no script, no external request."""

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

WIDTH, HEIGHT = 760, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 48, 14, 30


def sensor_chart_svg(readings, *, low=None, high=None, max_points: int = 600) -> str:
    """Temperature (left axis, with the allowed range shaded) and humidity
    (right axis) over time. `readings` are (time, temperature, humidity)
    tuples in time order; long series are thinned to `max_points`."""
    readings = [r for r in readings if r[1] is not None or r[2] is not None]
    if len(readings) < 2:
        return ""
    step = max(1, len(readings) // max_points)
    readings = readings[::step]
    t0, t1 = readings[0][0].timestamp(), readings[-1][0].timestamp()
    span = max(t1 - t0, 1)
    temps = [float(r[1]) for r in readings if r[1] is not None]
    bounds = temps + [float(v) for v in (low, high) if v is not None]
    tmin, tmax = (min(bounds), max(bounds)) if bounds else (0.0, 1.0)
    pad = max((tmax - tmin) * 0.1, 0.5)
    tmin, tmax = tmin - pad, tmax + pad
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(when):
        return LEFT + (when.timestamp() - t0) / span * plot_w

    def y_temp(value):
        return TOP + (tmax - float(value)) / (tmax - tmin) * plot_h

    def y_hum(value):
        return TOP + (100 - float(value)) / 100 * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="w-100" role="img" aria-label="{escape(_("Sensor readings"))}" id="sensor-chart">',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#fff" '
        f'stroke="#dee2e6"/>',
    ]
    if low is not None and high is not None:
        top, bottom = y_temp(high), y_temp(low)
        parts.append(
            f'<rect x="{LEFT}" y="{top:.1f}" width="{plot_w}" height="{bottom - top:.1f}" '
            f'fill="#d1e7dd" opacity="0.6" class="allowed-range"/>'
        )
    for value in (tmin + pad, (tmin + tmax) / 2, tmax - pad):
        parts.append(
            f'<text x="{LEFT - 6}" y="{y_temp(value) + 4:.1f}" text-anchor="end" '
            f'font-size="11" fill="#dc3545">{value:.1f}°C</text>'
        )
    for value in (0, 50, 100):
        parts.append(
            f'<text x="{WIDTH - RIGHT + 6}" y="{y_hum(value) + 4:.1f}" font-size="11" '
            f'fill="#0d6efd">{value}%</text>'
        )
    for when in (readings[0][0], readings[len(readings) // 2][0], readings[-1][0]):
        parts.append(
            f'<text x="{x(when):.1f}" y="{HEIGHT - 10}" text-anchor="middle" font-size="11" '
            f'fill="#6c757d">{localtime(when):%m-%d %H:%M}</text>'
        )
    temp_points = " ".join(
        f"{x(r[0]):.1f},{y_temp(r[1]):.1f}" for r in readings if r[1] is not None
    )
    hum_points = " ".join(f"{x(r[0]):.1f},{y_hum(r[2]):.1f}" for r in readings if r[2] is not None)
    if temp_points:
        parts.append(
            f'<polyline points="{temp_points}" fill="none" stroke="#dc3545" stroke-width="1.5" '
            f'class="temperature"/>'
        )
    if hum_points:
        parts.append(
            f'<polyline points="{hum_points}" fill="none" stroke="#0d6efd" stroke-width="1" '
            f'stroke-dasharray="4 2" class="humidity"/>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped text only
