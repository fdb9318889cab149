"""Generated submissions for the similarity report: independent correct solutions in three styles, disguised copies.

Each style is how a different student might solve every solution cell of the
batchnorm assignment: "sums" (explicit np.sum, the staged graph step by step,
group norm in a loop over groups), "methods" (x.mean / x.var, the paper's
formulas, spatial batch norm computed directly over (N, H, W)) and "einsum"
(einsum and matrix forms, the closed forms in one expression). None is the
solution release's, which is a fourth independent style. A style's bodies
replace the release's `raise NotImplementedError()` stubs of a cell, in order.

The disguises turn a submission into a copy that hides itself one way:
renamed variables, rewritten comments, reordered independent statements,
an added cell of dead code. tests/test_similarity.py checks that every style
and every disguised copy computes what the solution release computes.
"""
import ast
import io
import re
import textwrap
import tokenize

import nbformat
from nbformat.v4 import new_code_cell

STUB = re.compile(r"^([ \t]*)# YOUR CODE HERE\n[ \t]*raise NotImplementedError\(\)", re.M)

SUMS = {
    "batchnorm_forward": ["""
        sample_mean = np.sum(x, axis=0) / N
        centered = x - sample_mean
        sample_var = np.sum(centered ** 2, axis=0) / N
        inv_std = 1.0 / np.sqrt(sample_var + eps)
        x_norm = centered * inv_std
        out = gamma * x_norm + beta
        cache = (x_norm, centered, inv_std, gamma, sample_var, eps)
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * sample_mean
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * sample_var
        """, """
        x_norm = (x - running_mean) / np.sqrt(running_var + eps)
        out = gamma * x_norm + beta
        """],
    "batchnorm_backward": ["""
        # unpack the cache, then walk the graph backwards one node at a time
        x_norm, centered, inv_std, gamma, sample_var, eps = cache
        N, D = dout.shape
        dbeta = np.sum(dout, axis=0)
        dgamma = np.sum(dout * x_norm, axis=0)
        dx_norm = dout * gamma
        dinv_std = np.sum(dx_norm * centered, axis=0)
        dcentered1 = dx_norm * inv_std
        dsqrtvar = -1.0 / (sample_var + eps) * dinv_std
        dvar = 0.5 / np.sqrt(sample_var + eps) * dsqrtvar
        dsq = np.ones((N, D)) / N * dvar
        dcentered2 = 2 * centered * dsq
        dx1 = dcentered1 + dcentered2
        dmu = -np.sum(dx1, axis=0)
        dx2 = np.ones((N, D)) / N * dmu
        dx = dx1 + dx2
        """],
    "batchnorm_backward_alt": ["""
        x_norm, centered, inv_std, gamma, sample_var, eps = cache
        N = dout.shape[0]
        dbeta = np.sum(dout, axis=0)
        dgamma = np.sum(dout * x_norm, axis=0)
        # the simplified formula from the derivation on paper
        dx = (gamma * inv_std / N) * (N * dout - dbeta - x_norm * dgamma)
        """],
    "fc_net": ["""
        self.params["gamma%d" % layer] = np.ones(dim)
        self.params["beta%d" % layer] = np.zeros(dim)
        """, """
        gamma = self.params["gamma%d" % layer]
        beta = self.params["beta%d" % layer]
        if self.normalization == "layernorm":
            return layernorm_forward(h, gamma, beta, self.bn_params[layer - 1])
        return batchnorm_forward(h, gamma, beta, self.bn_params[layer - 1])
        """, """
        if self.normalization == "layernorm":
            return layernorm_backward(dout, cache)
        return batchnorm_backward(dout, cache)
        """],
    "layernorm_forward": ["""
        # same as batch norm on the transpose: the features become the batch
        xt = x.T
        sample_mean = np.sum(xt, axis=0) / xt.shape[0]
        centered = xt - sample_mean
        sample_var = np.sum(centered ** 2, axis=0) / xt.shape[0]
        inv_std = 1.0 / np.sqrt(sample_var + eps)
        x_norm = (centered * inv_std).T
        out = gamma * x_norm + beta
        cache = (x_norm, centered, inv_std, gamma)
        """],
    "layernorm_backward": ["""
        x_norm, centered, inv_std, gamma = cache
        D = dout.shape[1]
        dbeta = np.sum(dout, axis=0)
        dgamma = np.sum(dout * x_norm, axis=0)
        dxn = (dout * gamma).T
        xn = x_norm.T
        dx = (inv_std / D) * (D * dxn - np.sum(dxn, axis=0) - xn * np.sum(dxn * xn, axis=0))
        dx = dx.T
        """],
    "spatial_batchnorm_forward": ["""
        x_flat = np.moveaxis(x, 1, -1).reshape(-1, C)
        out_flat, cache = batchnorm_forward(x_flat, gamma, beta, bn_param)
        out = np.moveaxis(out_flat.reshape(N, H, W, C), -1, 1)
        """],
    "spatial_batchnorm_backward": ["""
        dout_flat = np.moveaxis(dout, 1, -1).reshape(-1, C)
        dx_flat, dgamma, dbeta = batchnorm_backward_alt(dout_flat, cache)
        dx = np.moveaxis(dx_flat.reshape(N, H, W, C), -1, 1)
        """],
    "spatial_groupnorm_forward": ["""
        per_group = C // G
        count = per_group * H * W
        x_norm = np.empty(x.shape)
        inv_stds = []
        for g in range(G):
            channels = slice(g * per_group, (g + 1) * per_group)
            block = x[:, channels]
            mean = np.sum(block, axis=(1, 2, 3), keepdims=True) / count
            var = np.sum((block - mean) ** 2, axis=(1, 2, 3), keepdims=True) / count
            inv_stds.append(1.0 / np.sqrt(var + eps))
            x_norm[:, channels] = (block - mean) * inv_stds[-1]
        out = gamma * x_norm + beta
        cache = (x_norm, inv_stds, gamma, G)
        """],
    "spatial_groupnorm_backward": ["""
        x_norm, inv_stds, gamma, G = cache
        per_group = C // G
        count = per_group * H * W
        dbeta = np.sum(dout, axis=(0, 2, 3), keepdims=True)
        dgamma = np.sum(dout * x_norm, axis=(0, 2, 3), keepdims=True)
        dx_norm = dout * gamma
        dx = np.empty(dout.shape)
        for g in range(G):
            channels = slice(g * per_group, (g + 1) * per_group)
            dxn, xn = dx_norm[:, channels], x_norm[:, channels]
            sum_dxn = np.sum(dxn, axis=(1, 2, 3), keepdims=True)
            sum_dxn_xn = np.sum(dxn * xn, axis=(1, 2, 3), keepdims=True)
            dx[:, channels] = inv_stds[g] / count * (count * dxn - sum_dxn - xn * sum_dxn_xn)
        """],
}

