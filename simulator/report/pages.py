"""The adoption reports, built from the same dictionaries written to summary.json.

A report reads only what the command already wrote (summary, monthly medians, chart), so the
HTML can never disagree with the files next to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from simulator.adoption.display import probability, share
from simulator.adoption.metrics import METRIC_BY_NAME, PRIMARY
from simulator.report import html as h

VERDICT_CLASS = {"on track": "on-track", "at risk": "at-risk", "off track": "off-track"}
READING_NOTES = (
    "Each run is one possible future of the same plan: buyers differ and chance decides who "
    "registers when, who meets a wrong price, who comes back.",
    "The line is the median run; the shaded band holds 80 % of the runs (p10 to p90). More "
    "runs do not shrink that band - it is the real uncertainty - but they shrink the Monte "
    "Carlo error of the median (the 95 % interval in metrics.csv, p50_low to p50_high).",
    "The target probability is the share of runs whose metric is at or above the target in "
    "the target's month; its 95 % interval is a Wilson interval over the runs.",
    "Verdict: on track when at least 80 % of runs reach the target, at risk from 50 % to 80 %, "
    "off track below 50 %.",
    "Model, levers, parameters and their sources: docs/adoption.md.",
)


def fmt(value: float, unit: str, currency: str = "EUR") -> str:
    """A value as people read it: shares in %, money with its currency, counts with commas."""
    if unit == "share":
        return share(value, 1)
    if unit == "money":
        return f"{value:,.0f} {currency}"
    if unit == "per account":
        return f"{value:,.2f}"
    return f"{value:,.0f}"


def target_block(target: Mapping[str, Any] | None) -> list[str]:
    if not target:
        return [h.verdict("No SMART target in this scenario.", "none")]
    low, high = target["probability_ci95"]
    text = (
        f"{target['smart']} Probability {probability(target['probability'])} "
        f"(95 % interval {probability(low)}-{probability(high)}): {target['verdict']}."
    )
    detail = (
        f"Median {target['metric']} in {target['month']}: {share(target['median_at_date'])}; "
        f"{target['runs_reaching']} of the runs reach {target['value']:.0%} then; "
        f"{probability(target['probability_any_time'])} reach it at some month up to the date."
    )
    return [
        h.verdict(text, VERDICT_CLASS.get(target["verdict"], "none")),
        h.paragraph(detail),
    ]


def final_table(final: Mapping[str, Mapping[str, float]], currency: str) -> str:
    rows = []
    for name, band in final.items():
        metric = METRIC_BY_NAME[name]
        rows.append(
            [name, metric.label]
            + [fmt(band[key], metric.unit, currency) for key in ("p10", "p50", "p90", "mean")]
        )
    return h.table(["metric", "meaning", "p10", "median", "p90", "mean"], rows)


def monthly_table(months: Sequence[str], medians: Mapping[str, Sequence[float]]) -> str:
    names = [name for name in PRIMARY if name in medians]
    rows = [[month] + [share(medians[n][i]) for n in names] for i, month in enumerate(months)]
    return h.table(["month"] + [f"{name} (median)" for name in names], rows)


def _overrides(values: Mapping[str, float]) -> str:
    return ", ".join(f"{name} = {value:g}" for name, value in values.items())


def simulate_page(
    summary: Mapping[str, Any],
    months: Sequence[str],
    medians: Mapping[str, Sequence[float]],
    png: bytes,
    extra_sections: Sequence[str] = (),
) -> str:
    """report.html of `erpsim simulate` (and of the calibrated forecast)."""
    horizon = summary["horizon"]
    population = summary["population"]
    currency = summary.get("currency", "EUR")
    intro = [
        h.paragraph(summary["question"]) if summary.get("question") else "",
        h.paragraph(
            f"{summary['runs']} runs, seed {summary['seed']}, {summary['model']} model; "
            f"{horizon['first_month']} to {horizon['last_month']} (launch {horizon['start']}). "
            f"Population: {population['accounts']:,} accounts that can buy online "
            f"({population['key_accounts']} key accounts), {population['buyers']:,} buyers, "
            f"{population['ap_clerks']:,} AP clerks, from {population['source']}.",
            "muted",
        ),
    ]
    band = (
        f"Median TDA in {summary['final_month']}: {share(summary['tda_median_final'])}, "
        f"{summary['tda_band']} on the seed guide's self-assessment scale "
        "(below 40 %, 40-70 %, above 70 %)."
    )
    sections = [
        *intro,
        h.section("SMART target", *target_block(summary.get("target"))),
        h.section("Adoption", h.paragraph(band), h.image(png, "adoption fan chart")),
        *extra_sections,
        h.section(
            f"All metrics in {summary['final_month']}",
            final_table(summary["final"], currency),
        ),
        h.section("Monthly medians", monthly_table(months, medians)),
        h.section("The plan (levers in plain words)", h.bullets(summary["levers"])),
        h.section("Calendar", h.bullets(summary["calendar"] or ["(nothing scheduled)"])),
        h.section(
            "Data",
            h.bullets(
                [
                    f"Order rhythm from {population['order_rhythm_from']}; invoices: "
                    f"{population['invoices_from']}.",
                    f"Accounts left out: {population['excluded_blocked_accounts']} blocked, "
                    f"{population['excluded_by_scenario_accounts']} excluded by the scenario.",
                    f"Data accuracy: {summary['data_accuracy']['explanation']}; on average "
                    f"{share(summary['data_accuracy']['mean_order_wrong'])} of online orders meet "
                    "a wrong price or stock level.",
                    "Parameters changed from the documented defaults: "
                    + (
                        ", ".join(
                            f"{k} = {v:g}" for k, v in summary["parameters_overridden"].items()
                        )
                        or "none"
                    ),
                ]
            ),
        ),
        h.section("How to read this report", h.bullets(READING_NOTES)),
    ]
    return h.page(f"Adoption forecast: {summary['scenario']}", sections)


def _band(band: Mapping[str, float]) -> str:
    return f"{share(band['p50'])} ({share(band['p10'], 0)}-{share(band['p90'], 0)})"


def compare_page(summaries: Sequence[Mapping[str, Any]], png: bytes, months: Sequence[str]) -> str:
    """report.html of `erpsim compare`."""
    headers = ["scenario", "final month"] + [f"{name} median (p10-p90)" for name in PRIMARY]
    headers += ["target", "probability", "verdict"]
    rows = []
    for summary in summaries:
        final = summary["final"]
        target = summary.get("target")
        rows.append(
            [summary["scenario"], summary["final_month"]]
            + [_band(final[n]) for n in PRIMARY]
            + (
                [target["smart"], probability(target["probability"]), target["verdict"]]
                if target
                else ["-", "-", "-"]
            )
        )
    questions = [f"{s['scenario']}: {s['question'] or '(no question given)'}" for s in summaries]
    levers = [h.section(f"Levers of {s['scenario']}", h.bullets(s["levers"])) for s in summaries]
    sections = [
        h.paragraph(
            f"{summaries[0]['runs']} runs per scenario, seed {summaries[0]['seed']} (the same "
            f"random numbers for every scenario, so differences come from the levers); months "
            f"{months[0]} to {months[-1]}.",
            "muted",
        ),
        h.section("Questions", h.bullets(questions)),
        h.section("Comparison", h.image(png, "scenario comparison"), h.table(headers, rows)),
        *levers,
        h.section("How to read this report", h.bullets(READING_NOTES)),
    ]
    return h.page("Adoption scenarios compared", sections)


def tornado_notes(summary: Mapping[str, Any]) -> list[str]:
    """How to read the tornado chart, in the words of this run."""
    metric, month = summary["metric"], summary["month"]
    target = summary.get("target")
    notes = [
        "Each bar is one lever, moved from its unfavourable setting (the orange end) to its "
        "favourable one (the blue end), everything else as in the scenario.",
        f"The black line is this scenario's median {metric} in {month} "
        f"({share(summary['base'])}); a bar's ends are the median with the lever at each "
        "setting.",
    ]
    if target:
        notes.append(
            f"The dashed line is the SMART target ({metric} at least {target['value']:.0%} by "
            f"{target['date']}). A lever whose blue end crosses it can reach the target on "
            "its own; an orange end that falls back across it can lose a target the scenario "
            "would reach; bars entirely on one side leave the verdict as it is."
        )
    else:
        notes.append(
            f"The scenario has no SMART target on {metric}, so there is no target line; the "
            "bars show how far each lever moves the median."
        )
    notes += [
        "The widest bars are on top: those levers matter most for this plan; a short bar "
        "means the result hardly depends on that lever within the tested range.",
        f"Every setting runs {summary['runs']} times with the same random numbers, so the "
        "differences come from the levers, not from chance. The tested ranges of each lever: "
        "docs/adoption.md.",
    ]
    return notes


def sensitivity_page(summary: Mapping[str, Any], png: bytes) -> str:
    """report.html of `erpsim sensitivity`."""
    metric = summary["metric"]
    rows = [
        [
            item["lever"],
            item["unfavourable"],
            share(item["low"]),
            item["favourable"],
            share(item["high"]),
            f"{item['swing'] * 100:+.1f} pp",
        ]
        for item in summary["levers"]
    ]
    sections = [
        h.paragraph(
            f"Scenario {summary['scenario']}: median {metric} in {summary['month']} is "
            f"{share(summary['base'])}. Each lever is set to an unfavourable and a favourable "
            f"value, everything else as in the scenario, {summary['runs']} runs each with the "
            "same random numbers; levers are ranked by the swing between the two.",
        ),
        h.image(png, "tornado chart"),
        h.table(["lever", "unfavourable", f"{metric}", "favourable", f"{metric}", "swing"], rows),
        h.section("How to read the tornado chart", h.bullets(tornado_notes(summary))),
    ]
    return h.page(f"Which levers move {metric}: {summary['scenario']}", sections)


def calibration_section(calibration: Mapping[str, Any]) -> str:
    """The fit: parameters before and after, fit error, and the Bass baseline."""
    params = [
        [name, f"{values['before']:.4g}", f"{values['after']:.4g}"]
        for name, values in calibration["parameters"].items()
    ]
    errors = [
        [name, f"{value * 100:.2f} pp"] for name, value in calibration["rmse_by_metric"].items()
    ]
    bass = calibration.get("bass")
    bass_rows = []
    if bass:
        bass_rows = [
            [key, f"{bass[key]:.4g}", f"{bass['se_' + key]:.3g}"] for key in ("m", "p", "q")
        ]
    parts = [
        h.paragraph(
            f"Fitted to {calibration['history']} ({calibration['months']} months) by least "
            f"squares on the simulated median of {calibration['fit_runs']} runs with common "
            f"random numbers; {calibration['evaluations']} evaluations. Fit error (RMSE over "
            f"TR, TAU, TDA, KAAR): {calibration['rmse'] * 100:.2f} percentage points, "
            f"{calibration['rmse_before'] * 100:.2f} before fitting."
        ),
        h.table(["parameter", "before", "after"], params),
        h.table(["metric", "RMSE"], errors),
    ]
    if bass:
        parts += [
            h.paragraph(
                f"Classical Bass diffusion fitted to the buyers with a first online order "
                f"({bass['form']} form): residual standard error {bass['residual_se']:.3g}. "
                f"Dashed on the chart as 'Bass TAU'; by {calibration['last_month']} it "
                f"reaches {share(calibration['bass_tau_final'])} against the model's median TAU "
                f"{share(calibration['model_tau_final'])}."
            ),
            h.table(["Bass", "estimate", "standard error"], bass_rows),
        ]
    return h.section("Calibration", *parts)
