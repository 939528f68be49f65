"""
Title: Class 6 - recurrent networks: the next letter, and Moutai's share price
Course: "AI Practice: TensorFlow Notes" (PKU), class 6: p21_rnn_onehot_4pre1,
        p32_rnn_embedding_4pre1 (and their 1pre1 versions), p38_rnn_stock,
        p47_LSTM_stock, p56_GRU_stock
Description: a recurrent layer reads a sequence one step at a time and carries a memory
(its state) from step to step, so its output can depend on what came before.

    python examples/class6_rnn.py                       # letters, then LSTM
    python examples/class6_rnn.py --part letters
    python examples/class6_rnn.py --part stock --cell GRU --data-dir FOLDER

The stock part reads the course's SH600519.csv (Kweichow Moutai, daily prices) from
--data-dir, else from $TFNOTE_DATA or the Keras cache (~/.keras/datasets).
"""

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.preprocessing import MinMaxScaler

import tfnote
from tfnote import _tf
from tfnote.data.locate import find_file

# TensorFlow and Keras, imported without TensorFlow's C++ start-up log lines (oneDNN,
# CPU features), as the tfnote command does
_, keras = _tf.load()
layers = keras.layers

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
parser.add_argument("--part", choices=["letters", "stock"], help="one part only")
parser.add_argument("--letter-epochs", type=int, default=100, help="course: 100")
parser.add_argument("--cell", choices=["SimpleRNN", "LSTM", "GRU"], default="LSTM")
parser.add_argument("--epochs", type=int, default=50, help="stock epochs (course: 50)")
parser.add_argument("--data-dir", help="folder holding SH600519.csv (default: see above)")
parser.add_argument("--out", default="runs/class6", help="parent folder of the run folders")
parser.add_argument("--fresh", action="store_true", help="start over instead of resuming")
args = parser.parse_args()
out = Path(args.out)


"""
## Letters, one-hot (p21_rnn_onehot_4pre1)

Four letters in, the next one out: "abcd" -> "e", "bcde" -> "a", ... Each letter is a
one-hot row of 5, so one sample is 4 time steps of 5 numbers: shape (4, 5).
SimpleRNN(3) keeps 3 numbers of memory; Dense(5, softmax) turns them into probabilities.
"""

