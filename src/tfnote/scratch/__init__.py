"""The raw-TensorFlow track of classes 1 and 2: everything written by hand with tensors.

No Keras layers and no `fit` here: variables, GradientTape and explicit update rules, so
every step the course derives on the blackboard is a line of code you can read.

    backprop.py        gradient descent on loss = (w + 1)^2; exponential lr decay
    iris.py            the class-1 iris classifier (w1[4, 3], b1[3], softmax, MSE)
    optimizers.py      SGD, SGDM, Adagrad, RMSProp, Adam as explicit update rules
    compare.py         the class-2 template: every optimizer on iris, curves and a table
    loop.py            the training loop, compiled into one graph (tf.function)
    losses.py          MSE, the cost-sensitive "yogurt" loss, cross entropy
    activations.py     sigmoid, tanh, ReLU, Leaky ReLU and their derivatives
    regularization.py  the 2-11-1 net on dot.csv, without and with L2

Quick start (the same as `tfnote iris-scratch`):

    >>> from tfnote.scratch.iris import train_iris
    >>> result = train_iris("adam", lr=0.1, epochs=500)
    >>> result.test_accuracy[-1], result.seconds

Each command is one `run_*` function that trains and writes its figures and files into
`out` (default runs/<command>), so a notebook gets what the command line gets:

    run_descent (backprop.py)               tfnote backprop, tfnote lr-decay
    run_iris (iris.py)                      tfnote iris-scratch
    run_comparison (compare.py)             tfnote optimizers
    run_losses (losses.py)                  tfnote losses
    run_activations (activations.py)        tfnote activations
    run_regularization (regularization.py)  tfnote regularization

    >>> from tfnote.scratch.compare import run_comparison
    >>> rows = run_comparison("sgd,adam", settings=[(0.1, 100)], out="runs/mine")

Importing this package does not import TensorFlow; the functions load it on first use.
"""
