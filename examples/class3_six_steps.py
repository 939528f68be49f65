"""
Title: Class 3 - the six-step method (六步法) with Keras
Course: "AI Practice: TensorFlow Notes" (PKU), class 3: p8_iris_sequential, p11_iris_class,
        p13_mnist_datasets, p14_mnist_sequential, p15_mnist_class,
        p16_fashion_sequential, p16_fashion_class
Description: every Keras program has the same six steps: import, data, model, compile,
fit, summary. Here they train iris, MNIST and Fashion-MNIST, each with a Sequential model
and with a Model subclass.

    python examples/class3_six_steps.py                     # all six programs
    python examples/class3_six_steps.py --dataset mnist --out runs/p14
    python examples/class3_six_steps.py --dataset fashion --style class --epochs 10

Each program trains into a run folder (tfnote.RunFolder): run the same command again
after Ctrl-C or a crash and training continues after the last finished epoch (断点续训;
--fresh starts over). The folder gets curves.png, weights.txt, summary.txt, history.csv.
"""

# Step 1: import
import argparse

import tfnote
from tfnote import _tf

# TensorFlow and Keras, imported without TensorFlow's C++ start-up log lines (oneDNN,
# CPU features), as the tfnote command does
_, keras = _tf.load()
layers = keras.layers

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
parser.add_argument("--dataset", choices=["iris", "mnist", "fashion"], help="one program only")
parser.add_argument("--style", choices=["sequential", "class"], help="one model style only")
parser.add_argument("--epochs", type=int, help="default: the course's (iris 500, images 5)")
parser.add_argument("--limit", type=int, help="train on the first N training samples only")
parser.add_argument(
    "--data-dir",
    help="where mnist.npz / the Fashion-MNIST files are (default: $TFNOTE_DATA,\n"
    "then the Keras cache ~/.keras/datasets; else downloaded)",
)
parser.add_argument("--out", help="run folder (one program) or parent folder (several)")
parser.add_argument("--fresh", action="store_true", help="start over instead of resuming")
args = parser.parse_args()

"""
## The iris programs (p8_iris_sequential, p11_iris_class)

One Dense layer of 3 softmax outputs, with an L2 penalty on its weights. Keras does what
class 1 wrote by hand: the forward pass, the loss, the gradients and the updates.
"""


def iris_sequential():
    return keras.Sequential(
        [
            keras.Input(shape=(4,)),  # 4 measurements per flower
            layers.Dense(3, activation="softmax", kernel_regularizer=keras.regularizers.l2()),
        ]
    )


# A Model subclass: layers in __init__, the forward pass in call(). Registering the class
# lets Keras save it as model.keras; loading it needs this class imported first, so tools
# such as `tfnote predict` can only read the Sequential versions' run folders.
@keras.saving.register_keras_serializable()
class IrisModel(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # sigmoid as in the course's p11 (p8 uses softmax): try both and compare.
        self.d1 = layers.Dense(3, activation="sigmoid", kernel_regularizer=keras.regularizers.l2())

    def call(self, x):
        return self.d1(x)


def iris_program(style, out):
    # Step 2: data. 150 flowers, shuffled with the course's seed 116.
    data = tfnote.load_dataset("iris")
    x_train, y_train = data.x_train[: args.limit], data.y_train[: args.limit]
    keras.utils.set_random_seed(116)  # the same initial weights each run

    # Step 3: the model
    model = iris_sequential() if style == "sequential" else IrisModel()

    # Step 4: compile. The output is already a probability distribution (softmax), so
    # from_logits=False; labels are integers 0..2, so the "sparse" loss and accuracy.
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.1),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=False),
        metrics=["sparse_categorical_accuracy"],
    )

    # Step 5: fit. The last 20% of the data is kept apart for validation, checked every
    # 20 epochs.
    model.fit(
        x_train,
        y_train,
        batch_size=32,
        epochs=args.epochs or 500,
        validation_split=0.2,
        validation_freq=20,
        callbacks=[tfnote.RunFolder(out, data=data, fresh=args.fresh)],
    )

    # Step 6: summary. Parameters per Dense layer: (inputs + 1) * outputs = (4 + 1) * 3.
    model.summary()
    n_val = int(len(x_train) * 0.2)
    _, acc = model.evaluate(x_train[-n_val:], y_train[-n_val:], verbose=0)
    print(f"iris validation accuracy: {acc:.4f}")


