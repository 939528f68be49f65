# %% [markdown]
# # 第四讲：六步法的扩展 Class 4: extending the six steps
#
# "AI Practice: TensorFlow Notes" (PKU), class 4 (MNIST_FC, FASHION_FC):
# `p4_mnist_train_baseline`, `p8_mnist_train_ex1` (self-made dataset),
# `p11_show_augmented_images`, `p13_mnist_train_ex2` (data augmentation),
# `p16_mnist_train_ex3` (断点续训, resume), `p19_mnist_train_ex4` (参数提取, parameter
# extraction), `p23_mnist_train_ex5` (acc/loss curves), `p27_mnist_app` (给图识物, your own image).
#
# 第三讲的 MNIST 网络：用自制数据集训练，加数据增强，断点续训，提取参数，画出曲线，最后识别手写数字照片。
# Class 3's MNIST network, trained on a self-made dataset, with data augmentation, resumed
# after a stop, its parameters written out, its curves drawn, then asked to read photos.

# %%
# TensorFlow prints C++ start-up notices (oneDNN, absl) when it loads: load it quietly.
# TensorFlow 加载时会打印 C++ 启动信息（oneDNN、absl）：先安静地加载它。
from tfnote.notebook import quiet_tensorflow

quiet_tensorflow()

# %%
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image as ShowImage
from IPython.display import display
from keras import layers
from PIL import Image

import tfnote
from tfnote.data.locate import find_file
from tfnote.notebook import quick
from tfnote.predict import predict

QUICK = quick()  # TFNOTE_QUICK=1: a short run for CI; the course's settings otherwise
RUN = Path("runs/class4")  # the run folder of this notebook

# %% [markdown]
# ## 1. 自制数据集 A self-made dataset (p8_mnist_train_ex1)
#
# 课程的格式：一个图片文件夹加一个标签文件，每行 `<文件名> <标签>`（如 `28755_0.jpg 0`）。这里先把
# MNIST 的一部分写成这种格式，就像你整理自己的图片一样，再用 `tfnote.load_dataset("image-label:文件夹")`
# 读回来（第一次解码并缓存，之后直接读缓存）。The course's format: a folder of images plus a
# label file, one `<file> <label>` per line. We write part of MNIST in that format, as you
# would sort your own pictures, then read it back (decoded once, then read from a cache).

# %%
N_TRAIN, N_TEST = (2000, 500) if QUICK else (10000, 2000)
mnist = tfnote.load_dataset("mnist")
own = Path("my_mnist")
for split, images, labels in [
    ("train", mnist.x_train[:N_TRAIN], mnist.y_train[:N_TRAIN]),
    ("test", mnist.x_test[:N_TEST], mnist.y_test[:N_TEST]),
]:
    folder = own / f"mnist_{split}_png_{len(images)}"
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, (image, label) in enumerate(zip(images, labels)):
        name = f"{i}_{label}.png"
        Image.fromarray(image[:, :, 0]).save(folder / name)
        lines.append(f"{name} {label}")
    Path(f"{folder}.txt").write_text("\n".join(lines) + "\n")
print(sorted(p.name for p in own.iterdir()))
print(
    "first lines of the label file:",
    Path(f"{own}/mnist_train_png_{N_TRAIN}.txt").read_text().splitlines()[:3],
)

data = tfnote.load_dataset(f"image-label:{own}")
print(
    f"{data.source}: {len(data.x_train)} train / {len(data.x_test)} test, shape {data.input_shape}"
)
x_train, y_train = data.x_train.astype("float32") / 255, data.y_train
x_test, y_test = data.x_test.astype("float32") / 255, data.y_test

# %% [markdown]
# ## 2. 数据增强 Data augmentation (p11_show_augmented_images, p13_mnist_train_ex2)
#
# 每个迭代周期把每张图随机旋转、平移、缩放，网络就记不住具体像素。课程的 `ImageDataGenerator` 已从
# Keras 3 中移除，预处理层做同样的事：放在模型里时只在训练（fit）中起作用。Every epoch each image
# is rotated, shifted and zoomed at random, so the network cannot memorize exact pixels.
# Keras 3 removed the course's `ImageDataGenerator`; preprocessing layers do the same and,
# inside a model, act only while training. Top: originals; bottom: augmented copies.

# %%
augment = keras.Sequential(
    [
        layers.RandomRotation(45 / 360, fill_mode="nearest"),  # rotation_range=45 (degrees)
        layers.RandomTranslation(0.15, 0.15, fill_mode="nearest"),  # width/height_shift 0.15
        layers.RandomZoom(0.5, 0.5, fill_mode="nearest"),  # zoom_range=0.5
    ],  # digits: no flip (a mirrored 3 is not a 3); Fashion adds RandomFlip("horizontal")
    name="augment",
)
fig, axes = plt.subplots(2, 8, figsize=(12, 3.2))
for i, image in enumerate(augment(x_train[:8], training=True)):
    axes[0, i].imshow(x_train[i, :, :, 0], cmap="gray")
    axes[1, i].imshow(image[:, :, 0], cmap="gray")
