# %% [markdown]
# # 你自己的数据和模型 Your own data and your own model
#
# 学完六讲之后：用自己的图片训练自己的网络。这里的图片由 notebook 自己画（圆、叉、方块、三角形），所以它
# 在任何地方都能离线运行；换成你自己的照片时，只要按类别放进文件夹。Then: your own pictures, your
# own network. The notebook draws its pictures itself (circles, crosses, squares,
# triangles), so it runs offline anywhere; for your own photos, put them in one folder
# per class. It uses what classes 3 and 4 taught: the six steps (六步法), `tfnote.RunFolder`
# for 断点续训 (resume), 给图识物 (recognize a photo), and a report of the run.

# %%
# TensorFlow prints C++ start-up notices (oneDNN, absl) when it loads: load it quietly.
# TensorFlow 加载时会打印 C++ 启动信息（oneDNN、absl）：先安静地加载它。
from tfnote.notebook import quiet_tensorflow

quiet_tensorflow()

# %%
import html
import math
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display
from keras import layers
from PIL import Image, ImageDraw, ImageFilter

import tfnote
from tfnote.notebook import quick
from tfnote.predict import predict
from tfnote.report import report_html

QUICK = quick()  # TFNOTE_QUICK=1: a short run for CI; longer training otherwise
RUN = Path("runs/my-drawings")

# %% [markdown]
# ## 1. 画一个自己的数据集 Draw a dataset of your own
#
# 每张图：随机粗细的笔、随机旋转和位置、轻微模糊，白纸黑字。保存为 `my_drawings/train/<类别>/*.png` 和
# `my_drawings/test/<类别>/*.png`：这就是 `image-folder` 格式，类别名是文件夹名。Each picture: a pen
# of random width, random rotation and position, a little blur, dark ink on light paper.
# Saved as `my_drawings/train/<class>/*.png` and `my_drawings/test/<class>/*.png`: the
# `image-folder` layout, where a class's name is its folder's name.

# %%
CLASSES = ["circle", "cross", "square", "triangle"]
PER_CLASS, TEST_PER_CLASS = (60, 15) if QUICK else (250, 50)


def draw(kind, rng, size=32, paper=235, ink=30):
    """One drawing of `kind`: drawn 4x larger on grey paper, then shrunk (smooth edges)."""
    big = size * 4
    image = Image.new("L", (big, big), paper)
    r = big * rng.uniform(0.22, 0.34)
    cx, cy = big / 2 + rng.uniform(-0.12, 0.12, 2) * big
    turn = rng.uniform(-0.5, 0.5)  # about +-30 degrees

    def rotated(points):
        c, s = math.cos(turn), math.sin(turn)
        return [(cx + x * c - y * s, cy + x * s + y * c) for x, y in points]

    corners = {
        "circle": [(r * math.cos(t), r * math.sin(t)) for t in np.linspace(0, 2 * math.pi, 40)],
        "square": [
            (-0.85 * r, -0.85 * r),
            (0.85 * r, -0.85 * r),
            (0.85 * r, 0.85 * r),
            (-0.85 * r, 0.85 * r),
        ],
        "triangle": [
            (r * math.cos(t), r * math.sin(t)) for t in (-math.pi / 2, math.pi / 6, 5 * math.pi / 6)
        ],
    }
    pen = ImageDraw.Draw(image)
    width = int(rng.integers(6, 14) * size / 32)  # the pen and the blur grow with the picture
    if kind == "cross":
        for line in ([(-r, -r), (r, r)], [(-r, r), (r, -r)]):
            pen.line(rotated(line), fill=ink, width=width)
    else:
        points = rotated(corners[kind])
        pen.line(points + points[:1], fill=ink, width=width, joint="curve")
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0, 3) * size / 32))
    return image.resize((size, size), Image.Resampling.LANCZOS)


rng = np.random.default_rng(1)
for split, count in [("train", PER_CLASS), ("test", TEST_PER_CLASS)]:
    for kind in CLASSES:
        folder = Path("my_drawings", split, kind)
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(count):
            draw(kind, rng).save(folder / f"{n:03d}.png")

data = tfnote.load_dataset("image-folder:my_drawings")
print(
    f"{data.source}: {len(data.x_train)} train / {len(data.x_test)} test, {data.input_shape},",
    f"classes {data.class_names}",
)
fig, axes = plt.subplots(1, 12, figsize=(13, 1.7))
for ax, image, label in zip(axes, data.x_train, data.y_train):
    ax.imshow(image[:, :, 0], cmap="gray", vmin=0, vmax=255)
    ax.set_title(data.class_names[label], fontsize=8)
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 2. 你自己的模型 Your own model
#
# 一个小卷积神经网络，普通的 Keras。改动它：卷积核个数、层数、暂退法的比例。A small convolutional
# network in plain Keras: change the number of kernels, the layers, the dropout rate.


