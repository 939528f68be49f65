# %% [markdown]
# # 第一讲：张量、反向传播与从零实现的鸢尾花分类
# # Class 1: tensors, back-propagation and an iris classifier from scratch
#
# "AI Practice: TensorFlow Notes" (PKU), class 1: `p17_constant` ... `p41_argmax` (tensor
# basics), `p13_backpropagation`, `p43_datasets.load_iris`, `p45_iris`.
#
# 本讲不用 Keras：先用张量、变量和 `GradientTape` 亲手写出一个神经网络，第三讲的六步法再让
# Keras 代劳。No Keras here: class 1 writes a network by hand with tensors, variables and
# a `GradientTape`; class 3's six steps (六步法) then let Keras do it.

# %%
# TensorFlow prints C++ start-up notices (oneDNN, absl) when it loads: load it quietly.
# TensorFlow 加载时会打印 C++ 启动信息（oneDNN、absl）：先安静地加载它。
from tfnote.notebook import quiet_tensorflow

quiet_tensorflow()

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from sklearn import datasets

from tfnote.notebook import quick

QUICK = quick()  # TFNOTE_QUICK=1: a short run for CI; the course's settings otherwise
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. 张量基础 Tensor basics (p17–p41)
#
# 张量（tensor）是多维数组，有数据类型（dtype）和形状（shape）。标量的阶是 0，向量是 1，矩阵是 2。
# A tensor is an n-dimensional array with a dtype and a shape: a scalar has rank 0, a
# vector rank 1, a matrix rank 2. Change the values below and run the cell again.

# %%
a = tf.constant([1, 5], dtype=tf.int64)  # p17: from Python values
print("constant:", a.numpy(), "shape", a.shape, "dtype", a.dtype.name)
b = tf.convert_to_tensor(np.arange(0, 5))  # p18: from a NumPy array
print("from numpy:", b.numpy())
print("zeros:", tf.zeros([2, 3]).numpy().tolist())  # p19: filled tensors
print("ones:", tf.ones(4).numpy(), " fill:", tf.fill([2, 2], 9).numpy().tolist())
# p21/p22: random tensors. truncated_normal redraws values beyond 2 standard deviations,
# so initial weights never start far out: the course's choice for w1 and b1 below.
print("normal:\n", tf.random.normal([2, 2], mean=0.5, stddev=1).numpy())
print("truncated normal:\n", tf.random.truncated_normal([2, 2], mean=0.5, stddev=1).numpy())
print("uniform [0, 1):\n", tf.random.uniform([2, 2], minval=0, maxval=1).numpy())

# %% [markdown]
# 类型转换、按维度求最小/最大/平均/和、逐元素运算与矩阵乘法（p23–p31）。`axis=0` 沿列向下，
# `axis=1` 沿行。Cast, reductions along an axis (`axis=0` goes down the columns, `axis=1`
# along the rows), elementwise arithmetic (both tensors need the same dtype) and `matmul`.

# %%
x1 = tf.constant([1.0, 2.0, 3.0], dtype=tf.float64)  # p23
x2 = tf.cast(x1, tf.int32)
print("cast:", x2.numpy(), "min", tf.reduce_min(x2).numpy(), "max", tf.reduce_max(x2).numpy())
x = tf.constant([[1, 2, 3], [2, 2, 3]])  # p25
print("mean:", tf.reduce_mean(x).numpy(), " sum of each row:", tf.reduce_sum(x, axis=1).numpy())
a, b = tf.ones([1, 3]), tf.fill([1, 3], 3.0)  # p29
print("add", tf.add(a, b).numpy(), "subtract", tf.subtract(a, b).numpy())
print("multiply", tf.multiply(a, b).numpy(), "divide", tf.divide(b, a).numpy())
a = tf.fill([1, 2], 3.0)  # p30
print("square", tf.square(a).numpy(), "pow 3", tf.pow(a, 3).numpy(), "sqrt", tf.sqrt(a).numpy())
print("matmul [3,2] x [2,3]:\n", tf.matmul(tf.ones([3, 2]), tf.fill([2, 3], 3.0)).numpy())  # p31

