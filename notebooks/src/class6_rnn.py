# %% [markdown]
# # 第六讲：循环神经网络 Class 6: recurrent neural networks
#
# "AI Practice: TensorFlow Notes" (PKU), class 6: `p15_rnn_onehot_1pre1`,
# `p21_rnn_onehot_4pre1`, `p27_rnn_embedding_1pre1`, `p32_rnn_embedding_4pre1`,
# `p38_rnn_stock`, `p47_LSTM_stock`, `p56_GRU_stock`.
#
# 循环神经网络（RNN）一个时间步一个时间步地读序列，并把记忆（隐状态）从一步带到下一步，所以输出可以取决于
# 前面读到的内容。A recurrent layer reads a sequence one time step at a time and carries a
# memory (its hidden state) from step to step, so its output can depend on what came before.

# %%
# TensorFlow prints C++ start-up notices (oneDNN, absl) when it loads: load it quietly.
# TensorFlow 加载时会打印 C++ 启动信息（oneDNN、absl）：先安静地加载它。
from tfnote.notebook import quiet_tensorflow

quiet_tensorflow()

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from keras import layers
from sklearn.preprocessing import MinMaxScaler

import tfnote
from tfnote.data.locate import find_file
from tfnote.notebook import quick

QUICK = quick()  # TFNOTE_QUICK=1: a short run for CI; the course's settings otherwise
LETTER_EPOCHS = 30 if QUICK else 100  # the course: 100

# %% [markdown]
# ## 1. 字母预测：独热编码 Letters, one-hot (p21_rnn_onehot_4pre1)
#
# 输入四个字母，预测下一个："abcd" → "e"，"bcde" → "a" ……每个字母是长度 5 的独热编码，一个样本是 4 个
# 时间步、每步 5 个数：形状 (4, 5)。SimpleRNN(3) 保留 3 个数的记忆，Dense(5, softmax) 给出概率。
# Four letters in, the next one out. Each letter is a one-hot row of 5, so one sample is 4
# time steps of 5 numbers: shape (4, 5). SimpleRNN(3) keeps 3 numbers of memory.

# %%
word = "abcde"
onehot = np.eye(len(word), dtype="float32")  # row i is letter i's one-hot code
windows = ["".join(word[(s + k) % 5] for k in range(4)) for s in range(5)]  # wraps: "eabc"
x_train = np.array([[onehot[word.index(ch)] for ch in w] for w in windows])  # (5, 4, 5)
y_train = np.array([word.index(word[(s + 4) % 5]) for s in range(5)])

keras.utils.set_random_seed(7)
model = keras.Sequential(
    [keras.Input(shape=(4, 5)), layers.SimpleRNN(3), layers.Dense(5, activation="softmax")]
)
model.compile(
    optimizer=keras.optimizers.Adam(0.01),
    loss="sparse_categorical_crossentropy",
    metrics=["sparse_categorical_accuracy"],
)
run = tfnote.RunFolder("runs/class6/letters-onehot", class_names=list(word), fresh=True)
model.fit(x_train, y_train, batch_size=32, epochs=LETTER_EPOCHS, callbacks=[run], verbose=0)
model.summary()  # SimpleRNN: (5 inputs + 3 state + 1) * 3 = 27 parameters
guesses = np.argmax(model.predict(x_train, verbose=0), axis=1)
print("predictions:", ", ".join(f"{w} -> {word[g]}" for w, g in zip(windows, guesses)))

# %% [markdown]
# ## 2. 字母预测：嵌入层 Letters, Embedding (p32_rnn_embedding_4pre1)
#
# 独热编码随字母表变长，也看不出哪些字母相近。嵌入层（Embedding）为每个字母学一个短向量（这里 26 个
# 字母各 2 个数），输入只是字母的序号。22 个窗口："abcd" → "e" … "vwxy" → "z"。One-hot codes grow
# with the alphabet and say nothing about which letters are alike; an Embedding layer
# learns a short vector per letter (2 numbers for each of 26 letters) from its number.

# %%
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
run = tfnote.RunFolder("runs/class6/letters-embedding", class_names=list(alphabet), fresh=True)
model.fit(x_train, y_train, batch_size=32, epochs=LETTER_EPOCHS, callbacks=[run], verbose=0)
guesses = np.argmax(model.predict(x_train, verbose=0), axis=1)
print(
    f"accuracy {np.mean(guesses == y_train):.2f}:",
    " ".join(f"{alphabet[i - 4 : i]}->{alphabet[g]}" for i, g in zip(range(4, 26), guesses)),
)

vectors = model.layers[0].get_weights()[0]  # (26, 2): each letter's learned vector
fig, ax = plt.subplots(figsize=(5, 4))
ax.scatter(vectors[:, 0], vectors[:, 1], s=10)
for letter, (u, v) in zip(alphabet, vectors):
    ax.annotate(letter, (u, v), fontsize=10)
ax.set(title="the Embedding's vector for each letter", xlabel="dimension 1", ylabel="dimension 2")
plt.show()

