"""A workload's summary for people: the table on the terminal, the JSON file, the latency plot."""
from __future__ import annotations

import json
from pathlib import Path

import click

from classroom.results import CORRECT, ERROR, WRONG, Summary


def write_plot(summary: Summary, path: Path) -> None:
    """Latency of every result against when its video was sent, and their distribution."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    received = [o for o in summary.outcomes if o.latency_s is not None]
    fig, (timeline, histogram) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    colours = {CORRECT: "tab:green", WRONG: "tab:red", ERROR: "tab:orange"}
    for verdict in sorted({o.verdict for o in received}):
        group = [o for o in received if o.verdict == verdict]
        timeline.scatter([o.sent_at for o in group], [o.latency_s for o in group], label=verdict,
                         color=colours.get(verdict, "tab:blue"), s=18)
    timeline.set(xlabel="upload completed (s since start)", ylabel="latency to result (s)", title="Latency by upload time")
    if received:
        timeline.legend()
        histogram.hist([o.latency_s for o in received], bins=min(30, max(5, len(received) // 2)), color="tab:blue")
        for label, value, style in (("p50", summary.latency_p50_s, "--"), ("p95", summary.latency_p95_s, ":")):
            histogram.axvline(value, color="black", linestyle=style, label=f"{label} {value:.1f} s")
        histogram.legend()
    histogram.set(xlabel="latency (s)", ylabel="videos", title=f"{summary.received} of {summary.sent} results")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def show_summary(summary: Summary, json_path: Path | None, plot_path: Path | None) -> None:
    """Print the table; write the JSON and the plot when asked."""
    click.echo(summary.table())
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(summary.to_json(), indent=2) + "\n", encoding="utf-8")
        click.echo(f"summary written to {json_path}")
    if plot_path is not None:
        write_plot(summary, plot_path)
        click.echo(f"latency plot written to {plot_path}")