# %% [markdown]
# `Dataset.from_tensor_slices` 把特征和标签配对（p33）；`GradientTape` 记录计算过程，然后求梯度
# （gradient，p34）。`from_tensor_slices` pairs features with labels; a `GradientTape`
# records a computation and then gives d(loss)/dw.

# %%
features, labels = tf.constant([12, 23, 10, 17]), tf.constant([0, 1, 1, 0])
for element in tf.data.Dataset.from_tensor_slices((features, labels)).take(2):  # p33
    print("from_tensor_slices element:", element[0].numpy(), element[1].numpy())

with tf.GradientTape() as tape:  # p34: d(w^2)/dw = 2w
    w = tf.Variable(tf.constant(3.0))
    loss = tf.pow(w, 2)
print("d(w^2)/dw at w=3:", tape.gradient(loss, w).numpy())

for i, element in enumerate(["one", "two", "three"]):  # p35
    print("enumerate:", i, element)

# %% [markdown]
# 独热编码（one-hot，p37）、softmax（p39）、`assign_sub`（p40）与 `argmax`（p41）：这四样正是下面
# 训练循环要用的。One-hot labels, softmax (scores -> probabilities that sum to 1), a
# Variable updated in place, and the index of the largest value: the training loop below
# uses all four.

# %%
print("one_hot:\n", tf.one_hot(tf.constant([1, 0, 2]), depth=3).numpy())
y = tf.nn.softmax(tf.constant([1.01, 2.01, -0.66]))
print("softmax:", y.numpy(), "sum", tf.reduce_sum(y).numpy())
w = tf.Variable(4)
w.assign_sub(1)
print("assign_sub: 4 - 1 =", w.numpy())
test = np.array([[1, 2, 3], [2, 3, 4], [5, 4, 3], [8, 7, 2]])
print(
    "argmax per column:", tf.argmax(test, axis=0).numpy(), " per row:", tf.argmax(test, 1).numpy()
)

# %% [markdown]
# ## 2. 反向传播 Back-propagation on one weight (p13_backpropagation)
#
# 损失函数 loss = (w + 1)² 在 w = −1 处最小。梯度下降每步执行 w ← w − 学习率 × 梯度。
# loss = (w + 1)² is smallest at w = −1; gradient descent repeats w ← w − lr · d(loss)/dw.
# With learning rate (学习率) 0.2 each step removes 40% of the distance to −1. Try
# `LR = 0.001` (it crawls) or `LR = 0.999` (it jumps across the minimum every step).

# %%
LR = 0.2
w = tf.Variable(tf.constant(5, dtype=tf.float32))
path = [w.numpy()]
for _ in range(40):
    with tf.GradientTape() as tape:
        loss = tf.square(w + 1)
    grad = tape.gradient(loss, w)
    w.assign_sub(LR * grad)
    path.append(w.numpy())
print(f"after 40 steps: w = {w.numpy():.6f}, loss = {loss.numpy():.6f}")

fig, ax = plt.subplots(figsize=(7, 3.2))
ax.plot(path, marker=".")
ax.axhline(-1, color="grey", linestyle="--", label="minimum w = -1")
ax.set(title=f"w during gradient descent, lr = {LR}", xlabel="step", ylabel="w")
ax.legend()
plt.show()

# %% [markdown]
# ## 3. 准备数据 Prepare the data (p43_datasets.load_iris)
#
# 鸢尾花数据集：150 朵花，每朵 4 个特征，3 个类别。用课程的随机种子 116 打乱，前 120 个样本作
# 训练集，后 30 个作测试集。150 flowers, 4 measurements each, 3 species; shuffled with the
# course's seed 116, the first 120 train the network and the last 30 test it.

