# %% [markdown]
# # 第二讲：神经网络优化 Class 2: what makes training work
#
# "AI Practice: TensorFlow Notes" (PKU), class 2: `p4_where` ... `p7_mgrid`,
# `p10_backpropagation_decaylr`, `p19_mse`, `p20_custom`, `p22_ce`, `p23_softmaxce`,
# `p29_regularizationfree` / `p29_regularizationcontain`, `p32_sgd`, `p34_sgdm`,
# `p36_adagrad`, `p38_rmsprop`, `p40_adam`.
#
# 学习率、激活函数、损失函数、正则化与优化器，每一样都用原生 TensorFlow 写出来。The learning
# rate, the activation function, the loss, L2 regularization and the optimizer, each
# written out in raw TensorFlow.

# %%
# TensorFlow prints C++ start-up notices (oneDNN, absl) when it loads: load it quietly.
# TensorFlow 加载时会打印 C++ 启动信息（oneDNN、absl）：先安静地加载它。
from tfnote.notebook import quiet_tensorflow

quiet_tensorflow()

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import tensorflow as tf
from sklearn import datasets

import tfnote
from tfnote.data.locate import find_file
from tfnote.notebook import quick

QUICK = quick()  # TFNOTE_QUICK=1: a short run for CI; the course's settings otherwise
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. 四个工具函数 Four helpers (p4–p7)
#
# `tf.where` 逐元素选择，`RandomState` 给出可复现的随机数，`vstack` 按行堆叠，`mgrid` 生成网格点
# （第 4 节画决策边界要用）。Elementwise choice, a seeded random generator, stacking rows,
# and a grid of points (used to draw the decision boundary in section 4).

# %%
a = tf.constant([1, 2, 3, 1, 1])
b = tf.constant([0, 1, 3, 4, 5])
print("where(a > b, a, b):", tf.where(tf.greater(a, b), a, b).numpy())
print("RandomState(1).rand(2, 3):\n", np.random.RandomState(seed=1).rand(2, 3))
print("vstack:\n", np.vstack((np.array([1, 2, 3]), np.array([4, 5, 6]))))
x, y = np.mgrid[1:3:1, 2:4:0.5]
print("mgrid points:\n", np.c_[x.ravel(), y.ravel()])

# %% [markdown]
# ## 2. 学习率指数衰减 Exponential learning-rate decay (p10_backpropagation_decaylr)
#
# 大的学习率起步快，小的学习率收敛准；指数衰减兼得二者：lr = 0.2 × 0.99^(epoch / 1)。
# A large learning rate moves fast, a small one settles precisely; decay gets both. Below,
# class 1's loss (w + 1)² with fixed and decaying rates; try another `DECAY`.

# %%
DECAY, STEPS = 0.99, 40  # the course: lr = 0.2 * 0.99^epoch, 40 epochs


def descend(base, decay):
    w = tf.Variable(tf.constant(5, dtype=tf.float32))
    path, rates = [5.0], []
    for epoch in range(STEPS):
        lr = base * decay ** (epoch / 1)
        with tf.GradientTape() as tape:
            loss = tf.square(w + 1)
        w.assign_sub(lr * tape.gradient(loss, w))
        path.append(float(w.numpy()))
        rates.append(lr)
    return path, rates


fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
# The course's 0.2, and a rate so large (0.95) that each step jumps across the minimum.
for base in [0.2, 0.95]:
    for decay in [1.0, DECAY]:
        path, rates = descend(base, decay)
        name = f"lr = {base}" + (f" x {decay}^epoch" if decay < 1 else "")
        left.plot(path, label=name, linestyle="-" if decay < 1 else ":")
        right.plot(rates, label=name, linestyle="-" if decay < 1 else ":")
        print(f"{name:24} after {STEPS} epochs: w = {path[-1]:+.6f}")
left.set(title="w (the minimum is at -1)", xlabel="epoch", ylim=(-4, 5.5))
right.set(title="learning rate", xlabel="epoch")
left.legend()
plt.show()

# %% [markdown]
# ## 3. 激活函数 Activation functions
#
# sigmoid 的导数最大只有 0.25，每经过一层 sigmoid，回传的梯度至少缩小 4 倍：深层网络会梯度消失。
# 初学者建议：首选 ReLU，输入零均值，初始权重小，学习率小（避免 ReLU 神经元"死亡"）。
# sigmoid's slope is at most 0.25, so each sigmoid layer shrinks the gradient passed back
# at least 4x: deep sigmoid networks stop learning (vanishing gradients). Beginners: ReLU
# first, zero-mean inputs, small initial weights, a small learning rate (dead ReLUs).

# %%
z = tf.linspace(-6.0, 6.0, 241)
functions = {
    "sigmoid": tf.nn.sigmoid,
    "tanh": tf.nn.tanh,
    "relu": tf.nn.relu,
    "leaky relu (0.2)": lambda v: tf.nn.leaky_relu(v, alpha=0.2),
}
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
for name, f in functions.items():
    with tf.GradientTape() as tape:
        tape.watch(z)
        out = f(z)
    left.plot(z, out, label=name)
    right.plot(z, tape.gradient(out, z), label=name)
