"""
Title: Class 2 - learning rate, activations, losses, regularization and five optimizers
Course: "AI Practice: TensorFlow Notes" (PKU), class 2: p4_where, p5_RandomState,
        p6_vstack, p7_mgrid, p10_backpropagation_decaylr, p19_mse, p20_custom, p22_ce,
        p23_softmaxce, p29_regularizationfree / p29_regularizationcontain, p32_sgd,
        p34_sgdm, p36_adagrad, p38_rmsprop, p40_adam
Description: what makes training work - the learning rate, the activation, the loss, L2
regularization and the optimizer - each shown with raw TensorFlow.

    python examples/class2_optimization.py                          # the course's settings
    python examples/class2_optimization.py --data-dir FOLDER            # FOLDER/dot.csv
    python examples/class2_optimization.py --epochs 100 --loss-epochs 3000 --reg-epochs 100

dot.csv (the regularization data) is looked for in --data-dir, else in the current folder,
$TFNOTE_DATA and the Keras cache (~/.keras/datasets); without it that part is skipped.
"""

import argparse
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn import datasets

import tfnote
from tfnote import _tf
from tfnote.data.locate import find_file

# TensorFlow and Keras, imported without TensorFlow's C++ start-up log lines (oneDNN,
# CPU features), as the tfnote command does
tf, _ = _tf.load()

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
parser.add_argument("--epochs", type=int, default=500, help="optimizer comparison (course: 500)")
parser.add_argument("--lr", type=float, default=0.1, help="optimizer comparison lr (course: 0.1)")
parser.add_argument("--loss-epochs", type=int, help="yogurt epochs (course: 15000 MSE, 10000 own)")
parser.add_argument("--reg-epochs", type=int, default=400, help="dot.csv epochs (course: 400)")
parser.add_argument("--epsilon", type=float, default=0.0, help="added to sqrt(v) (course: 0)")
parser.add_argument("--data-dir", help="folder holding dot.csv (default: see above)")
parser.add_argument("--out", default="runs/class2", help="folder for the figures")
args = parser.parse_args()
np.set_printoptions(precision=4, suppress=True)
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)

"""
## Four helpers (p4-p7)
"""

a = tf.constant([1, 2, 3, 1, 1])
b = tf.constant([0, 1, 3, 4, 5])
print("where(a > b, a, b):", tf.where(tf.greater(a, b), a, b).numpy())  # elementwise choice
rdm = np.random.RandomState(seed=1)  # a random generator of its own: same numbers each run
print("RandomState(1).rand(2, 3):\n", rdm.rand(2, 3))
print("vstack:\n", np.vstack((np.array([1, 2, 3]), np.array([4, 5, 6]))))  # stack as rows
x, y = np.mgrid[1:3:1, 2:4:0.5]  # a grid: x from 1 to 3 step 1, y from 2 to 4 step 0.5
print("mgrid points (c_[x.ravel(), y.ravel()]):\n", np.c_[x.ravel(), y.ravel()])

"""
## Exponential learning-rate decay (p10_backpropagation_decaylr)

A big lr moves fast at first, a small one settles precisely; decay gets both:
lr = 0.2 * 0.99^(epoch / 1) on class 1's loss (w + 1)^2.
"""

w = tf.Variable(tf.constant(5, dtype=tf.float32))
for epoch in range(40):
    lr = 0.2 * 0.99 ** (epoch / 1)
    with tf.GradientTape() as tape:
        loss = tf.square(w + 1)
    w.assign_sub(lr * tape.gradient(loss, w))
print(f"lr decay: after 40 epochs w = {w.numpy():.6f}, lr = {lr:.6f}")

"""
## Activation functions

sigmoid's slope is at most 0.25, so each sigmoid layer shrinks the gradient passed back
at least 4x: deep sigmoid nets stop learning (vanishing gradients). Beginners: use ReLU
first, zero-mean inputs, small initial weights (truncated normal), a small lr (a large
step can push a ReLU's input below 0 for every sample: a "dead" neuron).
"""

z = tf.constant([-3.0, -1.0, 0.0, 1.0, 3.0])
with tf.GradientTape() as tape:
    tape.watch(z)
    s = tf.nn.sigmoid(z)
print("z          ", z.numpy())
print("sigmoid    ", s.numpy(), " slope:", tape.gradient(s, z).numpy())
print("tanh       ", tf.nn.tanh(z).numpy())
print("relu       ", tf.nn.relu(z).numpy())
print("leaky relu ", tf.nn.leaky_relu(z, alpha=0.2).numpy())
print("softmax    ", tf.nn.softmax(z).numpy())

"""
## Losses: MSE and a cost-sensitive one (p19_mse, p20_custom)

Yogurt sales: y_ = x1 + x2 + noise. MSE fits w near [1, 1]. But one yogurt costs 1 to
make and earns 99 when sold, so predicting too few loses far more than predicting too
many: the custom loss weighs the two errors 99 : 1 and the fitted weights lean above 1.
"""

