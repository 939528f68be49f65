# %% [markdown]
# # 第三讲：用 Keras 搭建网络的六步法 Class 3: the six-step method (六步法)
#
# "AI Practice: TensorFlow Notes" (PKU), class 3: `p8_iris_sequential`, `p11_iris_class`,
# `p13_mnist_datasets`, `p14_mnist_sequential`, `p15_mnist_class`,
# `p16_fashion_sequential`, `p16_fashion_class`.
#
# 每个 Keras 程序都是同样的六步：import、训练集和测试集、搭建模型、compile、fit、summary。
# Every Keras program has the same six steps: import; train and test data; the model;
# `compile`; `fit`; `summary`. Here they train iris, MNIST and Fashion-MNIST.

# %%
# TensorFlow prints C++ start-up notices (oneDNN, absl) when it loads: load it quietly.
# TensorFlow 加载时会打印 C++ 启动信息（oneDNN、absl）：先安静地加载它。
from tfnote.notebook import quiet_tensorflow

quiet_tensorflow()

# %%
# Step 1 / 第一步: import
import keras
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image, display
from keras import layers

import tfnote
from tfnote.notebook import quick

QUICK = quick()  # TFNOTE_QUICK=1: a short run for CI; the course's settings otherwise

# %% [markdown]
# ## 1. 鸢尾花：Sequential 与自定义 Model 类 Iris: Sequential and a Model subclass (p8, p11)
#
# 一层 3 个输出的全连接层，带 L2 正则化。第一讲手写的前向传播、损失、梯度和参数更新，Keras 全部代劳。
# One Dense layer of 3 softmax outputs with an L2 penalty: Keras does what class 1 wrote by
# hand. `validation_split=0.2` keeps the last 20% of the training data apart as a
# validation set, checked every 20 epochs (`validation_freq`).

# %%
data = tfnote.load_dataset("iris")  # Step 2: data, shuffled with the course's seed 116
keras.utils.set_random_seed(116)  # the same initial weights on every run

model = keras.Sequential(  # Step 3: the model (p8_iris_sequential)
    [
        keras.Input(shape=(4,)),  # 4 measurements per flower
        layers.Dense(3, activation="softmax", kernel_regularizer=keras.regularizers.l2()),
    ]
)
model.compile(  # Step 4: compile. Softmax outputs are probabilities: from_logits=False
    optimizer=keras.optimizers.SGD(learning_rate=0.1),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=False),
    metrics=["sparse_categorical_accuracy"],  # integer labels 0..2: the "sparse" metric
)
history = model.fit(  # Step 5: fit
    data.x_train,
    data.y_train,
    batch_size=32,
    epochs=40 if QUICK else 500,  # the course: 500
    validation_split=0.2,
    validation_freq=20,
    verbose=0,
)
model.summary()  # Step 6: summary. (4 inputs + 1 bias) * 3 outputs = 15 parameters
print(
    "validation accuracy every 20 epochs:",
    np.round(history.history["val_sparse_categorical_accuracy"], 3),
)


# %% [markdown]
# 自定义 Model 类（p11_iris_class）：层在 `__init__` 中定义，前向传播写在 `call` 中。课程在这里用了
# sigmoid。A `Model` subclass: layers in `__init__`, the forward pass in `call()`; the
# course's p11 uses sigmoid here (p8 softmax): try both.


# %%
class IrisModel(keras.Model):
    def __init__(self):
        super().__init__()
        self.d1 = layers.Dense(3, activation="sigmoid", kernel_regularizer=keras.regularizers.l2())

    def call(self, x):
        return self.d1(x)


keras.utils.set_random_seed(116)
model = IrisModel()
model.compile(
    keras.optimizers.SGD(learning_rate=0.1),
    "sparse_categorical_crossentropy",
    metrics=["sparse_categorical_accuracy"],
)
model.fit(
    data.x_train,
    data.y_train,
    batch_size=32,
    epochs=40 if QUICK else 500,
    validation_split=0.2,
    validation_freq=20,
    verbose=0,
)
print(
    "Model subclass, accuracy on the training data:",
    round(model.evaluate(data.x_train, data.y_train, verbose=0)[1], 3),
)

# %% [markdown]
# ## 2. 看看 MNIST 数据集 Look at MNIST (p13_mnist_datasets)
#
# 28×28 的灰度手写数字，60,000 张训练、10,000 张测试。`tfnote.load_dataset` 依次在 `TFNOTE_DATA`、
# Keras 缓存中查找，找不到就像 `keras.datasets` 一样下载。28×28 grey digits, 60,000 to train
# and 10,000 to test. `tfnote.load_dataset` looks in `TFNOTE_DATA` and the Keras cache,
# and downloads like `keras.datasets` otherwise; it returns uint8 arrays (N, 28, 28, 1).