# %%
def my_model():
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [
            keras.Input(shape=data.input_shape),
            layers.Conv2D(16, 3, activation="relu", padding="same"),
            layers.MaxPool2D(2),
            layers.Conv2D(32, 3, activation="relu", padding="same"),
            layers.MaxPool2D(2),
            layers.Flatten(),
            layers.Dropout(0.2),
            layers.Dense(64, activation="relu"),
            layers.Dense(len(data.class_names), activation="softmax"),
        ]
    )
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    return model


x_train, y_train = data.x_train / 255, data.y_train
x_test, y_test = data.x_test / 255, data.y_test


def train(model, epochs, fresh=False):
    run = tfnote.RunFolder(RUN, data=data, scale=1 / 255, fresh=fresh)  # scale: for predict
    model.fit(
        x_train,
        y_train,
        batch_size=32,
        epochs=epochs,
        validation_data=(x_test, y_test),
        callbacks=[run],
        verbose=2,
    )
    return run


FIRST, MORE = (3, 5) if QUICK else (10, 20)
run = train(my_model(), FIRST, fresh=True)

# %% [markdown]
# ## 3. 断点续训：再多训练几个迭代周期 Resume: train some more epochs
#
# 一个新的模型对象、同一个运行文件夹：`RunFolder` 载入上次保存的权重和优化器状态，从第 `FIRST + 1` 个
# 迭代周期继续。重启内核、Ctrl-C 或断电之后也一样。A new model object, the same run folder:
# `RunFolder` loads the saved weights and optimizer state and goes on with epoch
# `FIRST + 1`, as it would after a kernel restart, Ctrl-C or a power cut.

# %%
model = my_model()
run = train(model, MORE)
rows = run.history
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
for key, label in [("", "training"), ("val_", "test")]:
    left.plot([r["epoch"] for r in rows], [r[f"{key}loss"] for r in rows], marker=".", label=label)
    right.plot(
        [r["epoch"] for r in rows],
        [r[f"{key}sparse_categorical_accuracy"] for r in rows],
        marker=".",
        label=label,
    )
for ax, name in [(left, "loss"), (right, "accuracy")]:
    ax.axvline(FIRST + 0.5, color="grey", linestyle=":")  # where the second fit() took over
    ax.set(title=f"{name}; resumed after epoch {FIRST}", xlabel="epoch")
    ax.legend()
plt.show()

# %% [markdown]
# ## 4. 给图识物：识别一张照片 Recognize a photo
#
# 这里画一张 400×400 的"照片"：另一种纸色和墨色，加上纸的颗粒。模型学的是白纸黑字、图形占画面中部的小图，
# 所以让 `predict` 把整张照片缩小（`recipe="whole"`）、不反色（`mode="none"`）；你的照片也应这样取景。
# 换成你自己的照片：改 `photo` 的路径。We draw a 400×400 "photo": other paper and ink
# tones, and the paper's grain. The model learned small pictures of dark ink on light
# paper with the shape in the middle, so `predict` shrinks the whole photo
# (`recipe="whole"`) and keeps its tones (`mode="none"`): frame your own photos the same
# way. Your own photo: change `photo`.

# %%
photo = Path("my_photo.png")
rng = np.random.default_rng(5)
picture = np.asarray(draw("triangle", rng, size=400, paper=215, ink=60), "float32")
picture = picture + rng.normal(0, 8, picture.shape)  # the paper's grain
Image.fromarray(picture.clip(0, 255).astype("uint8")).save(photo)

result = predict(RUN, [photo], recipe="whole", mode="none")[0]
fig, (left, right) = plt.subplots(1, 2, figsize=(7, 3.6))
left.imshow(Image.open(photo), cmap="gray", vmin=0, vmax=255)
left.set_title(f"{photo.name}, 400x400")
right.imshow(result.prepared.pixels[:, :, 0], cmap="gray", vmin=0, vmax=255)
right.set_title("the network sees (32x32):\n" + ", ".join(f"{n} {p:.2f}" for _, n, p in result.top))
for ax in (left, right):
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 5. 报告 The report
#
# `tfnote report` 把运行文件夹写成一个独立的 HTML 页面：设置、曲线、结果（`tfnote report runs/my-drawings
# --out report.html`）。下面直接显示它。`tfnote report` turns run folders into one
# self-contained page: settings, curves, results. Shown below; `tfnote runs` lists every run.

# %%
page = report_html([RUN], title="my drawings")
Path("my_report.html").write_text(page)  # open it in a browser, or see it here:
frame = f'<iframe srcdoc="{html.escape(page)}" style="width:100%; height:700px"></iframe>'
display({"text/html": frame}, raw=True)