rdm = np.random.RandomState(seed=23455)
x = rdm.rand(32, 2)
y_ = np.array([[x1 + x2 + (rdm.rand() / 10.0 - 0.05)] for (x1, x2) in x], dtype="float32")
x = tf.cast(x, dtype=tf.float32)
COST, PROFIT = 1, 99


def mse(y_, y):
    return tf.reduce_mean(tf.square(y_ - y))


def cost_sensitive(y_, y):  # too many: COST per yogurt; too few: PROFIT lost per yogurt
    return tf.reduce_sum(tf.where(tf.greater(y, y_), (y - y_) * COST, (y_ - y) * PROFIT))


def fit_sales(loss_fn, epochs):
    tf.random.set_seed(1)
    w1 = tf.Variable(tf.random.normal([2, 1], stddev=1, seed=1))

    @tf.function  # one graph for the step: 15000 steps take seconds instead of a minute
    def step():
        with tf.GradientTape() as tape:
            loss = loss_fn(y_, tf.matmul(x, w1))
        w1.assign_sub(0.002 * tape.gradient(loss, w1))

    for _ in range(epochs):
        step()
    return w1.numpy().ravel()


print("yogurt, MSE:        w1 =", fit_sales(mse, args.loss_epochs or 15000))
print("yogurt, own loss:   w1 =", fit_sales(cost_sensitive, args.loss_epochs or 10000))

"""
## Cross entropy (p22_ce, p23_softmaxce)

H(y_, y) = -sum(y_ * ln y): the closer the predicted distribution to the label, the
smaller. [0.8, 0.2] is nearer to [1, 0] than [0.6, 0.4]. For scores (logits), softmax
then cross entropy equals the fused, numerically safer softmax_cross_entropy_with_logits.
"""

print("CE([1,0], [0.6,0.4]) =", tf.losses.categorical_crossentropy([1, 0], [0.6, 0.4]).numpy())
print("CE([1,0], [0.8,0.2]) =", tf.losses.categorical_crossentropy([1, 0], [0.8, 0.2]).numpy())
labels = tf.one_hot([0, 1, 2, 2, 0, 1], depth=3)
logits = tf.constant([[12, 3, 2], [3, 10, 1], [1, 2, 5], [4, 6.5, 1.2], [3, 6, 1], [2, 5, 1]])
two_steps = tf.losses.categorical_crossentropy(labels, tf.nn.softmax(logits))
fused = tf.nn.softmax_cross_entropy_with_logits(labels, logits)
print("softmax then CE:", two_steps.numpy())
print("fused op:       ", fused.numpy())

"""
## L2 regularization (p29_regularizationfree / p29_regularizationcontain)

A 2-11-1 ReLU net separates red from blue points. Without regularization its weights grow
to bend the boundary around single points (over-fitting); adding 0.03 * sum(l2_loss(w))
to the loss keeps the weights small and the boundary smooth.
"""

try:
    dot_csv = find_file("dot.csv", args.data_dir, "pass --data-dir", current_folder=True)
except tfnote.TfnoteError as e:
    dot_csv = None
    print(f"skipping regularization: {e}")


def fit_dots(x_train, y_train, l2, epochs):
    """The 2-11-1 net trained by SGD (lr 0.01, batch 32) on MSE + l2 * sum(l2_loss(w))."""
    tf.random.set_seed(1)
    w1 = tf.Variable(tf.random.normal([2, 11]))
    b1 = tf.Variable(tf.constant(0.01, shape=[11]))
    w2 = tf.Variable(tf.random.normal([11, 1]))
    b2 = tf.Variable(tf.constant(0.01, shape=[1]))
    variables = [w1, b1, w2, b2]

    def forward(x):
        return tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2) + b2

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(y - forward(x)))
            loss += l2 * tf.reduce_sum([tf.nn.l2_loss(w1), tf.nn.l2_loss(w2)])
        grads = tape.gradient(loss, variables)
        for v, g in zip(variables, grads):
            v.assign_sub(0.01 * g)
        return loss

    batches = list(tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(32))
    for _ in range(epochs):
        loss = np.mean([float(step(x, y)) for x, y in batches])
    size = float(tf.reduce_sum(w1**2) + tf.reduce_sum(w2**2))
    return forward, loss, size


if dot_csv:
    df = pd.read_csv(dot_csv)
    x_train = np.vstack(df[["x1", "x2"]].values).reshape(-1, 2).astype("float32")
    y_train = np.vstack(df["y_c"].values).reshape(-1, 1).astype("float32")
    xx, yy = np.mgrid[-3:3:0.1, -3:3:0.1]  # every point of the plane we draw
    grid = np.c_[xx.ravel(), yy.ravel()].astype("float32")
    fig, axes = plt.subplots(1, 2, figsize=(11, 5))
    for ax, l2 in zip(axes, [0.0, 0.03]):
        forward, loss, size = fit_dots(x_train, y_train, l2, args.reg_epochs)
        name = f"with L2 {l2}" if l2 else "no regularization"
        print(f"dot.csv, {name}: loss {loss:.4f}, sum of squared weights {size:.1f}")
        ax.scatter(x_train[:, 0], x_train[:, 1], c=np.where(y_train[:, 0] > 0.5, "red", "blue"))
        ax.contour(xx, yy, forward(grid).numpy().reshape(xx.shape), levels=[0.5])  # y = 0.5
        ax.set_title(name)
    fig.savefig(out / "regularization.png")
    print("regularization figure:", out / "regularization.png")