# %%
iris = datasets.load_iris()
order = np.random.RandomState(116).permutation(len(iris.data))
x_data, y_data = iris.data[order], iris.target[order]
x_train, y_train = tf.cast(x_data[:-30], tf.float32), y_data[:-30]
x_test, y_test = tf.cast(x_data[-30:], tf.float32), y_data[-30:]
# Batches of 32, read once into a list: iterating a Dataset from Python costs more than
# this tiny network's training step.
train_batches = list(tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(32))
print(
    f"{len(x_data)} flowers: {len(y_train)} train, {len(y_test)} test;",
    f"features {iris.feature_names}",
)

# %% [markdown]
# ## 4. 搭建网络 Build the network (p45_iris)
#
# 一层全连接：4 个输入 → 3 个输出，y = softmax(x @ w1 + b1)。权重（weight）w1 与偏置（bias）b1
# 用截断正态分布初始化。One dense layer, y = softmax(x @ w1 + b1); weights and bias
# start from a truncated normal with the course's seed, so the run repeats its numbers.

# %%
tf.random.set_seed(116)
w1 = tf.Variable(tf.random.truncated_normal([4, 3], stddev=0.1, seed=1))
b1 = tf.Variable(tf.random.truncated_normal([3], stddev=0.1, seed=1))

# %% [markdown]
# ## 5. 训练 Train
#
# 每个批量：在 tape 下前向传播，损失 = 概率与独热标签的均方误差，求梯度，再 w −= 学习率 × 梯度。
# 一个迭代周期（epoch）遍历全部训练样本一次。For each batch: forward pass under the tape,
# loss = mean squared error between the probabilities and the one-hot labels, gradients,
# then w −= lr · gradient. One epoch passes over every training sample once.

# %%
EPOCHS = 100 if QUICK else 500  # the course: 500
IRIS_LR = 0.1


# tf.function traces the step into a graph once; later calls skip Python's per-op cost
# (about 10x faster here). Remove the decorator to run it eagerly and print inside it.
@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        probs = tf.nn.softmax(tf.matmul(x, w1) + b1)
        loss = tf.reduce_mean(tf.square(tf.one_hot(y, depth=3) - probs))
    grads = tape.gradient(loss, [w1, b1])
    w1.assign_sub(IRIS_LR * grads[0])
    b1.assign_sub(IRIS_LR * grads[1])
    return loss


def test_accuracy():
    pred = tf.argmax(tf.nn.softmax(tf.matmul(x_test, w1) + b1), axis=1)  # the likeliest class
    return float(np.mean(pred.numpy() == y_test))


train_loss, test_acc = [], []
start = time.perf_counter()
for epoch in range(EPOCHS):
    batch_losses = [float(train_step(x, y)) for x, y in train_batches]
    train_loss.append(sum(batch_losses) / len(batch_losses))  # epoch loss: mean of the batches
    test_acc.append(test_accuracy())
    if epoch % 100 == 0 or epoch == EPOCHS - 1:
        print(f"Epoch {epoch}, loss: {train_loss[-1]:.4f}, test_acc: {test_acc[-1]:.4f}")
print(f"{EPOCHS} epochs in {time.perf_counter() - start:.1f} s")

# %% [markdown]
# ## 6. 评估 Evaluate
#
# 课程的两条曲线：训练损失下降，测试准确率升到 1.0（500 个迭代周期）。The course's two curves:
# the training loss falls, the test accuracy climbs to 1.0 (after 500 epochs).

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
left.plot(train_loss)
left.set(title="Loss Function Curve", xlabel="Epoch", ylabel="Loss")
right.plot(test_acc, color="tab:orange")
right.set(title="Acc Curve", xlabel="Epoch", ylabel="Acc")
plt.show()
print(f"w1 =\n{w1.numpy()}\nb1 = {b1.numpy()}")
print(f"test accuracy: {test_acc[-1]:.4f}")