METHODS = {
    "batchnorm_forward": ["""
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        std = np.sqrt(var + eps)
        xhat = (x - mu) / std
        out = xhat * gamma + beta
        cache = {"x": x, "mu": mu, "var": var, "eps": eps, "gamma": gamma, "xhat": xhat}
        running_mean = momentum * running_mean + (1.0 - momentum) * mu
        running_var = momentum * running_var + (1.0 - momentum) * var
        bn_param["running_mean"], bn_param["running_var"] = running_mean, running_var
        """, """
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
        """],
    "batchnorm_backward": ["""
        # equations of the batch norm paper (Ioffe and Szegedy), section 3
        x, mu, var, eps = cache["x"], cache["mu"], cache["var"], cache["eps"]
        gamma, xhat = cache["gamma"], cache["xhat"]
        m = x.shape[0]
        dxhat = dout * gamma
        dvar = (dxhat * (x - mu)).sum(axis=0) * -0.5 * (var + eps) ** -1.5
        dmu = (dxhat * -1.0 / np.sqrt(var + eps)).sum(axis=0) + dvar * (-2.0 * (x - mu)).mean(axis=0)
        dx = dxhat / np.sqrt(var + eps) + dvar * 2.0 * (x - mu) / m + dmu / m
        dgamma = (dout * xhat).sum(axis=0)
        dbeta = dout.sum(axis=0)
        """],
    "batchnorm_backward_alt": ["""
        xhat, gamma, var, eps = cache["xhat"], cache["gamma"], cache["var"], cache["eps"]
        dbeta = dout.sum(axis=0)
        dgamma = (dout * xhat).sum(axis=0)
        g = dout * gamma
        dx = (g - g.mean(axis=0) - xhat * (g * xhat).mean(axis=0)) / np.sqrt(var + eps)
        """],
    "fc_net": ["""
        self.params["gamma" + str(layer)] = np.ones(dim)
        self.params["beta" + str(layer)] = np.zeros(dim)
        """, """
        params = (self.params["gamma" + str(layer)], self.params["beta" + str(layer)])
        norm_param = self.bn_params[layer - 1]
        forward = batchnorm_forward if self.normalization == "batchnorm" else layernorm_forward
        out, cache = forward(h, *params, norm_param)
        return out, cache
        """, """
        backward = batchnorm_backward_alt if self.normalization == "batchnorm" else layernorm_backward
        dh, dgamma, dbeta = backward(dout, cache)
        return dh, dgamma, dbeta
        """],
    "layernorm_forward": ["""
        mu = x.mean(axis=1, keepdims=True)
        var = x.var(axis=1, keepdims=True)
        std = np.sqrt(var + eps)
        xhat = (x - mu) / std
        out = xhat * gamma + beta
        cache = {"xhat": xhat, "std": std, "gamma": gamma}
        """],
    "layernorm_backward": ["""
        xhat, std, gamma = cache["xhat"], cache["std"], cache["gamma"]
        dbeta = dout.sum(axis=0)
        dgamma = (dout * xhat).sum(axis=0)
        g = dout * gamma
        dx = (g - g.mean(axis=1, keepdims=True) - xhat * (g * xhat).mean(axis=1, keepdims=True)) / std
        """],
    "spatial_batchnorm_forward": ["""
        # statistics per channel, over the batch and both spatial axes
        if bn_param["mode"] == "train":
            mu = x.mean(axis=(0, 2, 3))
            var = x.var(axis=(0, 2, 3))
            momentum = bn_param.get("momentum", 0.9)
            bn_param["running_mean"] = momentum * bn_param.get("running_mean", np.zeros(C)) + (1 - momentum) * mu
            bn_param["running_var"] = momentum * bn_param.get("running_var", np.zeros(C)) + (1 - momentum) * var
        else:
            mu, var = bn_param["running_mean"], bn_param["running_var"]
        std = np.sqrt(var + bn_param.get("eps", 1e-5))[None, :, None, None]
        xhat = (x - mu[None, :, None, None]) / std
        out = gamma[None, :, None, None] * xhat + beta[None, :, None, None]
        cache = {"xhat": xhat, "std": std, "gamma": gamma}
        """],
    "spatial_batchnorm_backward": ["""
        xhat, std, gamma = cache["xhat"], cache["std"], cache["gamma"]
        dbeta = dout.sum(axis=(0, 2, 3))
        dgamma = (dout * xhat).sum(axis=(0, 2, 3))
        g = dout * gamma[None, :, None, None]
        dx = (g - g.mean(axis=(0, 2, 3), keepdims=True)
              - xhat * (g * xhat).mean(axis=(0, 2, 3), keepdims=True)) / std
        """],
    "spatial_groupnorm_forward": ["""
        grouped = x.reshape(N, G, -1)
        mu = grouped.mean(axis=2, keepdims=True)
        var = grouped.var(axis=2, keepdims=True)
        std = np.sqrt(var + eps)
        xhat = ((grouped - mu) / std).reshape(N, C, H, W)
        out = xhat * gamma + beta
        cache = {"xhat": xhat, "std": std, "gamma": gamma, "G": G}
        """],
    "spatial_groupnorm_backward": ["""
        xhat, std, gamma, G = cache["xhat"], cache["std"], cache["gamma"], cache["G"]
        dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
        dgamma = (dout * xhat).sum(axis=(0, 2, 3), keepdims=True)
        g = (dout * gamma).reshape(N, G, -1)
        xg = xhat.reshape(N, G, -1)
        dx = (g - g.mean(axis=2, keepdims=True) - xg * (g * xg).mean(axis=2, keepdims=True)) / std
        dx = dx.reshape(N, C, H, W)
        """],
}

