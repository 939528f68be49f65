"""
Title: Class 4 - extending the six steps: own data, augmentation, 断点续训, 参数提取, 给图识物
Course: "AI Practice: TensorFlow Notes" (PKU), class 4 (MNIST_FC, FASHION_FC):
        p4_*_train_baseline, p8_*_train_ex1 (self-made dataset),
        p11_show_augmented_images, p13_*_train_ex2 (augmentation), p16_*_train_ex3 (resume),
        p19_*_train_ex4 (parameter extraction), p23_*_train_ex5 (acc/loss curves),
        p27/p28_*_app (recognize your own image)
Description: class 3's MNIST network, trained on a dataset made from image files, with
optional data augmentation, resumable training, its parameters written out, its curves
drawn, and then asked to read photos of handwritten digits.

    python examples/class4_mnist_extended.py --photos $TFNOTE_DATA/digits
    python examples/class4_mnist_extended.py \\
        --data image-label:$TFNOTE_DATA/mnist_image_label --out runs/class4-own
    python examples/class4_mnist_extended.py --data fashion --augment --epochs 10

Run a command again and training continues where it stopped (断点续训); --fresh restarts.
"""

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

import tfnote
from tfnote import _tf

# TensorFlow and Keras, imported without TensorFlow's C++ start-up log lines (oneDNN,
# CPU features), as the tfnote command does
_, keras = _tf.load()
layers = keras.layers

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
parser.add_argument("--data", default="mnist", help="mnist, fashion or image-label:PATH")
parser.add_argument(
    "--data-dir",
    help="where mnist.npz / the Fashion-MNIST files are (default: $TFNOTE_DATA,\n"
    "then the Keras cache ~/.keras/datasets; else downloaded)",
)
parser.add_argument("--augment", action="store_true", help="random rotations, shifts, zooms")
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--limit", type=int, help="train on the first N training images only")
parser.add_argument("--out", default="runs/class4", help="the run folder")
parser.add_argument("--fresh", action="store_true", help="start over instead of resuming")
parser.add_argument("--photos", nargs="*", default=[], help="image files or folders to read")
parser.add_argument(
    "--prepare",
    choices=["threshold", "invert"],
    help="how a photo becomes white on black (default: threshold for digits, invert else)",
)
args = parser.parse_args()
out = Path(args.out)

"""
## Prepare the data (p8: a self-made dataset)

The course's own format is a folder of images plus a label file, one "<file> <label>"
per line (e.g. "28755_0.jpg 0"). load_dataset("image-label:FOLDER") reads every image as
grey pixels, checks them and caches the arrays in a .npz file, so the next run skips
decoding. "mnist" and "fashion" read the standard files instead. Every image dataset comes
back the same way: uint8 arrays shaped (N, 28, 28, 1).
"""

try:
    data = tfnote.load_dataset(args.data, data_dir=args.data_dir)
except tfnote.TfnoteError as e:
    parser.error(str(e))  # one line and exit code 2, like a wrong flag
print(f"data: {data.source}, {len(data.x_train)} train / {len(data.x_test)} test images")
x_train = data.x_train[: args.limit].astype("float32") / 255
y_train = data.y_train[: args.limit]
x_test, y_test = data.x_test.astype("float32") / 255, data.y_test
digits = data.class_names == [str(d) for d in range(10)]

"""
## Data augmentation (p11, p13)

More variety from the same images: every epoch each image is randomly rotated, shifted and
zoomed, so the network cannot memorize exact pixels. The course's ImageDataGenerator is
gone from Keras 3; preprocessing layers do the same. Inside the model they are active only
while training (fit) and pass images through unchanged in evaluate and predict.
"""

augment = keras.Sequential(
    [
        layers.RandomRotation(45 / 360, fill_mode="nearest"),  # rotation_range=45 (degrees)
        layers.RandomTranslation(0.15, 0.15, fill_mode="nearest"),  # width/height_shift 0.15
        layers.RandomZoom(0.5, 0.5, fill_mode="nearest"),  # zoom_range=0.5
    ]
    # A mirrored shoe is still a shoe, a mirrored 3 is not: flip clothes only.
    + ([] if digits else [layers.RandomFlip("horizontal")]),
    name="augment",
)

