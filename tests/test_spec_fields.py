"""Every Spec field is checked when the spec is read (issue 24, "parse once").

The cases come from a sweep of experiment files: some trained silently with a value that
did nothing (monitor = "nosuch", shuffle = "no"), others crashed with a traceback after
TensorFlow and the data had loaded, leaving a half-made run folder. Each must now stop with
one line that names the file and the field, exit 2, before TensorFlow loads, and leave
nothing behind. Dataset and model references become typed values, and spec.json keeps
them as the text it always held.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tfnote.cli import main
from tfnote.data import DatasetRef, load_dataset
from tfnote.errors import TfnoteError
from tfnote.models import ModelRef
from tfnote.spec import Spec, get_preset, presets

# (a line of the experiment file after `preset = "p14"`, words the one error line must hold)
FIELD_CASES = [
    ('monitor = "nosuch"', "monitor must be a value the run logs: loss, sparse_categorical_acc"),
    ('monitor = "val_loss"\nvalidation = "none"', "monitor must be a value the run logs: loss,"),
    ('shuffle = "no"', 'shuffle must be true or false (got "no")'),
    ("batch_size = true", "batch_size must be a whole number (got true)"),
    ('jit_compile = "yes"', 'jit_compile must be true or false (got "yes")'),
    ("epochs = 1.5", "epochs must be a whole number (got 1.5)"),
    ('epochs = "three"', 'epochs must be a whole number (got "three")'),
    ("dataset = 3", "dataset must be a dataset"),
    ('model_args = "x"', "model_args must be a table of settings"),
    ('metrics = "accuracy"', "metrics must be a list of names"),
    ("steps_per_execution = 0", "steps_per_execution must be at least 1 (got 0)"),
    ("lr = nan", "lr must be a finite number"),
    ("scale = 0", "scale must be a finite, non-zero number"),
    ('model = ""', "model must be a model"),
    ("name = 3", "name must be text"),
    ('dataset = "nosuch"', "unknown dataset 'nosuch'"),
    ('dataset = "mnist:x"', "dataset 'mnist:x': mnist takes nothing after the colon"),
    ('dataset = "fashion"\ndataset_args = { window = 60 }', "dataset 'fashion' takes no option"),
]  # fmt: skip


def _train_file(tmp_path: Path, body: str, monkeypatch, capsys) -> tuple[int, str]:
    """`tfnote train exp.toml` on a file of `body`, in this process: (exit code, stderr)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TFNOTE_OFFLINE", "1")
    (tmp_path / "exp.toml").write_text(f'preset = "p14"\n{body}\n')
    # An empty --data-dir: a value that slipped through fails fast on the missing data,
    # with a line that does not name the field.
    try:
        code = main(["train", "exp.toml", "--data-dir", str(tmp_path / "no-data"), "--quiet"])
    except SystemExit as e:
        code = e.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("body", "expected"), FIELD_CASES, ids=[b for b, _ in FIELD_CASES])
def test_a_wrong_field_is_one_line_naming_file_and_field(body, expected, tmp_path, monkeypatch,
                                                         capsys):  # fmt: skip
    code, err = _train_file(tmp_path, body, monkeypatch, capsys)
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert f"exp.toml: {expected}" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.toml"]  # no runs/ left behind


