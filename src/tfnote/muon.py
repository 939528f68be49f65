"""Muon for convolution kernels, Nesterov SGD for everything else.

Muon (Keller Jordan, 2024; the optimizer of airbench94_muon) replaces a convolution's
update by the nearest orthogonal matrix: the momentum, seen as a (kh*kw*in, out) matrix
G = U S V^T, becomes roughly U V^T, so every direction of the kernel moves by the same
amount instead of a few large ones dominating. A few Newton-Schulz iterations (matrix
products only) approximate U V^T. Before each step the kernel is rescaled to the norm
sqrt(out): a BatchNorm follows every convolution, so only the direction matters, and a
fixed norm keeps the learning rate meaning the same thing all run long.

Keras's own `keras.optimizers.Muon` treats only 2-D weights this way (4-D kernels get
AdamW); this one is for convolutional networks. The other weights (biases, the dense
head) take a plain Nesterov SGD step at `sgd_ratio` times the learning rate, so one
schedule drives both.
"""

from __future__ import annotations

from tfnote import _tf
from tfnote.errors import TfnoteError

tf, keras = _tf.load()
ops = keras.ops


def orthogonalize(g, steps: int = 3):
    """Approximately U V^T for g = U S V^T, by a quintic Newton-Schulz iteration.

    The coefficients (3.4445, -4.7750, 2.0315) push every singular value towards 1 in a few
    steps without converging exactly (they land in about 0.5-1.5, which trains as well).
    """
    a, b, c = 3.4445, -4.7750, 2.0315
    wide = g.shape[0] <= g.shape[1]
    x = g if wide else ops.transpose(g)  # iterate on the smaller Gram matrix x x^T
    x = x / (ops.sqrt(ops.sum(x * x)) + 1e-7)  # all singular values <= 1
    for _ in range(steps):
        gram = x @ ops.transpose(x)
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x if wide else ops.transpose(x)


@keras.saving.register_keras_serializable(package="tfnote")
class ConvMuon(keras.optimizers.Optimizer):
    """Muon on 4-D convolution kernels, Nesterov SGD on the rest.

    Args:
        learning_rate: Muon's step (a float or a schedule); SGD's is `sgd_ratio` times it.
        momentum: Muon's momentum (Nesterov).
        sgd_ratio: SGD's learning rate over Muon's.
        sgd_momentum: SGD's momentum (Nesterov).
        ns_steps: Newton-Schulz iterations.
        weight_decay: decoupled weight decay, for the SGD weights (a kernel's norm is reset
            every step, so decay would not change it).
    """

    def __init__(
        self,
        learning_rate=0.24,
        momentum: float = 0.6,
        sgd_ratio: float = 7.0,
        sgd_momentum: float = 0.85,
        ns_steps: int = 3,
        weight_decay: float | None = None,
        name: str = "conv_muon",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, name=name, **kwargs
        )
        for value, what in ((momentum, "momentum"), (sgd_momentum, "sgd_momentum")):
            if not 0 <= value < 1:
                raise TfnoteError(f"{what} must be in [0, 1) (got {value})")
        self.momentum = momentum
        self.sgd_ratio = sgd_ratio
        self.sgd_momentum = sgd_momentum
        self.ns_steps = ns_steps

    def build(self, variables) -> None:
        if self.built:
            return
        super().build(variables)
        self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable, learning_rate) -> None:
        m = self.momentums[self._get_variable_index(variable)]
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        if len(variable.shape) == 4:  # (kh, kw, in, out): a convolution kernel
            self.assign(m, self.momentum * m + gradient)
            nesterov = gradient + self.momentum * m
            out = variable.shape[-1]
            update = orthogonalize(ops.reshape(nesterov, (-1, out)), self.ns_steps)
            norm = ops.sqrt(ops.sum(variable * variable))
            rescaled = variable * (out**0.5 / (norm + 1e-12))
            self.assign(variable, rescaled - lr * ops.reshape(update, variable.shape))
        else:  # Keras SGD's Nesterov step: m = mu m - lr g; w += mu m - lr g
            step = lr * self.sgd_ratio * gradient
            self.assign(m, self.sgd_momentum * m - step)
            self.assign_add(variable, self.sgd_momentum * m - step)

    def _apply_weight_decay(self, variables) -> None:
        super()._apply_weight_decay([v for v in variables if len(v.shape) != 4])

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "sgd_ratio": self.sgd_ratio,
            "sgd_momentum": self.sgd_momentum,
            "ns_steps": self.ns_steps,
        }
