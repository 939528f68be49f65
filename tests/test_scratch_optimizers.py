"""Each hand-written optimizer against Keras's built-in one: same start, same batches.

The safe forms (with epsilon) follow Keras's formulas; SGDM maps onto Keras's momentum SGD
with learning_rate = lr * (1 - beta). After 60 steps on the iris batches the weights must
agree to a relative difference of 1e-5.
"""

from __future__ import annotations

import numpy as np
import pytest

from tfnote.scratch import optimizers as ours

LR = 0.1
STEPS = 60


def _cases(keras):
    eps = ours.SAFE_EPSILON
    return {
        "sgd": (ours.SGD(LR), keras.optimizers.SGD(learning_rate=LR)),
        "sgdm": (
            ours.SGDM(LR, beta=0.9),
            keras.optimizers.SGD(learning_rate=LR * (1 - 0.9), momentum=0.9),
        ),
        "adagrad": (
            ours.Adagrad(LR, epsilon=eps, initial_accumulator_value=0.0),
            keras.optimizers.Adagrad(learning_rate=LR, initial_accumulator_value=0.0, epsilon=eps),
        ),
        "adagrad-v0": (
            ours.Adagrad(LR, epsilon=eps, initial_accumulator_value=0.1),
            keras.optimizers.Adagrad(learning_rate=LR),
        ),
        "rmsprop": (
            ours.RMSProp(LR, beta=0.9, epsilon=eps),
            keras.optimizers.RMSprop(learning_rate=LR, rho=0.9, epsilon=eps),
        ),
        "adam": (
            ours.Adam(LR, beta1=0.9, beta2=0.999, epsilon=eps),
            keras.optimizers.Adam(learning_rate=LR, beta_1=0.9, beta_2=0.999, epsilon=eps),
        ),
    }


def _iris_batches(tf):
    from tfnote.scratch.iris import iris_data

    x, y, _, _ = iris_data()
    return [(tf.constant(x[i : i + 32]), tf.one_hot(y[i : i + 32], 3)) for i in range(0, 120, 32)]


@pytest.mark.parametrize("name", ["sgd", "sgdm", "adagrad", "adagrad-v0", "rmsprop", "adam"])
def test_matches_keras(name):
    from tfnote import _tf
    from tfnote.scratch.iris import initial_weights

    tf, keras = _tf.load()
    mine, theirs = _cases(keras)[name]
    batches = _iris_batches(tf)
    a = list(initial_weights())
    b = [tf.Variable(v) for v in a]  # the same starting values, separate variables
    mine.build(a)

    def grads(variables, x, y):
        w, bias = variables
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(y - tf.nn.softmax(x @ w + bias)))
        return tape.gradient(loss, variables)

    for step in range(STEPS):
        x, y = batches[step % len(batches)]
        mine.apply(grads(a, x, y), a)
        theirs.apply_gradients(zip(grads(b, x, y), b))
    moved = max(float(np.abs(v.numpy() - w.numpy()).max()) for v, w in zip(a, initial_weights()))
    assert moved > 0.05  # the weights really trained
    for va, vb in zip(a, b):
        va, vb = va.numpy(), vb.numpy()
        rel = np.abs(va - vb).max() / np.abs(vb).max()
        assert rel <= 1e-5, f"{name}: relative difference {rel:.2e}"


def test_course_form_adam_equals_the_courses_formula():
    """Our eps=0 Adam (Keras's order of operations) is the course's bias-corrected form."""
    from tfnote import _tf
    from tfnote.scratch.iris import initial_weights

    tf, _ = _tf.load()
    batches = _iris_batches(tf)
    a = list(initial_weights())
    b = [tf.Variable(v) for v in a]
    adam = ours.Adam(LR)
    adam.build(a)
    m = [0, 0]
    v = [0, 0]
    for step in range(1, STEPS + 1):
        x, y = batches[(step - 1) % len(batches)]
        for variables in (a, b):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(y - tf.nn.softmax(x @ variables[0] + variables[1])))
            g = tape.gradient(loss, variables)
            if variables is a:
                adam.apply(g, a)
                continue
            for i in range(2):  # the course's lines, verbatim in spirit
                m[i] = 0.9 * m[i] + 0.1 * g[i]
                v[i] = 0.999 * v[i] + 0.001 * tf.square(g[i])
                m_hat = m[i] / (1 - tf.pow(0.9, step))
                v_hat = v[i] / (1 - tf.pow(0.999, step))
                b[i].assign_sub(LR * m_hat / tf.sqrt(v_hat))
    for va, vb in zip(a, b):
        rel = np.abs(va.numpy() - vb.numpy()).max() / np.abs(vb.numpy()).max()
        assert rel <= 1e-5, rel


def test_unknown_name_and_bad_lr():
    from tfnote.errors import TfnoteError

    with pytest.raises(TfnoteError, match="unknown optimizer"):
        ours.make_optimizer("lion", 0.1)
    with pytest.raises(TfnoteError, match="positive"):
        ours.make_optimizer("adam", -1)
    assert ours.parse_names("all") == ["sgd", "sgdm", "adagrad", "rmsprop", "adam"]
    assert ours.make_optimizer("ADAM", 0.1, safe=True).epsilon == ours.SAFE_EPSILON