# %% [markdown]
# ## 3. 股票预测：准备数据 Moutai's share price: the data (p37_tushare, p38_rnn_stock)
#
# 贵州茅台（600519）2,426 个交易日，只用开盘价。前 2,126 天训练，后 300 天测试。用训练部分的最小值和
# 最大值缩放到 0..1（测试数据不能提前看）。每个样本是 60 天的价格，标签是第 61 天的价格。
# 2,426 trading days of Kweichow Moutai; only the opening price is used. The first 2,126
# days train, the last 300 test; prices are scaled to 0..1 with the training days' minimum
# and maximum only. Each sample is 60 days of prices; its label is day 61's price.
#
# 数据是课程的 `SH600519.csv`：放在当前文件夹（Colab：上传到文件面板）、`TFNOTE_DATA` 或 Keras 缓存
# 中；也可以用 `tfnote fetch-prices 600519 --out SH600519.csv` 下载（需要 akshare）。The course's
# `SH600519.csv`: in the current folder (Colab: upload it in the Files panel), in
# `TFNOTE_DATA` or the Keras cache; or fetch it with `tfnote fetch-prices` (needs akshare).

# %%
csv = find_file("SH600519.csv", current_folder=True, hint="see the cell above for where to get it")
prices = pd.read_csv(csv)["open"].to_numpy(dtype="float32").reshape(-1, 1)
training_set, test_set = prices[:-300], prices[-300:]
scaler = MinMaxScaler(feature_range=(0, 1))
train_scaled = scaler.fit_transform(training_set)  # fit: learn min and max, training days only
test_scaled = scaler.transform(test_set)


def windows_of(series, days=60):
    x = np.array([series[i - days : i, 0] for i in range(days, len(series))])
    return x.reshape(-1, days, 1), series[days:, 0]  # (samples, 60 time steps, 1 price)


x_train, y_train = windows_of(train_scaled)
x_test, y_test = windows_of(test_scaled)
print(f"{csv}: {len(x_train)} training and {len(x_test)} test windows")

# %% [markdown]
# ## 4. 搭建与训练 Build and train (p38 SimpleRNN, p47 LSTM, p56 GRU)
#
# 两个循环层：第一层在每个时间步都输出（`return_sequences=True`），第二层只输出最后一步。长短期记忆网络
# （LSTM）和门控循环单元（GRU）用门决定记住什么、忘掉什么，比 SimpleRNN 记得更久。换 `CELL` 比较三者。
# Two recurrent layers: the first passes its output at every time step to the second, the
# second only its last. LSTM and GRU have gates that decide what to keep and what to
# forget. Change `CELL` to compare the three.

# %%
CELL = "LSTM"  # or "SimpleRNN", "GRU"
STOCK_EPOCHS = 2 if QUICK else 50  # the course: 50
FROM = -600 if QUICK else 0  # quick: the last 600 training windows only
cell = getattr(layers, CELL)
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
model.compile(optimizer=keras.optimizers.Adam(0.001), loss="mean_squared_error")
run = tfnote.RunFolder(f"runs/class6/stock-{CELL.lower()}", fresh=True)  # best: lowest val_loss
model.fit(
    x_train[FROM:],
    y_train[FROM:],
    batch_size=64,
    epochs=STOCK_EPOCHS,
    validation_data=(x_test, y_test),
    validation_freq=1,
    callbacks=[run],
    verbose=2,
)

# %% [markdown]
# ## 5. 评估 Evaluate
#
# 用缩放器的逆变换把预测换回元。朴素预测"明天开盘价 = 今天开盘价"是要超过的基准：一个只学会复制窗口最后
# 一个价格的网络，得分也差不多。Predictions go back to yuan with the scaler's inverse. The
# naive forecast "tomorrow opens where today opened" is the bar to beat (`tfnote forecast`
# tests the difference properly).

# %%
predicted = scaler.inverse_transform(model.predict(x_test, verbose=0))[:, 0]
real = test_set[60:, 0]
naive = test_set[59:-1, 0]  # each test day's previous opening price


def errors(guess):
    mse = float(np.mean((guess - real) ** 2))
    return f"MSE {mse:.2f}, RMSE {np.sqrt(mse):.2f}, MAE {np.mean(np.abs(guess - real)):.2f}"


print(f"{CELL}, {STOCK_EPOCHS} epochs: {errors(predicted)}")
print(f"naive (tomorrow = today's open): {errors(naive)}")
print("(the course after 50 epochs: SimpleRNN RMSE 63.75, LSTM 55.53, GRU 41.75)")
fig, ax = plt.subplots(figsize=(9, 3.8))
ax.plot(real, color="red", label="MaoTai Stock Price")
ax.plot(predicted, color="blue", label=f"Predicted MaoTai Stock Price ({CELL})")
ax.set(title="MaoTai Stock Price Prediction", xlabel="Time", ylabel="MaoTai Stock Price")
ax.legend()
plt.show()