# %%
mnist = tfnote.load_dataset("mnist")
print(
    mnist.source,
    "| x_train",
    mnist.x_train.shape,
    mnist.x_train.dtype,
    "| x_test",
    mnist.x_test.shape,
)


def show_grid(data, count=12):
    fig, axes = plt.subplots(1, count, figsize=(count * 1.1, 1.6))
    for ax, image, label in zip(axes, data.x_train, data.y_train):
        ax.imshow(image[:, :, 0], cmap="gray")
        ax.set_title(data.class_names[label], fontsize=8)
        ax.axis("off")
    plt.show()


show_grid(mnist)

# %% [markdown]
# ## 3. MNIST 全连接网络 The MNIST network (p14_mnist_sequential)
#
# 把像素除以 255 缩放到 0..1；Flatten 成 784 个数 → Dense(128, relu) → Dense(10, softmax)；
# adam，批量大小 32，5 个迭代周期，测试集作验证。课程结果：测试准确率约 0.975–0.98。
# Pixels / 255; Flatten to 784 numbers, one hidden layer of 128 ReLU units, 10 softmax
# outputs; adam, batch size 32, 5 epochs, the test set as validation: about 0.975–0.98.
#
# `tfnote.RunFolder` 是一个 Keras 回调：它把每个迭代周期保存到运行文件夹（断点续训、最优权重、
# `weights.txt`、`curves.png`），第四讲会用到。`tfnote.RunFolder` is a Keras callback that
# saves each epoch into a run folder (resume, best weights, `weights.txt`, `curves.png`):
# class 4 uses all of it. Here `fresh=True` starts over whenever you re-run the cell.

# %%
LIMIT = 3000 if QUICK else None  # train on the first LIMIT images (None: all 60,000)
EPOCHS = 2 if QUICK else 5  # the course: 5


def six_steps(data, out, model):
    x_train = data.x_train[:LIMIT].astype("float32") / 255  # Step 2: scale to 0..1
    y_train = data.y_train[:LIMIT]
    x_test = data.x_test[: 1000 if QUICK else None].astype("float32") / 255
    y_test = data.y_test[: len(x_test)]
    model.compile(  # Step 4
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=False),
        metrics=["sparse_categorical_accuracy"],
    )
    run = tfnote.RunFolder(out, data=data, scale=1 / 255, fresh=True)
    model.fit(
        x_train,
        y_train,
        batch_size=32,
        epochs=EPOCHS,  # Step 5
        validation_data=(x_test, y_test),
        validation_freq=1,
        callbacks=[run],
        verbose=2,
    )
    model.summary()  # Step 6: (784 + 1) * 128 + (128 + 1) * 10 = 101,770 parameters
    print(f"test accuracy: {model.evaluate(x_test, y_test, verbose=0)[1]:.4f}")
    display(Image(filename=f"{out}/curves.png", width=800))  # the run folder's figure


keras.utils.set_random_seed(1)
mlp = keras.Sequential(  # Step 3
    [
        keras.Input(shape=(28, 28, 1)),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ]
)
six_steps(mnist, "runs/p14_mnist_sequential", mlp)


# %% [markdown]
# 同一个网络写成 Model 子类（p15_mnist_class）。The same network as a `Model` subclass.


# %%
class MnistModel(keras.Model):
    def __init__(self):
        super().__init__()
        self.flatten = layers.Flatten()
        self.d1 = layers.Dense(128, activation="relu")
        self.d2 = layers.Dense(10, activation="softmax")

    def call(self, x):
        return self.d2(self.d1(self.flatten(x)))


keras.utils.set_random_seed(1)
six_steps(mnist, "runs/p15_mnist_class", MnistModel())

# %% [markdown]
# ## 4. 服装图片 Fashion-MNIST (p16_fashion_sequential)
#
# 同样的网络，换成 10 类服装图片，课程结果约 0.88。The same network on 10 kinds of clothes:
# about 0.88. Only the data changes: the six steps stay the same.

# %%
fashion = tfnote.load_dataset("fashion")
show_grid(fashion, count=10)
keras.utils.set_random_seed(1)
mlp = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ]
)
six_steps(fashion, "runs/p16_fashion_sequential", mlp)
