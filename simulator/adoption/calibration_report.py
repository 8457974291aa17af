"""The files of `erpsim calibrate`: the calibrated forecast, with the observed history and the
Bass baseline on its chart, plus calibration.json and a pasteable parameters.toml."""

from __future__ import annotations

from pathlib import Path

from simulator.adoption.calibrate import Calibration, bass_tau, parameters_toml
from simulator.adoption.forecast import Forecast
from simulator.adoption.metrics import PRIMARY
from simulator.adoption.outputs import fan_png, write_forecast_files, write_json
from simulator.report import charts, pages


def write_calibration(directory: Path, forecast: Forecast, calibration: Calibration) -> None:
    """Everything `calibrate` writes into its output directory."""
    history = calibration.history
    first = forecast.months.index(history.months[0])
    indexes = list(range(first, first + len(history.months)))
    observed = history.rates()
    points = [
        charts.Points(f"observed {name}", indexes, observed[name].tolist(), charts.COLORS[name])
        for name in PRIMARY
    ]
    details = calibration.as_dict()
    details["last_month"] = forecast.months[-1]
    details["model_tau_final"] = round(float(forecast.median("TAU")[-1]), 6)
    extra: list[charts.Series] = []
    if calibration.bass is not None:
        line = bass_tau(calibration.bass, history, first, len(forecast.months))
        extra.append(
            charts.Series("Bass TAU", line, color=charts.COLORS["TAU"], style="--", offset=first)
        )
        details["bass_tau_final"] = round(line[-1], 6)
        details["bass_tau"] = [round(value, 6) for value in line]
    summary = forecast.summary()
    summary["calibration"] = details
    png = fan_png(
        forecast,
        extra=extra,
        points=points,
        title=f"{forecast.scenario.name}, calibrated on {Path(history.source).name}",
    )
    write_forecast_files(
        directory,
        forecast,
        summary=summary,
        png=png,
        extra_sections=[pages.calibration_section(details)],
    )
    write_json(directory / "calibration.json", details)
    (directory / "parameters.toml").write_text(parameters_toml(calibration), encoding="utf-8")
