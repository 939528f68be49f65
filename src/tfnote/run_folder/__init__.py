"""The run folder: everything one training run leaves, and the only package that knows it.

    >>> run = tfnote.open_run("runs/mnist")
    >>> run.info.input_shape, run.metrics.headline, run.metrics.value
    ((28, 28), 'accuracy', 0.9786)
    >>> model = run.load_model()            # the best epoch's weights ("last": the last)

`Run` (run.py) gives the folder's typed records (records.py: ModelInfo, ResumeState,
Metrics, ForecastRecord); folder.py knows the file names and writes them safely. Nothing
here imports TensorFlow until a model is loaded or saved.
"""

from tfnote.run_folder.folder import is_run_folder
from tfnote.run_folder.records import (
    SCHEMA,
    BestScores,
    FolderFacts,
    ForecastRecord,
    Metrics,
    ModelInfo,
    ResumeState,
)
from tfnote.run_folder.run import Run, open_run

__all__ = ["SCHEMA", "BestScores", "FolderFacts", "ForecastRecord", "Metrics", "ModelInfo",
           "ResumeState", "Run", "is_run_folder", "open_run"]  # fmt: skip
