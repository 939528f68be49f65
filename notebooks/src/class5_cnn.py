# %% [markdown]
# # 第五讲：卷积神经网络 Class 5: convolutional networks
#
# "AI Practice: TensorFlow Notes" (PKU), class 5 (CIFAR10_CNN, FASHION_CNN):
# `p24_cifar10_datasets`, `p27_cifar10_baseline`, `P31_cifar10_lenet5`,
# `p34_cifar10_alexnet8`, `p36_cifar10_vgg16`, `p40_cifar10_inception10`, `p46_cifar10_resnet18`.
#
# 卷积（convolution）用一个小卷积核在图上滑动，同一组权重在图中任何位置都能找到同样的边缘或纹理。课程用
# 一个模式搭建所有网络：CBAPD = 卷积 Conv、批量规范化 BatchNorm、激活 Activation、池化 Pooling、
# 暂退法 Dropout。A convolution slides a small kernel over the image, so one set of weights
# finds the same edge or texture anywhere. The course builds every network from one
# pattern, CBAPD: Conv, BatchNorm, Activation, Pooling, Dropout.

# %%
# TensorFlow prints C++ start-up notices (oneDNN, absl) when it loads: load it quietly.
# TensorFlow 加载时会打印 C++ 启动信息（oneDNN、absl）：先安静地加载它。
from tfnote.notebook import quiet_tensorflow

quiet_tensorflow()

# %%
import keras
import matplotlib.pyplot as plt
from keras import layers

import tfnote
from tfnote.models import build_model
from tfnote.notebook import quick

QUICK = quick()  # TFNOTE_QUICK=1: a short run for CI; the course's settings otherwise

# %% [markdown]
# ## 1. CIFAR-10 数据集 The data (p24_cifar10_datasets)
#
# 50,000 张训练、10,000 张测试的 32×32 彩色照片，10 个类别。第一次使用时通过 Keras 下载（170 MB），
# 或从 `TFNOTE_DATA` 读取。50,000 training and 10,000 test colour photos, 32×32×3, of 10
# classes; downloaded through Keras the first time (170 MB), or read from `TFNOTE_DATA`.

# %%
DATASET = "cifar10"  # or "fashion": the same networks on Fashion-MNIST (FASHION_CNN)
data = tfnote.load_dataset(DATASET)
LIMIT, TEST_LIMIT = (3000, 1000) if QUICK else (None, None)  # slices in the quick setting
x_train = data.x_train[:LIMIT].astype("float32") / 255
y_train = data.y_train[:LIMIT]
x_test, y_test = data.x_test[:TEST_LIMIT].astype("float32") / 255, data.y_test[:TEST_LIMIT]
print(f"{data.source}: training {x_train.shape}, test {x_test.shape}")

fig, axes = plt.subplots(2, 8, figsize=(12, 3.6))
for ax, image, label in zip(axes.ravel(), data.x_train, data.y_train):
    ax.imshow(image.squeeze(), cmap="gray" if image.shape[-1] == 1 else None)
    ax.set_title(data.class_names[label], fontsize=9)
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 2. 搭建网络 The networks (p27 Baseline, P31 LeNet5)
#
# Baseline：一个 CBAPD 块，再接全连接分类器。LeNet5：LeCun 1998 年的网络，两个 sigmoid 卷积，不填充，
# 没有批量规范化。Baseline: one CBAPD block, then a classifier. LeNet5: LeCun's 1998
# network, two sigmoid convolutions without padding and no BatchNorm. Edit a layer (more
# filters, another kernel size) and run the cells again.


# %%
def baseline(input_shape):
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(6, kernel_size=(5, 5), padding="same"),  # C: 6 kernels of 5x5
            layers.BatchNormalization(),  # B: normalize each kernel's output
            layers.Activation("relu"),  # A
            layers.MaxPool2D(pool_size=(2, 2), strides=2, padding="same"),  # P: halve H and W
            layers.Dropout(0.2),  # D: drop 20% of the values while training
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(10, activation="softmax"),
        ]
    )


def lenet5(input_shape):
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(6, kernel_size=(5, 5), activation="sigmoid"),
            layers.MaxPool2D(pool_size=(2, 2), strides=2),
            layers.Conv2D(16, kernel_size=(5, 5), activation="sigmoid"),
            layers.MaxPool2D(pool_size=(2, 2), strides=2),
            layers.Flatten(),
            layers.Dense(120, activation="sigmoid"),
            layers.Dense(84, activation="sigmoid"),
            layers.Dense(10, activation="softmax"),
        ]
    )


baseline(data.input_shape).summary()

# %% [markdown]
# 更大的网络（p34 AlexNet8、p36 VGG16、p40 Inception10、p46 ResNet18）按课程的写法放在
# `tfnote.models` 里；下表是它们的参数量和课程 5 个迭代周期后的测试准确率。The bigger networks,
# as the course wrote them, are in `tfnote.models`: their parameter counts beside the
# course's test accuracy after 5 epochs (on a CPU they take tens of minutes to hours).

# %%
COURSE = {
    "baseline": 0.4177,
    "lenet5": 0.4832,
    "alexnet8": 0.6194,
    "vgg16": 0.6690,
    "inception10": 0.4453,
    "resnet18": 0.6276,
}
BUILDERS = {"baseline": baseline, "lenet5": lenet5}
for name in ["alexnet8", "vgg16", "inception10", "resnet18"]:
    BUILDERS[name] = lambda shape, name=name: build_model(name, shape, 10)
print(f"{'network':12} {'parameters':>12}  course's accuracy (CIFAR-10, 5 epochs)")
for name, builder in BUILDERS.items():
    print(f"{name:12} {builder(data.input_shape).count_params():12,}  {COURSE[name]}")

# %% [markdown]
# ## 3. 训练与比较 Train and compare
#
# adam，批量大小 32，5 个迭代周期，测试集作验证（课程的设置）；每个网络有自己的运行文件夹（曲线、
# `weights.txt`、最好的权重）。adam, batch size 32, 5 epochs, the test set as validation
# (the course's settings); each network gets its own run folder. Add `"resnet18"` to
# `TRAIN` to train it too (about 19 minutes an epoch on 2 CPU cores).

# %%
TRAIN = ["baseline", "lenet5"]
EPOCHS = 2 if QUICK else 5  # the course: 5
histories = {}
for name in TRAIN:
    keras.utils.set_random_seed(1)
    model = BUILDERS[name](data.input_shape)
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    run = tfnote.RunFolder(f"runs/class5/{name}-{DATASET}", data=data, scale=1 / 255, fresh=True)
    print(f"--- {name}")
    model.fit(
        x_train,
        y_train,
        batch_size=32,
        epochs=EPOCHS,
        validation_data=(x_test, y_test),
        validation_freq=1,
        callbacks=[run],
        verbose=2,
    )
    histories[name] = [row["val_sparse_categorical_accuracy"] for row in run.history]

fig, ax = plt.subplots(figsize=(7, 3.6))
for name, accuracy in histories.items():
    line = ax.plot(range(1, len(accuracy) + 1), accuracy, marker="o", label=name)[0]
    if DATASET == "cifar10":
        ax.axhline(COURSE[name], color=line.get_color(), linestyle=":", label=f"{name}, course")
ax.set(
    title=f"test accuracy on {DATASET}" + (" (quick: a slice)" if QUICK else ""),
    xlabel="epoch",
    ylabel="accuracy",
)
ax.set_xticks(range(1, EPOCHS + 1))
ax.legend(bbox_to_anchor=(1.02, 1), loc="upper left")
plt.show()