left.set(title="activation f(z)", xlabel="z", ylim=(-1.5, 3))
right.set(title="derivative f'(z): sigmoid never above 0.25", xlabel="z")
left.legend()
right.legend()
plt.show()

# %% [markdown]
# ## 4. 损失函数 Losses: MSE and a cost-sensitive one (p19_mse, p20_custom)
#
# 酸奶日销量：y_ = x1 + x2 + 噪声。均方误差（MSE）拟合出的权重接近 [1, 1]。但酸奶成本 1 元、利润
# 99 元，少进货比多进货亏得多：自定义损失按 99 : 1 加权两种误差，拟合的权重都大于 1。
# Yogurt sales: y_ = x1 + x2 + noise. MSE fits w near [1, 1]; a yogurt costs 1 and earns
# 99, so predicting too few loses far more than too many: the custom loss weighs the two
# errors 99 : 1 and both weights lean above 1. Try `COST, PROFIT = 99, 1`.

# %%
COST, PROFIT = 1, 99
rdm = np.random.RandomState(seed=23455)
x = rdm.rand(32, 2)
y_ = np.array([[x1 + x2 + (rdm.rand() / 10.0 - 0.05)] for (x1, x2) in x], dtype="float32")
x = tf.cast(x, dtype=tf.float32)


def mse(y_, y):
    return tf.reduce_mean(tf.square(y_ - y))


def cost_sensitive(y_, y):  # too many: COST per yogurt; too few: PROFIT lost per yogurt
    return tf.reduce_sum(tf.where(tf.greater(y, y_), (y - y_) * COST, (y_ - y) * PROFIT))


def fit_sales(loss_fn, epochs):
    tf.random.set_seed(1)
    w1 = tf.Variable(tf.random.normal([2, 1], stddev=1, seed=1))

    @tf.function  # one graph for the step: 15000 steps take seconds, not a minute
    def step():
        with tf.GradientTape() as tape:
            loss = loss_fn(y_, tf.matmul(x, w1))
        w1.assign_sub(0.002 * tape.gradient(loss, w1))

    for _ in range(epochs):
        step()
    return w1.numpy().ravel()


print("MSE,      15000 epochs: w1 =", fit_sales(mse, 1500 if QUICK else 15000))
print("own loss, 10000 epochs: w1 =", fit_sales(cost_sensitive, 1000 if QUICK else 10000))

# %% [markdown]
# 交叉熵（cross entropy，p22、p23）：H(y_, y) = −Σ y_ · ln y，预测分布越接近标签越小。先 softmax 再算
# 交叉熵，与合并的 `softmax_cross_entropy_with_logits` 结果相同（后者数值更稳定）。The closer the
# predicted distribution to the label, the smaller H. softmax then cross entropy equals the
# fused op, which is numerically safer.

# %%
print("CE([1,0], [0.6,0.4]) =", tf.losses.categorical_crossentropy([1, 0], [0.6, 0.4]).numpy())
print("CE([1,0], [0.8,0.2]) =", tf.losses.categorical_crossentropy([1, 0], [0.8, 0.2]).numpy())
labels = tf.one_hot([0, 1, 2, 2, 0, 1], depth=3)
logits = tf.constant([[12, 3, 2], [3, 10, 1], [1, 2, 5], [4, 6.5, 1.2], [3, 6, 1], [2, 5, 1]])
print("softmax then CE:", tf.losses.categorical_crossentropy(labels, tf.nn.softmax(logits)).numpy())
print("fused op:       ", tf.nn.softmax_cross_entropy_with_logits(labels, logits).numpy())

# %% [markdown]
# ## 5. 正则化缓解过拟合 L2 regularization against overfitting (p29_regularizationfree / contain)
#
# 2-11-1 的 ReLU 网络区分红点和蓝点。不加正则化时，权重变大，边界绕着个别点弯曲（过拟合）；损失
# 加上 0.03 × Σ l2_loss(w) 后权重保持较小，边界平滑。A 2-11-1 ReLU network separates red
# from blue points. Without regularization its weights grow and the 0.5 boundary bends
# around single points (overfitting); adding 0.03 · Σ l2_loss(w) keeps it smooth.
#
# 数据是课程的 `dot.csv`（在 `TFNOTE_DATA`、当前文件夹或 Keras 缓存中查找）；找不到时按课程生成
# 它的方法重新生成（种子 2 的 300 个正态分布点，x1² + x2² < 2 为 1），结果完全相同。
# The data is the course's `dot.csv`; when it is not found, it is made again the way the
# course made it (300 normal points of seed 2, label 1 inside x1² + x2² < 2): the same numbers.

# %%
try:
    df = pd.read_csv(find_file("dot.csv", current_folder=True))
