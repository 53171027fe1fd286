"""``asn-monitor model init|train|eval``: build, fine-tune and evaluate the classifier.
torch, transformers and scikit-learn load inside the commands, never at import."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.context import Context, fail
from monitor.errors import DetectError, InputError

_registries_option = click.option(
    "--registries",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Registri pasangan calon untuk penyamaran nama (bawaan: registries/ di samping "
    "data). Boleh berulang.",
)
_device_option = click.option(
    "--device",
    type=click.Choice(["auto", "cpu", "cuda"]),
    default="auto",
    show_default=True,
    help="Perangkat: auto (CUDA bila ada), cpu, atau cuda.",
)
_seed_option = click.option("--seed", default=13, show_default=True, help="Benih acak.")
_max_length_option = click.option(
    "--max-length", default=128, show_default=True, help="Panjang maksimum (token)."
)


def _setup_logging(ctx: Context) -> None:
    """Logs as the configuration says when one is given, else INFO to stderr."""
    if ctx.config_path is not None:
        _ = ctx.settings
        return
    from monitor.logs import setup_logging

    setup_logging("INFO")


def _registries(given: tuple[Path, ...], data_file: Path) -> tuple[Path, ...]:
    from monitor.model.data import default_registries

    return given or default_registries(data_file)


@click.group("model")
def model_group() -> None:
    """Classifier: buat model awal, latih, dan evaluasi."""


@model_group.command("init")
@click.option(
    "--data",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Data latih JSONL (untuk melatih tokenizer).",
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Direktori keluaran.")
@click.option("--vocab", default=8000, show_default=True, help="Ukuran kosakata WordPiece.")
@click.option("--layers", default=4, show_default=True, help="Jumlah lapisan transformer.")
@click.option("--hidden", default=256, show_default=True, help="Ukuran lapisan tersembunyi.")
@click.option("--heads", default=4, show_default=True, help="Jumlah attention head.")
@_max_length_option
@_seed_option
@_registries_option
@click.pass_obj
def init(
    ctx: Context,
    data: Path,
    out: Path,
    vocab: int,
    layers: int,
    hidden: int,
    heads: int,
    max_length: int,
    seed: int,
    registries: tuple[Path, ...],
) -> None:
    """Latih tokenizer WordPiece pada teks latih (tersamar) dan simpan BERT acak yang siap
    dilatih dengan 'model train --base'."""
    _setup_logging(ctx)
    from monitor.model.data import file_sha256, load_masker, load_split
    from monitor.model.scratch import ScratchConfig, init_checkpoint

    try:
        config = ScratchConfig(vocab, layers, hidden, heads, max_length, seed)
    except ValueError as exc:
        fail(str(exc), 2)
    paths = _registries(registries, data)
    try:
        split = load_split(data, load_masker(paths))
    except InputError as exc:
        ctx.guard(exc)
    provenance = {
        "data": {"path": str(data), "sha256": file_sha256(data)},
        "registries": [str(p) for p in paths],
    }
    summary = init_checkpoint(split.texts, out, config, provenance)
    parameters = f"{summary['parameters']:,}".replace(",", ".")
    click.echo(
        f"model awal disimpan di {out}: kosakata {summary['vocab_size']}, {parameters} parameter"
    )


@model_group.command("train")
@click.option(
    "--base",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Checkpoint Hugging Face lokal (direktori) yang dilatih lanjut.",
)
@click.option(
    "--data",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="Direktori data (train.jsonl, valid.jsonl, registries/) atau berkas latih JSONL.",
)
@click.option(
    "--valid",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Data validasi JSONL (bawaan: valid.jsonl di direktori data, atau 10% data latih).",
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Direktori keluaran.")
@click.option("--epochs", default=10, show_default=True, help="Jumlah epoch maksimum.")
@click.option("--batch-size", default=16, show_default=True, help="Ukuran batch.")
@click.option("--lr", default=5e-5, show_default=True, help="Laju belajar (AdamW).")
@click.option(
    "--patience", default=2, show_default=True, help="Berhenti bila macro-F1 tak naik sekian epoch."
)
@_seed_option
@_max_length_option
@_device_option
@_registries_option
@click.pass_obj
def train(
    ctx: Context,
    base: Path,
    data: Path,
    valid: Path | None,
    out: Path,
    epochs: int,
    batch_size: int,
    lr: float,
    patience: int,
    seed: int,
    max_length: int,
    device: str,
    registries: tuple[Path, ...],
) -> None:
    """Latih lanjut checkpoint mana pun dengan data berlabel; simpan epoch terbaik
    (macro-F1 validasi) beserta training.json."""
    _setup_logging(ctx)
    from monitor.model.data import resolve_data
    from monitor.model.train import TrainConfig, train_files

    try:
        files = resolve_data(data, valid, registries)
        summary = train_files(
            base,
            files,
            out,
            TrainConfig(
                epochs=epochs,
                batch_size=batch_size,
                lr=lr,
                patience=patience,
                seed=seed,
                max_length=max_length,
                device=device,
            ),
        )
    except InputError as exc:
        ctx.guard(exc)
    except (OSError, ValueError, DetectError) as exc:
        fail(f"pelatihan gagal: {exc}")
    click.echo(
        f"model terbaik (epoch {summary['best_epoch']} dari {len(summary['epochs'])}, "
        f"macro-F1 validasi {summary['best_valid_macro_f1']:.3f}) disimpan di {out}"
    )


@model_group.command("eval")
@click.option(
    "--model",
    "model_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Direktori model.",
)
@click.option(
    "--data",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Data uji JSONL.",
)
@click.option(
    "--valid",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Data validasi JSONL (untuk memilih ambang).",
)
@click.option(
    "--train",
    "train_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Data latih JSONL (untuk baseline TF-IDF + regresi logistik).",
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Direktori laporan.")
@click.option(
    "--target-fpr",
    default=0.02,
    show_default=True,
    type=click.FloatRange(0.0, 1.0),
    help="Target tingkat positif palsu pada non-pelanggaran.",
)
@_device_option
@click.option("--batch-size", default=32, show_default=True, help="Ukuran batch.")
@_registries_option
@click.pass_obj
def evaluate(
    ctx: Context,
    model_dir: Path,
    data: Path,
    valid: Path | None,
    train_file: Path | None,
    out: Path,
    target_fpr: float,
    device: str,
    batch_size: int,
    registries: tuple[Path, ...],
) -> None:
    """Ukur model pada data uji (presisi/recall/F1 per kelas, macro-F1, matriks kebingungan,
    kalibrasi, ambang untuk target FPR) di samping baseline; tulis report.json dan report.md."""
    _setup_logging(ctx)
    from monitor.model.evaluate import EvalFiles, write_report
    from monitor.model.evaluate import evaluate as run_evaluation

    files = EvalFiles(data, valid, train_file, _registries(registries, data))
    try:
        report = run_evaluation(
            model_dir, files, target_fpr=target_fpr, device=device, batch_size=batch_size
        )
    except InputError as exc:
        ctx.guard(exc)
    except DetectError as exc:
        fail(str(exc))
    json_path, md_path = write_report(report, out)
    for name, system in report["systems"].items():
        op = system["operating_point"]
        click.echo(
            f"{name}: macro-F1 {system['macro_f1']:.3f}, ECE {system['ece']:.3f}, "
            f"ambang {op['threshold']:.4f}: FPR {100 * op['fpr']:.1f}%, "
            f"recall pelanggaran {100 * op['violation_recall']:.1f}%"
        )
    click.echo(f"laporan: {json_path}, {md_path}")


def register(cli: click.Group) -> None:
    cli.add_command(model_group)