if args.part in (None, "letters"):
    word = "abcde"
    onehot = np.eye(len(word), dtype="float32")  # row i is letter i's one-hot code
    starts = range(len(word))  # the windows wrap around: "eabc" -> "d"
    windows = ["".join(word[(s + k) % 5] for k in range(4)) for s in starts]
    x_train = np.array([[onehot[word.index(ch)] for ch in w] for w in windows])  # (5, 4, 5)
    y_train = np.array([word.index(word[(s + 4) % 5]) for s in starts])

    keras.utils.set_random_seed(7)
    model = keras.Sequential(
        [keras.Input(shape=(4, 5)), layers.SimpleRNN(3), layers.Dense(5, activation="softmax")]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    run = tfnote.RunFolder(out / "letters-onehot", class_names=list(word), fresh=args.fresh)
    model.fit(x_train, y_train, epochs=args.letter_epochs, callbacks=[run], verbose=0)  # batch 32
    model.summary()
    guesses = np.argmax(model.predict(x_train, verbose=0), axis=1)
    print("one-hot:", ", ".join(f"{w}->{word[g]}" for w, g in zip(windows, guesses)))
    print(f"letters one-hot accuracy: {np.mean(guesses == y_train):.2f}")

"""
## Letters, Embedding (p32_rnn_embedding_4pre1)

One-hot codes grow with the alphabet and say nothing about which letters are alike.
An Embedding layer learns a short vector per letter instead (here 2 numbers for each of 26
letters); its input is just the letter's number. 22 windows: "abcd" -> "e" ... "vwxy" -> "z".
"""

if args.part in (None, "letters"):
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    ids = np.arange(26)
    x_train = np.array([ids[i - 4 : i] for i in range(4, 26)])  # (22, 4) letter numbers
    y_train = ids[4:]

    keras.utils.set_random_seed(7)
    model = keras.Sequential(
        [
            keras.Input(shape=(4,)),
            layers.Embedding(26, 2),  # letter number -> 2 learned numbers
            layers.SimpleRNN(10),
            layers.Dense(26, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    run = tfnote.RunFolder(out / "letters-embedding", class_names=list(alphabet), fresh=args.fresh)
    model.fit(x_train, y_train, epochs=args.letter_epochs, callbacks=[run], verbose=0)  # batch 32
    model.summary()
    guesses = np.argmax(model.predict(x_train, verbose=0), axis=1)
    pairs = [f"{alphabet[i - 4 : i]}->{alphabet[g]}" for i, g in zip(range(4, 26), guesses)]
    print("embedding:", " ".join(pairs))
    print(f"letters embedding accuracy: {np.mean(guesses == y_train):.2f}")

"""
## The stock: prepare the data (p37, p38)

2,426 trading days of Kweichow Moutai (600519). Only the opening price is used. The first
2,126 days train, the last 300 test. Prices are scaled to 0..1 with the training days'
minimum and maximum only: the test days must stay unseen. Each sample is 60 days of
prices; its label is day 61's price (2,066 training and 240 test samples).
"""

if args.part in (None, "stock"):
    try:
        csv = find_file("SH600519.csv", args.data_dir, hint="pass --data-dir")
    except tfnote.TfnoteError as e:
        parser.error(str(e))
    maotai = pd.read_csv(csv)
    prices = maotai["open"].to_numpy(dtype="float32").reshape(-1, 1)  # the course: iloc[:, 2:3]
    training_set, test_set = prices[:-300], prices[-300:]
    scaler = MinMaxScaler(feature_range=(0, 1))
    train_scaled = scaler.fit_transform(training_set)  # fit: learn min and max, train only
    test_scaled = scaler.transform(test_set)

    def windows(series, days=60):
        x = np.array([series[i - days : i, 0] for i in range(days, len(series))])
        return x.reshape(-1, days, 1), series[days:, 0]  # (samples, 60 time steps, 1 price)

    x_train, y_train = windows(train_scaled)
    x_test, y_test = windows(test_scaled)
    print(f"stock: {csv}, {len(x_train)} training and {len(x_test)} test windows")

"""
## The stock: build the model and train (p38 SimpleRNN, p47 LSTM, p56 GRU)

Two recurrent layers: the first passes its output at every time step to the second
(return_sequences=True), the second only its last. LSTM and GRU add gates that decide what
to keep and what to forget, so they remember longer than SimpleRNN.
"""

if args.part in (None, "stock"):
    cell = getattr(layers, args.cell)  # layers.SimpleRNN, layers.LSTM or layers.GRU
    keras.utils.set_random_seed(7)
    model = keras.Sequential(
        [
            keras.Input(shape=(60, 1)),
            cell(80, return_sequences=True),
            layers.Dropout(0.2),
            cell(100),
            layers.Dropout(0.2),
            layers.Dense(1),
        ]
    )
    run_dir = out / f"stock-{args.cell.lower()}"
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="mean_squared_error")
    model.fit(
        x_train,
        y_train,
        batch_size=64,
        epochs=args.epochs,
        validation_data=(x_test, y_test),
        validation_freq=1,
        callbacks=[tfnote.RunFolder(run_dir, fresh=args.fresh)],  # best: lowest val_loss
    )
    model.summary()

"""
## The stock: evaluate

Predictions go back to yuan with the scaler's inverse. The naive forecast "tomorrow opens
where today opened" is the bar to beat: a network that only learned to copy the last
price of its window scores about the same.
"""

if args.part in (None, "stock"):
    predicted = scaler.inverse_transform(model.predict(x_test, verbose=0))[:, 0]
    real = test_set[60:, 0]
    naive = test_set[59:-1, 0]  # each test day's previous opening price

    def errors(guess):
        mse = float(np.mean((guess - real) ** 2))
        return f"MSE {mse:.2f}, RMSE {np.sqrt(mse):.2f}, MAE {np.mean(np.abs(guess - real)):.2f}"

    print(f"{args.cell}: {errors(predicted)}")
    print(f"naive (tomorrow = today's open): {errors(naive)}")
    print("(the course: SimpleRNN RMSE 63.75, LSTM 55.53, GRU 41.75 after 50 epochs)")
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(real, color="red", label="MaoTai Stock Price")
    ax.plot(predicted, color="blue", label="Predicted MaoTai Stock Price")
    ax.set(title="MaoTai Stock Price Prediction", xlabel="Time", ylabel="MaoTai Stock Price")
    ax.legend()
    fig.savefig(run_dir / "prediction.png")
    print("prediction figure:", run_dir / "prediction.png")
