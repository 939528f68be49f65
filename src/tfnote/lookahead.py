"""Lookahead weight averaging as a Keras callback (Zhang et al. 2019, as airbench uses it).

Every few steps the callback moves a slow copy of the weights a fraction of the way towards
the network's weights, then puts the network back on the slow copy:

    slow = slow + (1 - decay) * (weights - slow);   weights = slow

The decay grows with the cube of the run's progress, to `decay` at the end: early on the
network moves freely, late in the run (small learning rate, noisy steps) its weights are
averaged over the last few dozen steps. BatchNorm's moving statistics are averaged too,
so they match the averaged weights.

Keras calls `on_train_batch_end` once per `steps_per_execution` steps, so that is how
often the average moves (5 in the published recipe).
"""

from __future__ import annotations

from tfnote import _tf

tf, keras = _tf.load()


class Lookahead(keras.callbacks.Callback):
    """Average the model's float weights every call, `decay` * progress**`power` kept."""

    def __init__(self, decay: float = 0.95**5, power: float = 3.0):
        super().__init__()
        self.decay = decay
        self.power = power
        self.slow: list | None = None

    def _weights(self) -> list:
        return [w for w in self.model.weights if "float" in str(w.dtype)]

    def on_train_begin(self, logs=None) -> None:
        self.slow = [tf.Variable(w.value, trainable=False) for w in self._weights()]
        self.total_steps = max(1, self.params["epochs"] * self.params["steps"])

    def on_train_batch_end(self, batch, logs=None) -> None:
        step = int(self.model.optimizer.iterations.numpy())
        keep = self.decay * min(1.0, step / self.total_steps) ** self.power
        for slow, weight in zip(self.slow, self._weights()):
            slow.assign(keep * slow + (1 - keep) * weight.value)
            weight.assign(slow)
