"""
Title: Class 1 - tensors, back-propagation and an iris classifier from scratch
Course: "AI Practice: TensorFlow Notes" (PKU), class 1: p17-p41 (tensor basics),
        p13_backpropagation, p43_datasets.load_iris, p45_iris
Description: TensorFlow's building blocks, gradient descent on a single weight, then a
one-layer network for iris written with nothing but variables and a GradientTape.

No Keras here: class 1 shows what Keras does for you later (class 3's 六步法).

    python examples/class1_tensors.py                      # the course's settings
    python examples/class1_tensors.py --epochs 100         # a shorter iris run
    python examples/class1_tensors.py --out runs/class1    # where the figure goes
"""

import argparse
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn import datasets

from tfnote import _tf

# TensorFlow and Keras, imported without TensorFlow's C++ start-up log lines (oneDNN,
# CPU features), as the tfnote command does
tf, _ = _tf.load()

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
parser.add_argument("--epochs", type=int, default=500, help="iris epochs (course: 500)")
parser.add_argument("--lr", type=float, default=0.1, help="iris learning rate (course: 0.1)")
parser.add_argument("--out", default="runs/class1", help="folder for the iris curves")
args = parser.parse_args()
np.set_printoptions(precision=4, suppress=True)

"""
## Tensor basics (p17-p41)

A tensor is an n-dimensional array with a dtype and a shape; it lives where TensorFlow
computes (CPU or GPU). Scalars are rank 0, vectors rank 1, matrices rank 2.
"""

a = tf.constant([1, 5], dtype=tf.int64)  # p17: from Python values
print("constant:", a, "shape", a.shape, "dtype", a.dtype.name)
b = tf.convert_to_tensor(np.arange(0, 5))  # p18: from a NumPy array
print("from numpy:", b.numpy())

print("zeros:", tf.zeros([2, 3]).numpy())  # p19: filled tensors
print("ones:", tf.ones(4).numpy())
print("fill:", tf.fill([2, 2], 9).numpy())

# p21/p22: random tensors. truncated_normal redraws anything beyond 2 standard deviations,
# so initial weights never start far out: the course's choice for w1 and b1 below.
print("normal:", tf.random.normal([2, 2], mean=0.5, stddev=1).numpy())
print("truncated normal:", tf.random.truncated_normal([2, 2], mean=0.5, stddev=1).numpy())
print("uniform [0, 1):", tf.random.uniform([2, 2], minval=0, maxval=1).numpy())

x1 = tf.constant([1.0, 2.0, 3.0], dtype=tf.float64)  # p23: cast and min/max
x2 = tf.cast(x1, tf.int32)
print("cast:", x2.numpy(), "min", tf.reduce_min(x2).numpy(), "max", tf.reduce_max(x2).numpy())

x = tf.constant([[1, 2, 3], [2, 2, 3]])  # p25: axis=0 goes down the columns, 1 along rows
print("mean:", tf.reduce_mean(x).numpy(), "sum of each row:", tf.reduce_sum(x, axis=1).numpy())

a, b = tf.ones([1, 3]), tf.fill([1, 3], 3.0)  # p29: elementwise; both need the same dtype
print("add", tf.add(a, b).numpy(), "subtract", tf.subtract(a, b).numpy())
print("multiply", tf.multiply(a, b).numpy(), "divide", tf.divide(b, a).numpy())
a = tf.fill([1, 2], 3.0)  # p30
print("square", tf.square(a).numpy(), "pow 3", tf.pow(a, 3).numpy(), "sqrt", tf.sqrt(a).numpy())
print("matmul [3,2]x[2,3]:", tf.matmul(tf.ones([3, 2]), tf.fill([2, 3], 3.0)).numpy())

# p33: pair features with labels; the training loop below reads batches from such a Dataset.
features, labels = tf.constant([12, 23, 10, 17]), tf.constant([0, 1, 1, 0])
for element in tf.data.Dataset.from_tensor_slices((features, labels)).take(2):
    print("from_tensor_slices element:", element[0].numpy(), element[1].numpy())

with tf.GradientTape() as tape:  # p34: record the computation, then ask for d(loss)/dw
    w = tf.Variable(tf.constant(3.0))
    loss = tf.pow(w, 2)
print("d(w^2)/dw at w=3:", tape.gradient(loss, w).numpy())

for i, element in enumerate(["one", "two", "three"]):  # p35: index and element
    print("enumerate:", i, element)