except tfnote.TfnoteError:
    points = np.random.RandomState(2).randn(300, 2)
    df = pd.DataFrame({"x1": points[:, 0], "x2": points[:, 1]})
    df["y_c"] = (df.x1**2 + df.x2**2 < 2).astype(int)
x_dots = df[["x1", "x2"]].to_numpy("float32")
y_dots = df[["y_c"]].to_numpy("float32")
REG_EPOCHS = 100 if QUICK else 400  # the course: 400


def fit_dots(l2, epochs=REG_EPOCHS):
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
        for v, g in zip(variables, tape.gradient(loss, variables)):
            v.assign_sub(0.01 * g)

    batches = list(tf.data.Dataset.from_tensor_slices((x_dots, y_dots)).batch(32))
    for _ in range(epochs):
        for xb, yb in batches:
            step(xb, yb)
    return forward, float(tf.reduce_sum(w1**2) + tf.reduce_sum(w2**2))


xx, yy = np.mgrid[-3:3:0.1, -3:3:0.1]  # every point of the plane we draw
grid = np.c_[xx.ravel(), yy.ravel()].astype("float32")
fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
for ax, l2 in zip(axes, [0.0, 0.03]):
    forward, size = fit_dots(l2)
    ax.scatter(x_dots[:, 0], x_dots[:, 1], c=np.where(y_dots[:, 0] > 0.5, "red", "blue"), s=12)
    ax.contour(xx, yy, forward(grid).numpy().reshape(xx.shape), levels=[0.5])
    ax.set_title(f"{'L2 ' + str(l2) if l2 else 'no regularization'}: sum of w^2 = {size:.0f}")
plt.show()

# %% [markdown]
# ## 6. 手写五种优化器 Five optimizers by hand (p32_sgd … p40_adam)
#
# 用第一讲的鸢尾花网络，分别用 SGD、SGDM（动量）、Adagrad、RMSProp、Adam 训练。g 是梯度，t 是步数。
# 课程不在 sqrt(v) 上加 ε：softmax 饱和后梯度可能一直为 0，RMSProp 的 v 也衰减到 0，出现 0/0 = nan；
# Keras 加 ε = 1e-7（试试 `EPSILON = 1e-7`）。Class 1's iris network trained with each update
# rule written out (g: the gradient, t: the step). The course adds no ε to sqrt(v); set
# `EPSILON = 1e-7` as Keras does if a run shows nan.

# %%
OPT_LR = 0.1
OPT_EPOCHS = 100 if QUICK else 500  # the course's template: lr 0.1, 500 epochs, batch 32
EPSILON = 0.0

iris = datasets.load_iris()
order = np.random.RandomState(116).permutation(len(iris.data))
x_iris, y_iris = iris.data[order].astype("float32"), iris.target[order]
x_test, y_test = x_iris[-30:], y_iris[-30:]
train_batches = list(tf.data.Dataset.from_tensor_slices((x_iris[:-30], y_iris[:-30])).batch(32))


def train_iris(
    optimizer, lr=OPT_LR, epochs=OPT_EPOCHS, eps=EPSILON, beta=0.9, beta1=0.9, beta2=0.999
):
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
            elif optimizer == "Adagrad":  # the step shrinks as squared gradients pile up
                v.assign_add(tf.square(g))
                w.assign_sub(lr * g / (tf.sqrt(v) + eps))
            elif optimizer == "RMSProp":  # like Adagrad, but old gradients are forgotten
                v.assign(beta * v + (1 - beta) * tf.square(g))
                w.assign_sub(lr * g / (tf.sqrt(v) + eps))
            elif optimizer == "Adam":  # SGDM's m and RMSProp's v, both bias-corrected
                m.assign(beta1 * m + (1 - beta1) * g)
                v.assign(beta2 * v + (1 - beta2) * tf.square(g))
                w.assign_sub(lr * (m / (1 - beta1**t)) / (tf.sqrt(v / (1 - beta2**t)) + eps))
        return loss

    losses, accuracies = [], []
    start = time.perf_counter()
    for _ in range(epochs):
        losses.append(np.mean([float(train_step(x, y)) for x, y in train_batches]))
        pred = tf.argmax(tf.matmul(x_test, w1) + b1, axis=1)
        accuracies.append(float(np.mean(pred.numpy() == y_test)))
    return losses, accuracies, time.perf_counter() - start


fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
print(f"iris, lr {OPT_LR}, {OPT_EPOCHS} epochs, batch 32\noptimizer  final loss  test acc  seconds")
for name in ["SGD", "SGDM", "Adagrad", "RMSProp", "Adam"]:
    losses, accuracies, seconds = train_iris(name)
    print(f"{name:9}  {losses[-1]:10.4f}  {accuracies[-1]:8.4f}  {seconds:7.2f}")
    left.plot(losses, label=name)
    right.plot(accuracies, label=name)
left.set(title="Loss Function Curve", xlabel="Epoch", ylabel="Loss", yscale="log")
right.set(title="Acc Curve", xlabel="Epoch", ylabel="Acc")
left.legend()
right.legend()
plt.show()