EINSUM = {
    "batchnorm_forward": ["""
        mean = np.einsum("nd->d", x) / N
        xc = x - mean[np.newaxis, :]
        variance = np.einsum("nd,nd->d", xc, xc) / N
        rstd = (variance + eps) ** -0.5
        y = np.einsum("nd,d->nd", xc, rstd)
        out = np.einsum("nd,d->nd", y, gamma) + beta
        cache = (y, rstd, gamma)
        bn_param.update(running_mean=momentum * running_mean + (1 - momentum) * mean,
                        running_var=momentum * running_var + (1 - momentum) * variance)
        """, """
        rstd = (running_var + eps) ** -0.5
        out = np.einsum("nd,d->nd", x - running_mean, rstd * gamma) + beta
        """],
    "batchnorm_backward": ["""
        y, rstd, gamma = cache
        N = dout.shape[0]
        dbeta = np.einsum("nd->d", dout)
        dgamma = np.einsum("nd,nd->d", dout, y)
        dy = dout * gamma
        # node y = xc * rstd
        xc = y / rstd
        drstd = np.einsum("nd,nd->d", dy, xc)
        dxc = dy * rstd
        # node rstd = (variance + eps) ** -0.5
        dvariance = -0.5 * rstd ** 3 * drstd
        # node variance = sum(xc ** 2) / N
        dxc = dxc + 2.0 * xc * dvariance / N
        # node xc = x - mean
        dmean = -np.einsum("nd->d", dxc)
        dx = dxc + dmean / N
        """],
    "batchnorm_backward_alt": ["""
        y, rstd, gamma = cache
        N = dout.shape[0]
        dbeta = np.einsum("nd->d", dout)
        dgamma = np.einsum("nd,nd->d", dout, y)
        dx = np.einsum("d,nd->nd", gamma * rstd / N, N * dout - dbeta - y * dgamma)
        """],
    "fc_net": ["""
        for name, fill in (("gamma", np.ones), ("beta", np.zeros)):
            self.params[f"{name}{layer}"] = fill(dim)
        """, """
        layers = {"batchnorm": batchnorm_forward, "layernorm": layernorm_forward}
        gamma = self.params[f"gamma{layer}"]
        beta = self.params[f"beta{layer}"]
        return layers[self.normalization](h, gamma, beta, self.bn_params[layer - 1])
        """, """
        layers = {"batchnorm": batchnorm_backward, "layernorm": layernorm_backward}
        return layers[self.normalization](dout, cache)
        """],
    "layernorm_forward": ["""
        D = x.shape[1]
        mean = np.einsum("nd->n", x) / D
        xc = x - mean[:, np.newaxis]
        rstd = (np.einsum("nd,nd->n", xc, xc) / D + eps) ** -0.5
        y = np.einsum("nd,n->nd", xc, rstd)
        out = np.einsum("nd,d->nd", y, gamma) + beta
        cache = (y, rstd, gamma)
        """],
    "layernorm_backward": ["""
        y, rstd, gamma = cache
        D = dout.shape[1]
        dbeta = np.einsum("nd->d", dout)
        dgamma = np.einsum("nd,nd->d", dout, y)
        dy = np.einsum("nd,d->nd", dout, gamma)
        total = np.einsum("nd->n", dy)[:, None]
        projection = np.einsum("nd,nd->n", dy, y)[:, None]
        dx = np.einsum("n,nd->nd", rstd / D, D * dy - total - y * projection)
        """],
    "spatial_batchnorm_forward": ["""
        flat = x.swapaxes(1, 3).reshape(-1, C)
        y, cache = batchnorm_forward(flat, gamma, beta, bn_param)
        out = y.reshape(N, W, H, C).swapaxes(1, 3)
        """],
    "spatial_batchnorm_backward": ["""
        flat = dout.swapaxes(1, 3).reshape(-1, C)
        dflat, dgamma, dbeta = batchnorm_backward_alt(flat, cache)
        dx = dflat.reshape(N, W, H, C).swapaxes(1, 3)
        """],
    "spatial_groupnorm_forward": ["""
        xg = x.reshape(N, G, C // G, H, W)
        count = xg[0, 0].size
        mean = np.einsum("ngchw->ng", xg) / count
        xc = xg - mean[:, :, None, None, None]
        rstd = (np.einsum("ngchw,ngchw->ng", xc, xc) / count + eps) ** -0.5
        y = np.einsum("ngchw,ng->ngchw", xc, rstd).reshape(N, C, H, W)
        out = y * gamma + beta
        cache = (y, rstd, gamma, G)
        """],
    "spatial_groupnorm_backward": ["""
        y, rstd, gamma, G = cache
        dbeta = np.einsum("nchw->c", dout).reshape(1, C, 1, 1)
        dgamma = np.einsum("nchw,nchw->c", dout, y).reshape(1, C, 1, 1)
        dy = (dout * gamma).reshape(N, G, C // G, H, W)
        yg = y.reshape(N, G, C // G, H, W)
        count = yg[0, 0].size
        s1 = np.einsum("ngchw->ng", dy)[:, :, None, None, None]
        s2 = np.einsum("ngchw,ngchw->ng", dy, yg)[:, :, None, None, None]
        dx = (rstd[:, :, None, None, None] / count * (count * dy - s1 - yg * s2)).reshape(N, C, H, W)
        """],
}

