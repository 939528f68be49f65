"""The five optimizers of class 2, written out as explicit update rules.

Every optimizer has the same two-part shape as Keras's own (`keras/src/optimizers/adam.py`):
`build(variables)` creates the state it remembers between steps (momentum, squared-gradient
sums, a step counter), and `apply(grads, variables)` is the math of one step in a few lines.

Notation: w is a weight, g its gradient, lr the learning rate, t the step number (1, 2, ...).

Course form and safe form: the course divides by sqrt(v) with no epsilon, so a gradient that
is exactly zero from the first step gives 0/0. `epsilon=0.0` (the default) is the course form;
`safe=True` in `make_optimizer` adds epsilon = 1e-7 where Keras adds it, so the safe forms
agree with `keras.optimizers.*` step for step (tests/test_scratch_optimizers.py checks this).
"""

from __future__ import annotations

from tfnote.errors import TfnoteError

SAFE_EPSILON = 1e-7  # Keras's default epsilon


class SGD:
    """Plain gradient descent: w = w - lr * g.

    Keras: `keras.optimizers.SGD(learning_rate=lr)`.
    """

    def __init__(self, lr: float):
        self.lr = lr

    def build(self, variables: list) -> None:
        """SGD remembers nothing between steps."""

    def apply(self, grads: list, variables: list) -> None:
        for w, g in zip(variables, grads):
            w.assign_sub(self.lr * g)


class SGDM:
    """SGD with momentum, the course's form: m = beta * m + (1 - beta) * g;  w = w - lr * m.

    m is an exponential moving average of the gradients (first moment), starting at 0.

    Keras writes momentum differently: v = momentum * v - lr_k * g;  w = w + v. The two are
    the same rule when momentum = beta and lr_k = lr * (1 - beta) (then v = -lr * m), so
    `keras.optimizers.SGD(learning_rate=lr * (1 - beta), momentum=beta)` matches this class.
    """

    def __init__(self, lr: float, beta: float = 0.9):
        self.lr, self.beta = lr, beta

    def build(self, variables: list) -> None:
        self.m = [_zeros_like(w) for w in variables]

    def apply(self, grads: list, variables: list) -> None:
        for w, g, m in zip(variables, grads, self.m):
            m.assign(self.beta * m + (1 - self.beta) * g)
            w.assign_sub(self.lr * m)


class Adagrad:
    """Adagrad: v = v + g^2;  w = w - lr * g / sqrt(v + epsilon).

    v sums every squared gradient so far (second moment, no forgetting), so the step of a
    weight shrinks as its gradients pile up. The course starts v at 0 with epsilon 0.
    Keras: `keras.optimizers.Adagrad(learning_rate=lr, initial_accumulator_value=v0,
    epsilon=epsilon)` (its defaults are v0 = 0.1, epsilon = 1e-7).
    """

    def __init__(self, lr: float, epsilon: float = 0.0, initial_accumulator_value: float = 0.0):
        self.lr, self.epsilon, self.v0 = lr, epsilon, initial_accumulator_value

    def build(self, variables: list) -> None:
        self.v = [_zeros_like(w, self.v0) for w in variables]

    def apply(self, grads: list, variables: list) -> None:
        tf = _tf()
        for w, g, v in zip(variables, grads, self.v):
            v.assign_add(tf.square(g))
            w.assign_sub(self.lr * g / tf.sqrt(v + self.epsilon))


class RMSProp:
    """RMSProp: v = beta * v + (1 - beta) * g^2;  w = w - lr * g / sqrt(v + epsilon).

    Like Adagrad, but v is a moving average, so old gradients are forgotten.
    Keras: `keras.optimizers.RMSprop(learning_rate=lr, rho=beta, epsilon=epsilon)`.
    """

    def __init__(self, lr: float, beta: float = 0.9, epsilon: float = 0.0):
        self.lr, self.beta, self.epsilon = lr, beta, epsilon

    def build(self, variables: list) -> None:
        self.v = [_zeros_like(w) for w in variables]

    def apply(self, grads: list, variables: list) -> None:
        tf = _tf()
        for w, g, v in zip(variables, grads, self.v):
            v.assign(self.beta * v + (1 - self.beta) * tf.square(g))
            w.assign_sub(self.lr * g / tf.sqrt(v + self.epsilon))