for ax in axes.ravel():
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 3. 断点续训 Resume training (p4_mnist_train_baseline, p16_mnist_train_ex3)
#
# 课程在有 checkpoint 时先加载它，每个迭代周期保存最好的权重。`tfnote.RunFolder` 还保存优化器的状态：
# 在第 k 个迭代周期后停下再运行，就从第 k + 1 个继续，结果与没停过一样。下面先训练一部分（像被
# Ctrl-C 打断），再用一个全新的模型对象继续——就像重启内核后再运行。The course loads its
# checkpoint when there is one and saves the best weights each epoch; `tfnote.RunFolder`
# also saves the optimizer's state, so a run stopped after epoch k goes on with epoch
# k + 1 exactly as if it had never stopped. Below: train part of the epochs (as if
# interrupted), then continue with a brand-new model object, as after a kernel restart.
# Set `AUGMENT = True` to train with the augmentation above.

# %%
EPOCHS = 2 if QUICK else 5  # the course: 5
AUGMENT = False


def build_model():
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [keras.Input(shape=data.input_shape)]
        + ([augment] if AUGMENT else [])
        + [
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    return model


def train(model, epochs, fresh=False):
    run = tfnote.RunFolder(RUN, data=data, scale=1 / 255, fresh=fresh)
    model.fit(
        x_train,
        y_train,
        batch_size=32,
        epochs=epochs,
        validation_data=(x_test, y_test),
        validation_freq=1,
        callbacks=[run],
        verbose=2,
    )
    return run


train(build_model(), epochs=EPOCHS - 1, fresh=True)  # stops one epoch early, as if interrupted
print("--- a new model, the same run folder: training goes on ---")
model = build_model()
run = train(model, epochs=EPOCHS)
print("epochs in the history:", [row["epoch"] for row in run.history])

# %% [markdown]
# ## 4. 参数提取 Parameter extraction (p19_mnist_train_ex4)
#
# `weights.txt` 写出每个可训练变量的名字、形状和全部数值（课程用 `np.set_printoptions(threshold=np.inf)`）。
# `weights.txt` holds every trainable variable: its name, shape and all its values.

# %%
for variable in model.trainable_variables:
    print(f"{variable.path}: shape {tuple(variable.shape)}")
text = (RUN / "weights.txt").read_text()
print(f"weights.txt: {len(text):,} characters; its first lines:")
print("\n".join(text.splitlines()[:4])[:600])

# %% [markdown]
# ## 5. acc/loss 可视化 Accuracy and loss curves (p23_mnist_train_ex5)
#
# 运行文件夹里的 `curves.png`：训练与验证的准确率、损失，标出最好的迭代周期（`predict` 用它的权重）。
# The run folder's `curves.png`: accuracy and loss on training and validation data, the
# best epoch marked (its weights are the ones `predict` uses).

# %%
display(ShowImage(filename=RUN / "curves.png", width=800))

# %% [markdown]
# ## 6. 给图识物 Recognize your own images (p27_mnist_app)
#
# 照片是白纸黑字，比 28×28 大得多；MNIST 是黑底白字。课程的做法：转灰度，缩放到 28×28，再二值化（比 200
# 暗的像素变 255，其余变 0）。`tfnote.predict` 按 MNIST 的制作方式处理：找到数字，缩放到 20×20 的框内，
# 按质心居中，更可靠。照片来自 `TFNOTE_DATA/digits`（课程的 0.png … 9.png），没有时用测试集的数字
# 做成"照片"。换成你自己的照片：把路径放进 `photos`。A photo is dark ink on white paper and
# much bigger than 28×28. The course greys it, resizes it to 28×28 and thresholds it;
# `tfnote.predict` prepares it the way MNIST was made (the digit fitted in a 20×20 box,
# centred by its centre of mass), which is more reliable. The photos are the course's
# `digits/0.png … 9.png` from `TFNOTE_DATA`, else test digits made into "photos": put your
# own files' paths in `photos`.

# %%
try:
    photos = sorted(find_file("digits/0.png").parent.glob("*.png"))
except tfnote.TfnoteError:
    photos = []
    rng = np.random.default_rng(0)
    for digit in range(10):  # ink on grey paper, 300x300, with the paper's grain
        image = mnist.x_test[np.flatnonzero(mnist.y_test == digit)[0], :, :, 0]
        paper = 235 - image.astype("float32") * 0.8
        big = Image.fromarray(paper.astype("uint8")).resize((300, 300), Image.Resampling.BICUBIC)
        noisy = np.asarray(big, "float32") + rng.normal(0, 6, (300, 300))
        Image.fromarray(noisy.clip(0, 255).astype("uint8")).save(f"photo_{digit}.png")
        photos.append(Path(f"photo_{digit}.png"))


def course_way(path):  # p27: grey, 28x28, threshold at 200, / 255
    pixels = np.array(
        Image.open(path).convert("L").resize((28, 28), Image.Resampling.LANCZOS), "float32"
    )
    pixels = np.where(pixels < 200, 255.0, 0.0)
    return int(np.argmax(model.predict(pixels.reshape(1, 28, 28, 1) / 255, verbose=0)))


results = predict(RUN, photos)
fig, axes = plt.subplots(2, len(photos), figsize=(len(photos) * 1.2, 3.2))
for column, (path, result) in enumerate(zip(photos, results)):
    axes[0, column].imshow(Image.open(path).convert("L"), cmap="gray")
    axes[0, column].set_title(Path(path).name, fontsize=8)
    axes[1, column].imshow(result.prepared.pixels[:, :, 0], cmap="gray")
    axes[1, column].set_title(
        f"{result.name} ({result.probability:.2f})\ncourse: {course_way(path)}", fontsize=8
    )
for ax in axes.ravel():
    ax.axis("off")
fig.suptitle("top: the photo; bottom: what the network sees, tfnote's answer and the course's")
plt.show()