def test_the_checks_run_before_tensorflow_loads(tmp_path):
    """All the cases above in one child process, which never imports TensorFlow."""
    code = (
        "import sys, pathlib; from tfnote.cli import main\n"
        "for i, body in enumerate(sys.argv[1:]):\n"
        "    pathlib.Path(f'e{i}.toml').write_text('preset = \"p14\"\\n' + body + '\\n')\n"
        "    try: main(['train', f'e{i}.toml', '--data-dir', 'none'])\n"
        "    except SystemExit as e: assert e.code == 2, body\n"
        "print('tensorflow' in sys.modules)\n"
    )
    bodies = [body for body, _ in FIELD_CASES]
    result = subprocess.run(
        [sys.executable, "-c", code, *bodies], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout.strip() == "False", result.stderr
    assert result.stderr.count("\n") == len(bodies), result.stderr
    assert not (tmp_path / "runs").exists()


def test_a_good_file_reads_every_field_and_monitor_may_name_a_logged_metric(tmp_path):
    (tmp_path / "good.toml").write_text(
        'preset = "p14"\nmonitor = "val_sparse_categorical_accuracy"\nlr = 1\nshuffle = false\n'
    )
    spec = get_preset(str(tmp_path / "good.toml"))
    assert spec.monitor == "val_sparse_categorical_accuracy" and spec.shuffle is False
    assert spec.lr == 1.0 and isinstance(spec.lr, float)  # TOML's 1 is a number too


def test_flags_are_checked_as_they_are_read(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for args, expected in [
        (["--data", "nosuch"], "argument --data: unknown dataset 'nosuch'"),
        (["--data", "cifar10:x"], "cifar10 takes nothing after the colon"),
        (["--model", "nowhere.py:build"], "argument --model: model file nowhere.py not found"),
    ]:
        with pytest.raises(SystemExit) as stop:
            main(["train", "p14", *args])
        err = capsys.readouterr().err
        assert stop.value.code == 2 and err.count("\n") == 1 and expected in err, err
    assert list(tmp_path.iterdir()) == []


def test_runs_and_report_show_one_damaged_spec_and_list_the_rest(tmp_path, capsys):
    good = get_preset("iris").to_dict()
    for name, spec in [("good", good), ("bad", {**good, "epochs": "three"})]:
        (tmp_path / "runs" / name).mkdir(parents=True)
        (tmp_path / "runs" / name / "spec.json").write_text(json.dumps(spec))
    assert main(["runs", str(tmp_path / "runs")]) == 0
    table = capsys.readouterr().out
    bad = next(line for line in table.splitlines() if line.startswith("bad "))
    assert "damaged" in bad and "spec.json: damaged (epochs must be a whole number" in bad
    assert any(line.startswith("good ") and "preset iris" in line for line in table.splitlines())
    out = tmp_path / "report.html"
    assert main(["report", str(tmp_path / "runs"), "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "epochs must be a whole number" in page and "good" in page


# --- typed references, and spec.json as text ----------------------------------------------


def test_dataset_and_model_references_are_typed_and_give_their_text_back(tmp_path):
    assert DatasetRef.parse("fashion-mnist") == DatasetRef("fashion")  # aliases resolved
    ref = DatasetRef.parse("image-folder:pics")
    assert (ref.kind, ref.arg, str(ref)) == ("image-folder", "pics", "image-folder:pics")
    (tmp_path / "pics").mkdir()
    assert DatasetRef.parse(f"image-folder:{tmp_path / 'pics'}").absolute().arg == str(
        (tmp_path / "pics").resolve()
    )
    assert DatasetRef.parse("letters:a-z").absolute() == DatasetRef("letters", "a-z")
    assert DatasetRef.parse("old:thing", check=False).kind == "old"  # a record as it is
    with pytest.raises(TfnoteError, match="unknown dataset 'old:thing'"):
        DatasetRef.parse("old:thing")

    own = ModelRef.parse("net.py:build")
    assert (own.file, own.function, own.name, str(own)) == ("net.py", "build", None, "net.py:build")
    assert str(own.beside(tmp_path)) == f"{(tmp_path / 'net.py').resolve()}:build"
    assert ModelRef.parse("mlp") == ModelRef("mlp") and str(ModelRef("mlp")) == "mlp"


def test_spec_json_keeps_text_and_old_spec_files_read_back():
    for table in presets().values():
        spec = Spec.from_dict(table)
        data = json.loads(json.dumps(spec.to_dict()))
        assert isinstance(data["dataset"], str) and isinstance(data["model"], str)
        assert Spec.from_dict(data) == spec
    # spec.json as releases before typed references wrote it: plain strings, aliases
    old = {"name": "fashion", "dataset": "fashion-mnist", "model": "mlp", "lr": 1, "epochs": 5}
    spec = Spec.from_dict(old)
    assert spec.dataset == DatasetRef("fashion") and spec.model == ModelRef("mlp")
    assert spec.to_dict()["dataset"] == "fashion"
    with pytest.raises(TfnoteError, match=r"^runs/x/spec.json: batch_size must be a whole"):
        Spec.from_dict({**old, "batch_size": True}, where="runs/x/spec.json")


def test_python_code_gets_the_same_checks():
    assert Spec(dataset="mnist", data_dir=Path("/data")).data_dir == "/data"
    with pytest.raises(TfnoteError, match="epochs must be a whole number"):
        Spec(epochs=1.5)
    with pytest.raises(TfnoteError, match="shuffle must be true or false"):
        get_preset("p14").replace(shuffle="no")
    with pytest.raises(TfnoteError, match="takes no option window"):
        load_dataset("mnist", window=60)