STYLES = {"sums": SUMS, "methods": METHODS, "einsum": EINSUM}

DEAD_CELL = '''\
def debug_shapes(*arrays):
    """Print the shape and dtype of each array (used while debugging)."""
    for index, array in enumerate(arrays):
        print(f"array {index}: shape {array.shape}, dtype {array.dtype}")
    return len(arrays)
'''


def fill_stubs(source, bodies):
    """A release cell's source with its stubs replaced, in order, by the bodies (indented as the stub was)."""
    bodies = iter(bodies)
    return STUB.sub(lambda stub: textwrap.indent(textwrap.dedent(next(bodies)).strip("\n"), stub.group(1)), source)


def solution_cells(nb):
    return [cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("solution")
            and cell.cell_type == "code"]


def styled_notebooks(release, style):
    """
    One student's submission in a style: the release notebooks ({name: NotebookNode})
    with every solution cell that the style solves filled in.
    """
    submission = {}
    for name, blank in release.items():
        nb = nbformat.from_dict(blank)
        for cell in solution_cells(nb):
            bodies = STYLES[style].get(cell.metadata.nbgrader["grade_id"])
            if bodies:
                cell.source = fill_stubs(cell.source, bodies)
        submission[name] = nb
    return submission


def _edit_solution_cells(notebooks, edit):
    """A copy of a submission with edit(source) applied to every solution cell."""
    copy = {name: nbformat.from_dict(nb) for name, nb in notebooks.items()}
    for nb in copy.values():
        for cell in solution_cells(nb):
            cell.source = edit(cell.source)
    return copy