"""
## Five optimizers by hand (p32_sgd ... p40_adam)

Class 1's iris network, trained with each update rule written out. g is the gradient,
t the step (global_step). The course adds nothing to sqrt(v). Then, once the softmax
saturates, a gradient can be exactly 0 step after step; RMSProp's v decays to 0 as well
and g / sqrt(v) = 0 / 0 = nan, which poisons the weights. Keras adds epsilon = 1e-7
(try --epsilon 1e-7).
"""

iris = datasets.load_iris()
order = np.random.RandomState(116).permutation(len(iris.data))
x_data, y_data = iris.data[order].astype("float32"), iris.target[order]
x_test, y_test = x_data[-30:], y_data[-30:]
train_batches = list(tf.data.Dataset.from_tensor_slices((x_data[:-30], y_data[:-30])).batch(32))


def train_iris(optimizer, lr, epochs, eps=0.0, beta=0.9, beta1=0.9, beta2=0.999):
    tf.random.set_seed(116)  # the same starting weights for every optimizer
    w1 = tf.Variable(tf.random.truncated_normal([4, 3], stddev=0.1, seed=1))
    b1 = tf.Variable(tf.random.truncated_normal([3], stddev=0.1, seed=1))
    variables = [w1, b1]
    ms = [tf.Variable(tf.zeros_like(v)) for v in variables]  # first moments (momentum)
    vs = [tf.Variable(tf.zeros_like(v)) for v in variables]  # second moments
    t = tf.Variable(0.0)  # global_step, for Adam's bias correction

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            probs = tf.nn.softmax(tf.matmul(x, w1) + b1)
            loss = tf.reduce_mean(tf.square(tf.one_hot(y, depth=3) - probs))
        grads = tape.gradient(loss, variables)
        t.assign_add(1.0)
        for w, g, m, v in zip(variables, grads, ms, vs):
            if optimizer == "SGD":  # w -= lr * g
                w.assign_sub(lr * g)
            elif optimizer == "SGDM":  # momentum: a moving average of the gradients
                m.assign(beta * m + (1 - beta) * g)
                w.assign_sub(lr * m)
            elif optimizer == "Adagrad":  # step shrinks as squared gradients pile up
                v.assign_add(tf.square(g))
                w.assign_sub(lr * g / (tf.sqrt(v) + eps))
            elif optimizer == "RMSProp":  # like Adagrad, but old gradients are forgotten
                v.assign(beta * v + (1 - beta) * tf.square(g))
                w.assign_sub(lr * g / (tf.sqrt(v) + eps))
            elif optimizer == "Adam":  # SGDM's m and RMSProp's v, both bias-corrected
                m.assign(beta1 * m + (1 - beta1) * g)
                v.assign(beta2 * v + (1 - beta2) * tf.square(g))
                m_hat = m / (1 - beta1**t)
                v_hat = v / (1 - beta2**t)
                w.assign_sub(lr * m_hat / (tf.sqrt(v_hat) + eps))
        return loss

    losses, accuracies = [], []
    start = time.perf_counter()
    for _ in range(epochs):
        losses.append(np.mean([float(train_step(x, y)) for x, y in train_batches]))
        pred = tf.argmax(tf.matmul(x_test, w1) + b1, axis=1)
        accuracies.append(float(np.mean(pred.numpy() == y_test)))
    return losses, accuracies, time.perf_counter() - start


fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
print(f"iris, lr {args.lr}, {args.epochs} epochs, batch 32:")
print("optimizer  final loss  test acc  seconds")
for name in ["SGD", "SGDM", "Adagrad", "RMSProp", "Adam"]:
    losses, accuracies, seconds = train_iris(name, args.lr, args.epochs, args.epsilon)
    note = "  <- nan: 0/0 (see above)" if np.isnan(losses[-1]) else ""
    print(f"{name:9}  {losses[-1]:10.4f}  {accuracies[-1]:8.4f}  {seconds:7.2f}{note}")
    left.plot(losses, label=name)
    right.plot(accuracies, label=name)
left.set(title="Loss Function Curve", xlabel="Epoch", ylabel="Loss")
right.set(title="Acc Curve", xlabel="Epoch", ylabel="Acc")
left.legend()
right.legend()
fig.savefig(out / "optimizers.png")
print("optimizer curves:", out / "optimizers.png")
