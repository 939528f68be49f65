"""tfnote: the programs of "AI Practice: TensorFlow Notes" on current TensorFlow and Keras.

    import keras, tfnote
    data = tfnote.load_dataset("mnist")
    model = keras.Sequential([...])
    model.compile(...)
    model.fit(..., callbacks=[tfnote.RunFolder("runs/mine", data=data, scale=1 / 255)])
    run = tfnote.open_run("runs/mine")      # its typed records: run.info, run.metrics...
    model = run.load_model()                # the best epoch's weights

Importing this package is cheap: TensorFlow is imported only when something needs it
(`tfnote.RunFolder` is a Keras callback, so asking for it imports Keras), so
`tfnote --help` answers at once.
"""

from tfnote.errors import TfnoteError

__version__ = "0.1.0"
__all__ = ["Data", "RunFolder", "TfnoteError", "__version__", "load_dataset", "open_run", "run"]


def __getattr__(name: str):
    # Lazy: the callback subclasses a Keras class, run() trains, data needs NumPy.
    if name in ("Data", "load_dataset"):
        import tfnote.data

        return getattr(tfnote.data, name)
    if name == "RunFolder":
        from tfnote.callback import RunFolder

        return RunFolder
    if name == "open_run":  # a run folder's typed records, without TensorFlow
        from tfnote.run_folder import open_run

        return open_run
    if name == "run":
        from tfnote.train import run

        return run
    raise AttributeError(f"module 'tfnote' has no attribute {name!r}")