"""
## The image programs (p13-p16: MNIST and Fashion-MNIST)

28x28 grey images of digits (MNIST) or clothes (Fashion-MNIST), 60,000 to train and
10,000 to test. Flatten the image to 784 numbers, one hidden layer of 128 ReLU units,
10 softmax outputs: about 97.5-98% on MNIST and 88% on Fashion-MNIST after 5 epochs.
"""


def mlp_sequential():
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )


@keras.saving.register_keras_serializable()
class MnistModel(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.flatten = layers.Flatten()
        self.d1 = layers.Dense(128, activation="relu")
        self.d2 = layers.Dense(10, activation="softmax")

    def call(self, x):
        return self.d2(self.d1(self.flatten(x)))


def show_sample(data):
    """p13_mnist_datasets: the arrays' shapes and the first image as text."""
    label = data.y_train[0]
    print(f"{data.name}: x_train {data.x_train.shape} {data.x_train.dtype}", end=", ")
    print(f"x_test {data.x_test.shape}; first image, label {label} ({data.class_names[label]}):")
    for row in data.x_train[0, ::2, :, 0]:  # every other row: characters are tall
        print("".join("#" if pixel > 127 else "." for pixel in row))


def image_program(name, style, out):
    # Step 2: data. tfnote.load_dataset finds the files (or downloads them, as
    # keras.datasets would) and returns uint8 arrays shaped (N, 28, 28, 1).
    try:
        data = tfnote.load_dataset(name, data_dir=args.data_dir)
    except tfnote.TfnoteError as e:
        parser.error(str(e))  # one line and exit code 2, like a wrong flag
    show_sample(data)
    # Pixels 0..255 -> 0..1: small inputs keep the first layer's outputs in a good range.
    # float32 because that is what Keras computes in (and half the memory of float64).
    x_train = data.x_train[: args.limit].astype("float32") / 255
    y_train = data.y_train[: args.limit]
    x_test, y_test = data.x_test.astype("float32") / 255, data.y_test

    # Step 3: the model
    model = mlp_sequential() if style == "sequential" else MnistModel()

    # Step 4: compile
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=False),
        metrics=["sparse_categorical_accuracy"],
    )

    # Step 5: fit, checking the test set after every epoch. RunFolder saves each epoch;
    # scale=1/255 records how inputs were made, so `tfnote predict` can prepare photos.
    model.fit(
        x_train,
        y_train,
        batch_size=32,
        epochs=args.epochs or 5,
        validation_data=(x_test, y_test),
        validation_freq=1,
        callbacks=[tfnote.RunFolder(out, data=data, scale=1 / 255, fresh=args.fresh)],
    )

    # Step 6: summary. (784 + 1) * 128 + (128 + 1) * 10 = 101,770 parameters.
    model.summary()
    _, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"{name} test accuracy: {acc:.4f}")


"""
## Run the chosen programs
"""

PROGRAMS = {  # (dataset, style) -> the course's file name
    ("iris", "sequential"): "p8_iris_sequential",
    ("iris", "class"): "p11_iris_class",
    ("mnist", "sequential"): "p14_mnist_sequential",
    ("mnist", "class"): "p15_mnist_class",
    ("fashion", "sequential"): "p16_fashion_sequential",
    ("fashion", "class"): "p16_fashion_class",
}
# --dataset alone means its Sequential program; nothing means all six.
styles = [args.style] if args.style else ["sequential"] if args.dataset else ["sequential", "class"]
chosen = [
    (dataset, style, file_name)
    for (dataset, style), file_name in PROGRAMS.items()
    if dataset == (args.dataset or dataset) and style in styles
]
for dataset, style, file_name in chosen:
    # One program: --out is its run folder. Several: each gets a folder inside --out.
    if args.out and len(chosen) == 1:
        out = args.out
    else:
        out = f"{args.out or 'runs/class3'}/{file_name}"
    print(f"\n=== {file_name} -> {out}")
    if dataset == "iris":
        iris_program(style, out)
    else:
        image_program(dataset, style, out)