# p37: labels 0..2 as one-hot rows, the form the loss compares probabilities with.
print("one_hot:", tf.one_hot(tf.constant([1, 0, 2]), depth=3).numpy())
# p39: softmax turns any scores into probabilities (positive, summing to 1).
y = tf.nn.softmax(tf.constant([1.01, 2.01, -0.66]))
print("softmax:", y.numpy(), "sum", tf.reduce_sum(y).numpy())
w = tf.Variable(4)  # p40: a Variable changes in place; this is how weights get updated
w.assign_sub(1)
print("assign_sub: 4 - 1 =", w.numpy())
test = np.array([[1, 2, 3], [2, 3, 4], [5, 4, 3], [8, 7, 2]])  # p41: index of the largest
print("argmax per column:", tf.argmax(test, axis=0).numpy(), "per row:", tf.argmax(test, 1).numpy())

"""
## Back-propagation on one weight (p13_backpropagation)

loss = (w + 1)^2 is smallest at w = -1. Gradient descent repeats
w = w - lr * d(loss)/dw = w - 0.2 * 2 * (w + 1): each step removes 40% of the distance
to -1. Try lr 0.001 (crawls) or lr 0.999 (jumps across the minimum each step).
"""

w = tf.Variable(tf.constant(5, dtype=tf.float32))
lr = 0.2
for step in range(40):
    with tf.GradientTape() as tape:
        loss = tf.square(w + 1)
    grad = tape.gradient(loss, w)
    w.assign_sub(lr * grad)
    if step < 3 or step == 39:
        print(f"After {step} epoch,w is {w.numpy():f},loss is {loss.numpy():f}")
print(f"backprop: w after 40 steps = {w.numpy():.6f} (the minimum is at -1)")

"""
## Prepare the data (p43_datasets.load_iris)

150 flowers, 4 measurements each, 3 species. The course shuffles x and y separately with
the same seed (116), which keeps every flower with its label; a permutation does the same.
The first 120 train the network, the last 30 test it.
"""

iris = datasets.load_iris()
order = np.random.RandomState(116).permutation(len(iris.data))
x_data, y_data = iris.data[order], iris.target[order]
x_train, y_train = tf.cast(x_data[:-30], tf.float32), y_data[:-30]
x_test, y_test = tf.cast(x_data[-30:], tf.float32), y_data[-30:]
train_db = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(32)
# Read the 4 batches once: iterating a Dataset from Python costs about 5 ms a pass, more
# than the training itself (the course loops over train_db directly, which works too).
train_batches = list(train_db)

"""
## Build the model (p45_iris)

One dense layer: 4 inputs -> 3 outputs, y = softmax(x @ w1 + b1). The seeds are the
course's, so the run repeats its numbers.
"""

tf.random.set_seed(116)
w1 = tf.Variable(tf.random.truncated_normal([4, 3], stddev=0.1, seed=1))
b1 = tf.Variable(tf.random.truncated_normal([3], stddev=0.1, seed=1))

"""
## Train

For each batch: forward pass under the tape, loss = mean squared error between the
probabilities and the one-hot labels, gradients, then w -= lr * gradient.
"""


# tf.function traces the step into a graph once; later calls skip Python's per-op cost,
# about 10x faster here. Delete the line to run it eagerly (and print inside it).
@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        probs = tf.nn.softmax(tf.matmul(x, w1) + b1)
        loss = tf.reduce_mean(tf.square(tf.one_hot(y, depth=3) - probs))
    grads = tape.gradient(loss, [w1, b1])
    w1.assign_sub(args.lr * grads[0])
    b1.assign_sub(args.lr * grads[1])
    return loss


def test_accuracy():
    # The 30 test flowers fit in one batch. argmax picks the most probable class.
    pred = tf.argmax(tf.nn.softmax(tf.matmul(x_test, w1) + b1), axis=1)
    correct = tf.reduce_sum(tf.cast(tf.equal(pred, y_test), tf.int32))
    return int(correct) / len(y_test)


train_loss, test_acc = [], []
start = time.perf_counter()
for epoch in range(args.epochs):
    batch_losses = [float(train_step(x, y)) for x, y in train_batches]
    train_loss.append(sum(batch_losses) / len(batch_losses))  # epoch loss: mean of batches
    test_acc.append(test_accuracy())
    if epoch % 100 == 0 or epoch == args.epochs - 1:
        print(f"Epoch {epoch}, loss: {train_loss[-1]:.4f}, test_acc: {test_acc[-1]:.4f}")
print(f"iris: {args.epochs} epochs in {time.perf_counter() - start:.1f} s")

"""
## Evaluate

The course's two curves: training loss falls, test accuracy climbs to 1.0.
"""

out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
left.plot(train_loss, label="$Loss$")
left.set(title="Loss Function Curve", xlabel="Epoch", ylabel="Loss")
right.plot(test_acc, label="$Accuracy$", color="tab:orange")
right.set(title="Acc Curve", xlabel="Epoch", ylabel="Acc")
fig.savefig(out / "iris_curves.png")
print(f"w1 =\n{w1.numpy()}\nb1 = {b1.numpy()}")
print(f"curves: {out / 'iris_curves.png'}")
print(f"iris test accuracy: {test_acc[-1]:.4f}")