class Adam:
    """Adam: SGDM's first moment plus RMSProp's second moment, both bias-corrected.

        m = beta1 * m + (1 - beta1) * g            m_hat = m / (1 - beta1^t)
        v = beta2 * v + (1 - beta2) * g^2          v_hat = v / (1 - beta2^t)
        w = w - lr * m_hat / sqrt(v_hat)           (the course's form)

    t counts steps (the course's `global_step`, one per batch). The bias correction undoes
    the pull toward the zero start of m and v during the first steps.

    We compute the same step as lr_t * m / (sqrt(v) + epsilon) with
    lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t), the cheaper order given in the Adam paper
    (Kingma & Ba, 2015, section 2) and used by Keras; with epsilon = 0 it equals the course's
    form exactly. Keras: `keras.optimizers.Adam(learning_rate=lr, beta_1=beta1,
    beta_2=beta2, epsilon=epsilon)`.
    """

    def __init__(self, lr: float, beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 0.0):
        self.lr, self.beta1, self.beta2, self.epsilon = lr, beta1, beta2, epsilon

    def build(self, variables: list) -> None:
        tf = _tf()
        self.t = tf.Variable(0.0, trainable=False)
        self.m = [_zeros_like(w) for w in variables]
        self.v = [_zeros_like(w) for w in variables]

    def apply(self, grads: list, variables: list) -> None:
        tf = _tf()
        self.t.assign_add(1.0)
        lr_t = self.lr * tf.sqrt(1 - self.beta2**self.t) / (1 - self.beta1**self.t)
        for w, g, m, v in zip(variables, grads, self.m, self.v):
            m.assign(self.beta1 * m + (1 - self.beta1) * g)
            v.assign(self.beta2 * v + (1 - self.beta2) * tf.square(g))
            w.assign_sub(lr_t * m / (tf.sqrt(v) + self.epsilon))


OPTIMIZERS = {"sgd": SGD, "sgdm": SGDM, "adagrad": Adagrad, "rmsprop": RMSProp, "adam": Adam}


def make_optimizer(name: str, lr: float, safe: bool = False):
    """The optimizer called `name` (sgd, sgdm, adagrad, rmsprop, adam) with the course's settings.

    `safe=True` adds epsilon = 1e-7 (Keras's default) to the divisions.
    """
    key = name.lower()
    if key not in OPTIMIZERS:
        raise TfnoteError(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")
    check_lr(lr)
    if key in ("sgd", "sgdm"):
        return OPTIMIZERS[key](lr)
    return OPTIMIZERS[key](lr, epsilon=SAFE_EPSILON if safe else 0.0)


def parse_names(text: str) -> list[str]:
    """'sgd,adam' -> ['sgd', 'adam'], checking every name; 'all' -> all five."""
    if text.strip().lower() == "all":
        return list(OPTIMIZERS)
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not names:
        raise TfnoteError("no optimizer named; choose from " + ", ".join(OPTIMIZERS))
    for name in names:
        if name not in OPTIMIZERS:
            raise TfnoteError(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")
    return names


def check_lr(lr: float) -> None:
    if not lr > 0:
        raise TfnoteError(f"learning rate must be positive, got {lr}")


def _tf():
    from tfnote import _tf as tf_loader

    return tf_loader.load()[0]


def _zeros_like(w, value: float = 0.0):
    """A non-trainable variable shaped like `w`, filled with `value` (optimizer state)."""
    tf = _tf()
    return tf.Variable(tf.fill(tf.shape(w), tf.cast(value, w.dtype)), trainable=False)