if args.augment:  # p11_show_augmented_images: originals on top, augmented below
    out.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(2, 8, figsize=(12, 3.4))
    for i, image in enumerate(augment(x_train[:8], training=True)):
        axes[0, i].imshow(x_train[i, :, :, 0], cmap="gray")
        axes[1, i].imshow(image[:, :, 0], cmap="gray")
    for ax in axes.ravel():
        ax.axis("off")
    fig.savefig(out / "augmented.png")
    print("augmented samples:", out / "augmented.png")

"""
## Build the model (p4: the baseline, class 3's network)
"""

keras.utils.set_random_seed(1)
model = keras.Sequential(
    [keras.Input(shape=data.input_shape)]
    + ([augment] if args.augment else [])
    + [
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ]
)
model.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=False),
    metrics=["sparse_categorical_accuracy"],
)

"""
## Train (p16: 断点续训, resume training)

The course loads its checkpoint if one exists and saves the best weights after each epoch
(ModelCheckpoint). tfnote.RunFolder does both and more: it also saves the optimizer's
state, so a run stopped after epoch 3 of 5 and started again trains epochs 4 and 5 exactly
as if it had never stopped. A finished run is not trained again (more --epochs extend it).
"""

run = tfnote.RunFolder(out, data=data, scale=1 / 255, fresh=args.fresh)
model.fit(
    x_train,
    y_train,
    batch_size=32,
    epochs=args.epochs,
    validation_data=(x_test, y_test),
    validation_freq=1,
    callbacks=[run],
)
model.summary()

"""
## Evaluate (p19: 参数提取, p23: acc/loss curves)

The run folder now holds weights.txt, every trainable variable with its shape and all its
values (the course's np.set_printoptions(threshold=np.inf) dump), and curves.png, the
course's figure: accuracy and validation accuracy, loss and validation loss.
"""

for variable in model.trainable_variables:
    print(f"parameter {variable.path}: shape {tuple(variable.shape)}")
print("all values:", out / "weights.txt", "| curves:", out / "curves.png")
print(f"epochs trained so far: {len(run.history)}")
model.load_weights(out / "best.weights.h5")  # the best epoch (lowest val_loss), as the course
_, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy (best epoch): {acc:.4f}")

"""
## 给图识物: recognize your own images (p27, p28)

A photo is dark ink on white paper and much bigger than 28x28; MNIST digits are white on
black. So: grey, resize to 28x28, then make the ink white. For digits the course
thresholds (pixels darker than 200 become 255, the rest 0); for clothes it inverts
(255 - x). Then / 255 as in training, and the class with the highest probability wins.
(`tfnote predict RUN PHOTOS` centres and scales the object as MNIST did: more reliable.)
"""

photos = []
for path in map(Path, args.photos):  # a folder means every image in it
    if path.is_dir():
        photos += sorted(p for p in path.iterdir() if p.suffix.lower() in (".png", ".jpg"))
    else:
        photos.append(path)
prepare = args.prepare or ("threshold" if digits else "invert")
right = 0
for path in photos:
    image = Image.open(path).convert("L").resize((28, 28), Image.Resampling.LANCZOS)
    pixels = np.array(image, dtype="float32")
    if prepare == "threshold":
        pixels = np.where(pixels < 200, 255.0, 0.0)
    else:
        pixels = 255 - pixels
    probs = model.predict(pixels.reshape(1, 28, 28, 1) / 255, verbose=0)[0]
    answer = data.class_names[int(np.argmax(probs))]
    right += answer == path.stem
    print(f"{path.name}: {answer} (probability {probs.max():.2f})")
if photos and digits:
    print(f"photos read right: {right} of {len(photos)} (a file's name is its digit)")
