"""Reference solutions of the exercises (kept in the tests, never shipped) and typical mistakes.

``SOLUTIONS[name]`` is a complete student file; ``MISTAKES[name]`` lists
(description, old, new, check) triples: replacing ``old`` by ``new`` in the
solution makes a typical mistake, and ``check`` is the check that must fail
first (so its hint is the one shown).
"""

from __future__ import annotations

HEAD = 'import math\n\nimport numpy as np\n\nimport microgradx as mg\n\nEXERCISE = "{name}"\n\n\n'

_BODIES = {
    "central_diff": '''
def central_diff(f, x, h=1e-4):
    return (f(x + h) - f(x - h)) / (2 * h)
''',
    "diff_error_order": '''
def forward_diff(f, x, h):
    return (f(x + h) - f(x)) / h


def _central(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


def error_order(f, df, x, method):
    diff = forward_diff if method == "forward" else _central
    h = 1e-2
    big = abs(diff(f, x, h) - df(x))
    small = abs(diff(f, x, h / 10) - df(x))
    return math.log10(big / small)
''',
    "numerical_gradient": '''
def numerical_gradient(f, x, h=1e-4):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        up = f(x)
        x[idx] = old - h
        down = f(x)
        x[idx] = old
        grad[idx] = (up - down) / (2 * h)
    return grad
''',
    "value_exp": '''
def exp_backward(x, out, grad):
    return out * grad
''',
    "value_tanh": '''
def tanh_backward(x, out, grad):
    return (1 - out ** 2) * grad
''',
    "value_pow": '''
def pow_backward(x, n, out, grad):
    return n * x ** (n - 1) * grad
''',
    "value_div": '''
def div_backward(a, b, out, grad):
    return grad / b, -grad * a / b ** 2
''',
    "function_sigmoid": '''
class Sigmoid(mg.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.sigmoid()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return grad * y * (1 - y)
''',
    "function_tanh": '''
class Tanh(mg.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.tanh()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return grad * (1 - y * y)
''',
    "function_softmax_ce": '''
class SoftmaxCrossEntropy(mg.Function):
    @staticmethod
    def forward(ctx, logits, targets):
        z = logits.data - logits.data.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        n = logits.data.shape[0]
        ctx.save_for_backward(np.exp(log_p), targets.data, n)
        return mg.Tensor(-(targets.data * log_p).sum() / n)

    @staticmethod
    def backward(ctx, grad):
        p, t, n = ctx.saved
        return grad * (p - t) / n, None
''',
    "two_layer_net": '''
def affine_backward(dout, x, W):
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def relu_backward(dout, x):
    return dout * (x > 0)


def softmax_with_loss_backward(scores, t):
    z = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return (p - t) / scores.shape[0]


def gradients(x, t, W1, b1, W2, b2):
    a1 = x @ W1 + b1
    h = np.maximum(a1, 0)
    scores = h @ W2 + b2
    dscores = softmax_with_loss_backward(scores, t)
    dh, dW2, db2 = affine_backward(dscores, h, W2)
    da1 = relu_backward(dh, a1)
    _, dW1, db1 = affine_backward(da1, x, W1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
''',
    "gradient_descent": '''
def gradient_descent(grad_f, init_x, lr=0.1, step_num=100):
    x = np.array(init_x, dtype=float)
    for _ in range(step_num):
        x -= lr * grad_f(x)
    return x
''',
    "learning_rate": '''
def final_point(lr, steps=100):
    x = np.array([-3.0, 4.0])
    for _ in range(steps):
        x = x - lr * 2 * x
    return x


def diverges(lr, steps=100):
    return bool(np.linalg.norm(final_point(lr, steps)) > np.linalg.norm([-3.0, 4.0]))


DIVERGES_ABOVE = 1.0
''',
    "momentum": '''
def momentum_step(p, g, state, lr=0.01, momentum=0.9):
    v = g if "v" not in state else momentum * state["v"] + g
    state["v"] = v
    return p - lr * v
''',
    "adagrad": '''
def adagrad_step(p, g, state, lr=0.01, eps=1e-10):
    state["h"] = state.get("h", 0.0) + g * g
    return p - lr * g / (np.sqrt(state["h"]) + eps)
''',
    "rmsprop": '''
def rmsprop_step(p, g, state, lr=0.01, alpha=0.99, eps=1e-8):
    state["s"] = alpha * state.get("s", 0.0) + (1 - alpha) * g * g
    return p - lr * g / (np.sqrt(state["s"]) + eps)
''',
    "adam": '''
def adam_step(p, g, state, lr=0.001, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    t = state["t"] = state.get("t", 0) + 1
    m = state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * g
    v = state["v"] = b2 * state.get("v", 0.0) + (1 - b2) * g * g
    m_hat = m / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps)
''',
    "amsgrad": '''
def amsgrad_step(p, g, state, lr=0.001, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    t = state["t"] = state.get("t", 0) + 1
    m = state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * g
    v = state["v"] = b2 * state.get("v", 0.0) + (1 - b2) * g * g
    v_max = state["v_max"] = np.maximum(state.get("v_max", 0.0), v)
    return p - lr / (1 - b1 ** t) * m / (np.sqrt(v_max / (1 - b2 ** t)) + eps)
''',
    "swats": '''
def swats_step(p, g, state, lr=0.001, betas=(0.9, 0.999), eps=1e-9):
    b1, b2 = betas
    if state.get("switched"):
        v = state["v"] = g if "v" not in state else b1 * state["v"] + g
        return p - (1 - b1) * state["sgd_lr"] * v
    k = state["k"] = state.get("k", 0) + 1
    m = state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * g
    a = state["a"] = b2 * state.get("a", 0.0) + (1 - b2) * g * g
    s = -lr * math.sqrt(1 - b2 ** k) / (1 - b1 ** k) * m / (np.sqrt(a) + eps)
    sg = float(np.dot(s, g))
    if sg != 0:
        gamma = float(np.dot(s, s)) / -sg
        lam = state["lam"] = b2 * state.get("lam", 0.0) + (1 - b2) * gamma
        if k > 1 and abs(lam / (1 - b2 ** k) - gamma) < eps:
            state["switched"], state["sgd_lr"] = True, lam / (1 - b2 ** k)
    return p + s
''',
    "minibatch_sgd": '''
def minibatch_sgd(X, y, w, lr, batch_size, epochs):
    w = np.array(w, dtype=float)
    for _ in range(epochs):
        for i in range(0, len(y), batch_size):
            xb, yb = X[i:i + batch_size], y[i:i + batch_size]
            w -= lr * (2 / len(yb)) * xb.T @ (xb @ w - yb)
    return w
''',
}