def _replace_tokens(source, replace):
    """source with some tokens replaced: replace(token, previous token, paren depth) returns the new text or None."""
    lines = source.splitlines(keepends=True)
    edits, previous, depth = [], None, 0
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        depth += token.string in "([{" if token.type == tokenize.OP else 0
        depth -= token.string in ")]}" if token.type == tokenize.OP else 0
        new = replace(token, previous, depth)
        if new is not None:
            edits.append((token.start, token.end, new))
        if token.type not in (tokenize.NL, tokenize.COMMENT):
            previous = token
    for (row, start), (_, end), new in reversed(edits):
        lines[row - 1] = lines[row - 1][:start] + new + lines[row - 1][end:]
    return "".join(lines)


def _rename(source):
    tree = ast.parse(source)
    parameters = {node.arg for node in ast.walk(tree) if isinstance(node, ast.arg)}
    stored = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    in_fstrings = {name.id for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)
                   for name in ast.walk(node) if isinstance(name, ast.Name)}  # one token each before Python 3.12
    names = {name: f"r_{name[::-1]}" for name in stored - parameters - in_fstrings}

    def replace(token, previous, depth):
        after_dot = previous is not None and previous.string == "."
        keyword = depth > 0 and token.line[token.end[1]:].lstrip().startswith("=") \
            and not token.line[token.end[1]:].lstrip().startswith("==")
        if token.type == tokenize.NAME and token.string in names and not after_dot and not keyword:
            return names[token.string]
        return None
    return _replace_tokens(source, replace)


