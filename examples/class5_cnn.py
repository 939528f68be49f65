"""
Title: Class 5 - convolutional networks on CIFAR-10 (CBAPD, LeNet5 ... ResNet18)
Course: "AI Practice: TensorFlow Notes" (PKU), class 5 (CIFAR10_CNN, FASHION_CNN):
        p24_*_datasets, p27_*_baseline, P31_*_lenet5, p34_*_alexnet8, p36_*_vgg16,
        p40_*_inception10, p46_*_resnet18
Description: a convolution slides a small filter over the image, so one set of weights
finds the same edge or texture anywhere. The course builds every network from one
pattern, CBAPD: Conv, BatchNorm, Activation, Pooling, Dropout.

    python examples/class5_cnn.py                       # Baseline, 5 epochs
    python examples/class5_cnn.py --model lenet5
    python examples/class5_cnn.py --model resnet18 --batch-size 128 --limit 5000
    python examples/class5_cnn.py --dataset fashion --model lenet5

Baseline and LeNet5 are written out below; AlexNet8, VGG16, Inception10 and ResNet18 come
from tfnote.models (read src/tfnote/models/ for their layers).
"""

import argparse

import tfnote
from tfnote import _tf
from tfnote.models import build_model

# TensorFlow and Keras, imported without TensorFlow's C++ start-up log lines (oneDNN,
# CPU features), as the tfnote command does
_, keras = _tf.load()
layers = keras.layers

MODELS = ["baseline", "lenet5", "alexnet8", "vgg16", "inception10", "resnet18"]
# The course's validation accuracy on CIFAR-10 after 5 epochs (its own result table).
COURSE_RESULT = {"baseline": 0.4177, "lenet5": 0.4832, "alexnet8": 0.6194,
                 "vgg16": 0.6690, "inception10": 0.4453, "resnet18": 0.6276}  # fmt: skip

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
parser.add_argument("--model", choices=MODELS, default="baseline")
parser.add_argument("--dataset", choices=["cifar10", "fashion"], default="cifar10")
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--batch-size", type=int, default=32, help="course: 32 (ResNet18 128)")
parser.add_argument("--limit", type=int, help="train on the first N training images only")
parser.add_argument(
    "--data-dir",
    help="where cifar-10-batches-py / the Fashion files are (default: $TFNOTE_DATA,\n"
    "then the Keras cache ~/.keras/datasets; else downloaded)",
)
parser.add_argument("--out", help="run folder (default runs/class5/MODEL-DATASET)")
parser.add_argument("--fresh", action="store_true", help="start over instead of resuming")
args = parser.parse_args()

"""
## Prepare the data (p24)

CIFAR-10: 50,000 training and 10,000 test colour photos, 32x32x3, of 10 classes
(airplane, automobile, bird, ...). Fashion-MNIST's 28x28 grey images get the channel axis
the convolutions need: (N, 28, 28, 1). Pixels / 255 as before.
"""

try:
    data = tfnote.load_dataset(args.dataset, data_dir=args.data_dir)
except tfnote.TfnoteError as e:
    parser.error(str(e))  # one line and exit code 2, like a wrong flag
x_train = data.x_train[: args.limit].astype("float32") / 255
y_train = data.y_train[: args.limit]
x_test, y_test = data.x_test.astype("float32") / 255, data.y_test
print(f"{data.name}: {x_train.shape[0]} training images {x_train.shape[1:]}, classes:")
print(", ".join(data.class_names))

"""
## Build the model (p27: Baseline, P31: LeNet5)
"""


def baseline(input_shape):
    """One CBAPD block, then a classifier. The course wrote it as a Model subclass;
    a Sequential of the same layers is the same network."""
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(6, kernel_size=(5, 5), padding="same"),  # C: 6 filters of 5x5
            layers.BatchNormalization(),  # B: normalize each filter's output
            layers.Activation("relu"),  # A
            layers.MaxPool2D(pool_size=(2, 2), strides=2, padding="same"),  # P: halve H, W
            layers.Dropout(0.2),  # D: drop 20% of the values while training
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(10, activation="softmax"),
        ]
    )


def lenet5(input_shape):
    """LeCun's 1998 network: two sigmoid convolutions without padding, no BatchNorm."""
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


keras.utils.set_random_seed(1)
if args.model == "baseline":
    model = baseline(data.input_shape)
elif args.model == "lenet5":
    model = lenet5(data.input_shape)
else:  # the bigger ones, as the course wrote them (tfnote/models/*.py)
    model = build_model(args.model, data.input_shape, 10)
model.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=False),
    metrics=["sparse_categorical_accuracy"],
)
model.summary()

"""
## Train

The course saved a checkpoint per model and wrote weights.txt and the curves; the run
folder does all of that, and running the command again resumes an interrupted run.
"""

out = args.out or f"runs/class5/{args.model}-{args.dataset}"
model.fit(
    x_train,
    y_train,
    batch_size=args.batch_size,
    epochs=args.epochs,
    validation_data=(x_test, y_test),
    validation_freq=1,
    callbacks=[tfnote.RunFolder(out, data=data, scale=1 / 255, fresh=args.fresh)],
)

"""
## Evaluate
"""

_, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"{args.model} on {data.name}: test accuracy {acc:.4f}")
if args.dataset == "cifar10":
    print(f"(the course's {args.model} after 5 epochs: {COURSE_RESULT[args.model]:.4f})")
print(f"run folder: {out} (curves.png, weights.txt, summary.txt, best.weights.h5)")