SOLUTIONS = {name: HEAD.format(name=name) + body.lstrip("\n") for name, body in _BODIES.items()}

# name -> [(what the mistake is, old text, new text, the check that fails first)]
MISTAKES: dict[str, list[tuple[str, str, str, str]]] = {
    "central_diff": [
        ("divides by h, not 2h", "/ (2 * h)", "/ h", "formula"),
        ("missing parentheses: / 2 * h", "/ (2 * h)", "/ 2 * h", "formula"),
        ("a tiny default step", "h=1e-4", "h=1e-9", "default_step"),
        ("a forward difference", "(f(x + h) - f(x - h)) / (2 * h)", "(f(x + h) - f(x)) / h", "formula"),
    ],
    "diff_error_order": [
        ("forward_diff with a sign error", "(f(x + h) - f(x)) / h", "(f(x) - f(x + h)) / h", "forward_diff"),
        ("the error ratio upside down", "math.log10(big / small)", "math.log10(small / big)", "orders"),
        ("natural log instead of log10", "math.log10(big / small)", "math.log(big / small)", "orders"),
        ("forward differences for both methods", 'forward_diff if method == "forward" else _central',
         "forward_diff", "orders"),
    ],
    "numerical_gradient": [
        ("divides by h, not 2h", "grad[idx] = (up - down) / (2 * h)", "grad[idx] = (up - down) / h",
         "gradient"),
        ("forgets to restore x", "        x[idx] = old\n        grad", "        grad", "restores_x"),
        ("only the first element", "for idx in np.ndindex(x.shape):", "for idx in [(0,) * x.ndim]:",
         "gradient"),
    ],
    "value_exp": [
        ("uses the input instead of exp(x)", "return out * grad", "return x * grad", "local_derivative"),
        ("forgets the chain-rule factor grad", "return out * grad", "return out", "chain_rule"),
        ("a power rule on exp", "return out * grad", "return x * math.exp(x - 1) * grad", "local_derivative"),
    ],
    "value_tanh": [
        ("squares the input, not the output", "(1 - out ** 2)", "(1 - x ** 2)", "local_derivative"),
        ("a sign error", "(1 - out ** 2)", "(1 + out ** 2)", "local_derivative"),
        ("forgets grad", "return (1 - out ** 2) * grad", "return 1 - out ** 2", "chain_rule"),
        ("(1 - out)^2", "(1 - out ** 2)", "(1 - out) ** 2", "local_derivative"),
    ],
    "value_pow": [
        ("keeps the exponent", "x ** (n - 1)", "x ** n", "local_derivative"),
        ("forgets grad", "n * x ** (n - 1) * grad", "n * x ** (n - 1)", "chain_rule"),
        ("a rule for squares only", "n * x ** (n - 1) * grad", "2 * x * grad", "other_exponents"),
    ],
    "value_div": [
        ("a sign error in d/db", "-grad * a / b ** 2", "grad * a / b ** 2", "local_derivative"),
        ("a missing factor: b not squared", "-grad * a / b ** 2", "-grad * a / b", "local_derivative"),
        ("forgets grad for a", "return grad / b,", "return 1 / b,", "chain_rule"),
        ("(-a/b)^2 instead of -a/b^2", "-grad * a / b ** 2", "grad * (-a / b) ** 2 * (a > 0)",
         "local_derivative"),
    ],
    "function_sigmoid": [
        ("a sign error", "grad * y * (1 - y)", "grad * y * (1 + y)", "local_derivative"),
        ("forgets grad", "grad * y * (1 - y)", "y * (1 - y)", "chain_rule"),
        ("a missing factor y", "grad * y * (1 - y)", "grad * (1 - y)", "local_derivative"),
        ("turns a Tensor into a number", "grad * y * (1 - y)", "grad * float(np.mean(y.data)) * (1 - y)",
         "tensors"),
    ],
    "function_tanh": [
        ("a sign error", "grad * (1 - y * y)", "grad * (1 + y * y)", "local_derivative"),
        ("forgets grad", "grad * (1 - y * y)", "(1 - y * y)", "chain_rule"),
        ("y instead of y^2", "grad * (1 - y * y)", "grad * (1 - y)", "local_derivative"),
        ("turns a Tensor into a number", "grad * (1 - y * y)", "grad * (1 - float(np.mean(y.data)) ** 2)",
         "tensors"),
    ],
    "function_softmax_ce": [
        ("t - p: a sign error", "grad * (p - t) / n", "grad * (t - p) / n", "one_row"),
        ("forgets to divide by N", "grad * (p - t) / n", "grad * (p - t)", "batch_mean"),
        ("forgets grad", "grad * (p - t) / n", "(p - t) / n", "chain_rule"),
        ("divides by the classes, not the rows", "grad * (p - t) / n", "grad * (p - t) / p.shape[1]",
         "one_row"),
    ],
    "two_layer_net": [
        ("db not summed over the batch (a wrong broadcast sum)", "dout.sum(axis=0)", "dout[0]", "affine"),
        ("db summed over the wrong axis", "dout.sum(axis=0)", "dout.sum(axis=1)", "affine"),
        ("softmax_with_loss without / N", "(p - t) / scores.shape[0]", "(p - t)", "softmax_with_loss"),
        ("the relu mask from dout instead of x", "dout * (x > 0)", "dout * (dout > 0)", "whole_net"),
        ("forgets the relu on the way back", "da1 = relu_backward(dh, a1)", "da1 = dh", "whole_net"),
    ],
    "gradient_descent": [
        ("gradient ascent: a sign error", "x -= lr * grad_f(x)", "x += lr * grad_f(x)", "textbook"),
        ("one step too few", "range(step_num)", "range(step_num - 1)", "textbook"),
        ("changes init_x in place", "    x = np.array(init_x, dtype=float)\n", "    x = init_x\n",
         "keeps_init_x"),
        ("ignores lr", "x -= lr * grad_f(x)", "x -= 0.1 * grad_f(x)", "steps_and_rate"),
    ],
    "learning_rate": [
        ("a missing factor 2 in the gradient", "x = x - lr * 2 * x", "x = x - lr * x", "final_point"),
        ("waits for an overflow to call it divergence", "> np.linalg.norm([-3.0, 4.0])", "> 1e10",
         "diverges"),
        ("the wrong boundary", "DIVERGES_ABOVE = 1.0", "DIVERGES_ABOVE = 0.5", "threshold"),
        ("gradient ascent", "x = x - lr * 2 * x", "x = x + lr * 2 * x", "final_point"),
    ],
    "momentum": [
        ("steps along the velocity: a sign error", "return p - lr * v", "return p + lr * v", "first_step"),
        ("forgets the velocity", 'momentum * state["v"] + g', "g", "several_steps"),
        ("dampens the first step", 'v = g if "v" not in state else',
         'v = (1 - momentum) * g if "v" not in state else', "first_step"),
        ("a fixed momentum 0.9", 'momentum * state["v"]', '0.9 * state["v"]', "several_steps"),
    ],
    "adagrad": [
        ("does not accumulate", 'state.get("h", 0.0) + g * g', "g * g", "several_steps"),
        ("forgets the square root", 'np.sqrt(state["h"]) + eps', 'state["h"] + eps', "first_step"),
        ("eps inside the square root", 'np.sqrt(state["h"]) + eps', 'np.sqrt(state["h"] + eps)',
         "hyperparameters"),
    ],
    "rmsprop": [
        ("alpha and 1 - alpha swapped", 'alpha * state.get("s", 0.0) + (1 - alpha) * g * g',
         '(1 - alpha) * state.get("s", 0.0) + alpha * g * g', "first_step"),
        ("a sum, not a moving average", 'alpha * state.get("s", 0.0) + (1 - alpha)',
         'state.get("s", 0.0) + (1 - alpha)', "several_steps"),
        ("eps inside the square root", 'np.sqrt(state["s"]) + eps', 'np.sqrt(state["s"] + eps)',
         "hyperparameters"),
    ],
    "adam": [
        ("bias correction left out", "m_hat = m / (1 - b1 ** t)", "m_hat = m", "first_step"),
        ("t is not counted", 't = state["t"] = state.get("t", 0) + 1', "t = 1", "several_steps"),
        ("eps inside the square root", "np.sqrt(v_hat) + eps", "np.sqrt(v_hat + eps)", "hyperparameters"),
        ("v from g, not g squared", "(1 - b2) * g * g", "(1 - b2) * abs(g)", "first_step"),
    ],
    "amsgrad": [
        ("bias correction left out", "lr / (1 - b1 ** t) * m", "lr * m", "first_step"),
        ("v instead of the running maximum", "np.sqrt(v_max / (1 - b2 ** t))", "np.sqrt(v / (1 - b2 ** t))",
         "several_steps"),
        ("t is not counted", 't = state["t"] = state.get("t", 0) + 1', "t = 1", "several_steps"),
    ],
    "swats": [
        ("bias correction of m left out", "/ (1 - b1 ** k) * m", "* m", "first_step"),
        ("gamma with the wrong sign: never switches", "gamma = float(np.dot(s, s)) / -sg",
         "gamma = float(np.dot(s, s)) / sg", "several_steps"),
        ("the SGD phase without the (1 - b1) factor", "return p - (1 - b1) * state", "return p - state",
         "several_steps"),
        ("k is not counted", 'k = state["k"] = state.get("k", 0) + 1', "k = 1", "several_steps"),
    ],
    "minibatch_sgd": [
        ("a missing factor 2", "lr * (2 / len(yb))", "lr * (1 / len(yb))", "full_batch"),
        ("divides by batch_size, not the rows of the last batch", "(2 / len(yb))", "(2 / batch_size)",
         "batches"),
        ("drops the last, smaller batch", "range(0, len(y), batch_size)",
         "range(0, len(y) - batch_size + 1, batch_size)", "batches"),
        ("changes w in place: no copy", "    w = np.array(w, dtype=float)\n", "", "keeps_w"),
    ],
}