def _reword(source):
    counter = iter(range(1, 1000))
    return _replace_tokens(source, lambda token, previous, depth: f"# step {next(counter)}, as in lecture"
                           if token.type == tokenize.COMMENT else None)


def _effects(statement):
    """(names a statement reads, names it writes), a method call on a name counting as a write."""
    reads, writes = set(), set()
    for node in ast.walk(statement):
        if isinstance(node, ast.Name):
            (writes if isinstance(node.ctx, ast.Store) else reads).add(node.id)
        elif isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.ctx, ast.Store):
            writes |= {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            writes |= {n.id for n in ast.walk(node.func.value) if isinstance(n, ast.Name)}
    if isinstance(statement, ast.AugAssign):
        reads |= writes
    return reads, writes


def _independent(first, second):
    (reads1, writes1), (reads2, writes2) = _effects(first), _effects(second)
    return not (writes1 & (reads2 | writes2)) and not (writes2 & reads1)


def _reorder(source):
    """Swap pairs of adjacent one-line statements that neither reads what the other writes."""
    lines = source.splitlines(keepends=True)
    simple = (ast.Assign, ast.AugAssign, ast.Expr)
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        i = 0
        while i + 1 < len(body):
            first, second = body[i], body[i + 1]
            if (isinstance(first, simple) and isinstance(second, simple) and first.lineno == first.end_lineno
                    and second.lineno == second.end_lineno == first.lineno + 1 and _independent(first, second)):
                row = first.lineno - 1
                lines[row], lines[row + 1] = lines[row + 1], lines[row]
                i += 2
            else:
                i += 1
    return "".join(lines)


def rename_variables(notebooks):
    """Every local variable of the solution cells renamed (parameters, attributes and keywords kept)."""
    return _edit_solution_cells(notebooks, _rename)


def rewrite_comments(notebooks):
    """Every comment of the solution cells reworded."""
    return _edit_solution_cells(notebooks, _reword)


def reorder_statements(notebooks):
    """Adjacent independent statements of the solution cells swapped."""
    return _edit_solution_cells(notebooks, _reorder)


def add_dead_cell(notebooks):
    """A cell of the student's own, never called, appended to the first notebook."""
    copy = {name: nbformat.from_dict(nb) for name, nb in notebooks.items()}
    first = copy[min(copy)]
    first.cells.append(new_code_cell(DEAD_CELL))
    return copy


DISGUISES = {"renamed": rename_variables, "reworded": rewrite_comments, "reordered": reorder_statements,
             "dead-cell": add_dead_cell}
