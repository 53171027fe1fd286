"""``report.md``: the evaluation report for people, in Bahasa Indonesia, with the model
and the baseline side by side."""

from __future__ import annotations

from typing import Any

from monitor.model.labels import LABELS


def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{float(value):.{digits}f}"


def _pct(value: Any) -> str:
    return "-" if value is None else f"{100 * float(value):.1f}%"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _file_line(name: str, info: dict[str, Any] | None) -> str:
    if info is None:
        return f"- {name}: -"
    return f"- {name}: `{info['path']}` ({info['posts']} unggahan, sha256 {info['sha256'][:12]})"


def _summary(systems: dict[str, Any], names: list[str]) -> list[str]:
    def row(title: str, get: Any) -> list[str]:
        return [title, *(get(systems[n]) for n in names)]

    op = systems["model"]["operating_point"]
    where = "validasi" if op["chosen_on"] == "valid" else "uji (tanpa validasi)"
    rows = [
        row("Akurasi", lambda s: _num(s["accuracy"])),
        row("Macro-F1", lambda s: _num(s["macro_f1"])),
        row("ECE (10 bin)", lambda s: _num(s["ece"])),
        row(
            f"Ambang P(pelanggaran) (dipilih pada {where})",
            lambda s: _num(s["operating_point"]["threshold"], 4),
        ),
        row("FPR non-pelanggaran pada uji", lambda s: _pct(s["operating_point"]["fpr"])),
        row(
            "Recall pelanggaran pada uji",
            lambda s: _pct(s["operating_point"]["violation_recall"]),
        ),
    ]
    return _table(["Ukuran", *names], rows)


def _per_class(systems: dict[str, Any], names: list[str]) -> list[str]:
    header = ["Label", "n"]
    for name in names:
        header += [f"P {name}", f"R {name}", f"F1 {name}"]
    rows = []
    for label in LABELS:
        support = systems["model"]["per_class"][label]["support"]
        row = [f"`{label}`", str(support)]
        for name in names:
            cls = systems[name]["per_class"][label]
            row += [_num(cls["precision"]), _num(cls["recall"]), _num(cls["f1"])]
        rows.append(row)
    return _table(header, rows)


def _confusion(matrix: list[list[int]]) -> list[str]:
    header = ["label \\ prediksi", *(f"`{label}`" for label in LABELS)]
    rows = [
        [f"`{label}`", *(str(v) for v in values)]
        for label, values in zip(LABELS, matrix, strict=True)
    ]
    return _table(header, rows)


def _reliability(systems: dict[str, Any], names: list[str]) -> list[str]:
    header = ["Bin keyakinan"]
    for name in names:
        header += [f"n {name}", f"keyakinan {name}", f"akurasi {name}"]
    rows = []
    for index, first in enumerate(systems["model"]["reliability"]):
        row = [f"{first['low']:.1f}-{first['high']:.1f}"]
        for name in names:
            cell = systems[name]["reliability"][index]
            row += [str(cell["count"]), _num(cell.get("confidence")), _num(cell.get("accuracy"))]
        rows.append(row)
    return _table(header, rows)


def render_markdown(report: dict[str, Any]) -> str:
    """The whole report as Markdown."""
    model, systems = report["model"], report["systems"]
    names = [n for n in ("model", "baseline") if n in systems]
    lines = [
        "# Laporan evaluasi classifier",
        "",
        f"- Model: `{model['name']}` (versi `{model['version']}`, sha256 {model['sha256']}), "
        f"perangkat {model['device']}, presisi {model['precision']}",
    ]
    if report.get("baseline"):
        lines.append(f"- Baseline: {report['baseline']['name']}, C={report['baseline']['C']}")
    else:
        lines.append("- Baseline: - (beri --train untuk melatihnya)")
    data = report["data"]
    lines += [
        _file_line("Data uji", data["test"]),
        _file_line("Data validasi", data["valid"]),
        _file_line("Data latih (baseline)", data["train"]),
        f"- Target FPR pada non-pelanggaran: {_pct(report['target_fpr'])}",
        "",
        "P(pelanggaran) = jumlah probabilitas `support`, `campaign_share`, `attack`, "
        "`money_politics`. Ambang dipilih agar FPR pada non-pelanggaran tidak melebihi target, "
        "lalu diukur pada data uji.",
        "",
        "## Ringkasan",
        "",
        *_summary(systems, names),
        "## Per kelas",
        "",
        *_per_class(systems, names),
    ]
    for name in names:
        matrix = systems[name]["confusion_matrix"]
        lines += [f"## Matriks kebingungan: {name}", "", *_confusion(matrix)]
    lines += [
        "## Kalibrasi (probabilitas tertinggi per unggahan)",
        "",
        *_reliability(systems, names),
    ]
    return "\n".join(lines)
