# mypy: ignore-errors
"""The compiled kernel of ``model.inference.noisyor`` (numba, imported on the first query only).

Kept in its own module so that ``import model`` and ``calfdx --help`` never import numba;
``cache=True`` stores the machine code next to this file, so later processes skip the
compilation (about two seconds the first time).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def quickscore(
    rfw,
    rf_off,
    hub_codes,
    hub_vars,
    comp_rows,
    comp_rfs,
    comp_nrf,
    comp_units,
    comp_nunits,
    row_hub,
    row_codes,
    row_pidx,
    unit_xs,
    unit_nx,
    unit_np,
    t_off,
    t_flat,
    d,
    term_v,
    term_c,
    exp_start,
    exp_count,
    want_rows,
):  # pragma: no cover - compiled
    """Signed Quickscore sum; returns P(e), sum |terms|, unit-state joints, hub and row shares.

    See ``model.inference.noisyor`` for the meaning of every array.
    """
    n_hub = hub_codes.shape[0]
    n_comp = comp_rows.shape[0] - 1
    n_units = unit_xs.shape[0]
    n_xs = d.shape[0]
    n_rows = row_hub.shape[0]
    n_exp = exp_start.shape[0]
    # weights of the hub combinations and of every row (risk factors of its component)
    w_hub = np.ones(n_hub)
    for h in range(n_hub):
        for j in range(hub_vars.shape[0]):
            v = hub_vars[j]
            w_hub[h] *= rfw[rf_off[v] + hub_codes[h, j]]
    w_row = np.ones(n_rows)
    for k in range(n_comp):
        for row in range(comp_rows[k], comp_rows[k + 1]):
            w = 1.0
            for j in range(comp_nrf[k]):
                v = comp_rfs[k, j]
                w *= rfw[rf_off[v] + row_codes[row, j]]
            if w_hub[row_hub[row]] == 0.0:
                w = 0.0
            w_row[row] = w
    n_combos = 1
    for i in range(n_exp):
        n_combos *= exp_count[i]
    v_s = np.empty(n_xs)
    z_off = np.zeros(n_units + 1, dtype=np.int64)
    for u in range(n_units):
        z_off[u + 1] = z_off[u] + unit_np[u]
    z = np.empty(z_off[n_units])
    cof = np.empty(z_off[n_units])
    g = np.empty((n_comp, n_hub))
    joint = np.zeros(n_xs)
    hub_share = np.zeros(n_hub)
    row_share = np.zeros(n_rows if want_rows else 1)
    total = 0.0
    size = 0.0
    choice = np.zeros(max(n_exp, 1), dtype=np.int64)
    max_units = comp_units.shape[1]
    zr = np.empty(max_units)
    pre = np.empty(max_units + 1)
    suf = np.empty(max_units + 1)
    for combo in range(n_combos):
        # which term of each expanded finding this combination takes (mixed radix)
        rest = combo
        coef = 1.0
        for i in range(n_exp):
            choice[i] = rest % exp_count[i]
            rest //= exp_count[i]
            coef *= term_c[exp_start[i] + choice[i]]
        if coef == 0.0:
            continue
        for x in range(n_xs):
            val = d[x]
            for i in range(n_exp):
                val *= term_v[exp_start[i] + choice[i], x]
            v_s[x] = val
        # Z_u(p) = sum_x P(x_u | p) v_S(x)
        for u in range(n_units):
            nx = unit_nx[u]
            base = t_off[u]
            xs = unit_xs[u]
            for p in range(unit_np[u]):
                acc = 0.0
                for x in range(nx):
                    acc += t_flat[base + p * nx + x] * v_s[xs + x]
                z[z_off[u] + p] = acc
                cof[z_off[u] + p] = 0.0
        # G_k(h) = sum_rows w_row prod_u Z_u
        for k in range(n_comp):
            for h in range(n_hub):
                g[k, h] = 0.0
            nu = comp_nunits[k]
            for row in range(comp_rows[k], comp_rows[k + 1]):
                w = w_row[row]
                if w == 0.0:
                    continue
                for j in range(nu):
                    u = comp_units[k, j]
                    w *= z[z_off[u] + row_pidx[row, j]]
                g[k, row_hub[row]] += w
        term_abs = 0.0
        for h in range(n_hub):
            if w_hub[h] == 0.0:
                continue
            t = coef * w_hub[h]
            for k in range(n_comp):
                t *= g[k, h]
            hub_share[h] += t
            total += t
            term_abs += abs(t)
        size += term_abs
        if term_abs == 0.0:
            continue
        # cofactors: the same products with one unit left out, accumulated per parent state
        for k in range(n_comp):
            nu = comp_nunits[k]
            for row in range(comp_rows[k], comp_rows[k + 1]):
                h = row_hub[row]
                base_w = w_row[row]
                if base_w == 0.0:
                    continue
                other = coef * w_hub[h] * base_w
                for k2 in range(n_comp):
                    if k2 != k:
                        other *= g[k2, h]
                if other == 0.0:
                    continue
                for j in range(nu):
                    u = comp_units[k, j]
                    zr[j] = z[z_off[u] + row_pidx[row, j]]
                pre[0] = 1.0
                for j in range(nu):
                    pre[j + 1] = pre[j] * zr[j]
                suf[nu] = 1.0
                for j in range(nu - 1, -1, -1):
                    suf[j] = suf[j + 1] * zr[j]
                for j in range(nu):
                    u = comp_units[k, j]
                    cof[z_off[u] + row_pidx[row, j]] += other * pre[j] * suf[j + 1]
                if want_rows:
                    row_share[row] += other * pre[nu]
        # unit-state joints: sum_p cof(p) P(x | p) v_S(x)
        for u in range(n_units):
            nx = unit_nx[u]
            base = t_off[u]
            xs = unit_xs[u]
            for x in range(nx):
                acc = 0.0
                for p in range(unit_np[u]):
                    acc += cof[z_off[u] + p] * t_flat[base + p * nx + x]
                joint[xs + x] += acc * v_s[xs + x]
    return total, size, joint, hub_share, row_share


@njit(cache=True, inline="always")
def _decode_combo(
    combo, exp_count, exp_start, term_c, stride, g_off, choice, idx
):  # pragma: no cover - compiled
    """One combination of ``quickscore_split``'s signed sum: its coefficient.

    Fills ``choice`` (each expanded finding's term) and ``idx`` (each component's row of
    ``g``); ``idx`` is left as it was when the coefficient is zero (the caller skips it).
    """
    rest = combo
    coef = 1.0
    for i in range(exp_start.shape[0]):
        choice[i] = rest % exp_count[i]
        rest //= exp_count[i]
        coef *= term_c[exp_start[i] + choice[i]]
    if coef == 0.0:
        return coef
    for k in range(idx.shape[0]):
        c = 0
        for i in range(exp_start.shape[0]):
            c += choice[i] * stride[k, i]
        idx[k] = g_off[k] + c
    return coef


# -- double-double arithmetic (about 106 bits): the guard's second tier ---------------------

SPLIT = 134217729.0  # 2^27 + 1, Dekker's splitter


@njit(cache=True, inline="always")
def _two_sum(a, b):  # pragma: no cover - compiled
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


@njit(cache=True, inline="always")
def _quick(a, b):  # pragma: no cover - compiled
    s = a + b
    return s, b - (s - a)


@njit(cache=True, inline="always")
def _two_prod(a, b):  # pragma: no cover - compiled
    p = a * b
    t = SPLIT * a
    ah = t - (t - a)
    al = a - ah
    t = SPLIT * b
    bh = t - (t - b)
    bl = b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


@njit(cache=True, inline="always")
def _mul(ah, al, bh, bl):  # pragma: no cover - compiled
    p, e = _two_prod(ah, bh)
    e += ah * bl + al * bh
    return _quick(p, e)


@njit(cache=True, inline="always")
def _add(ah, al, bh, bl):  # pragma: no cover - compiled
    s, e = _two_sum(ah, bh)
    e += al + bl
    return _quick(s, e)


@njit(cache=True, nogil=True)
def quickscore_dd(
    rfw,
    rf_off,
    hub_codes,
    hub_vars,
    comp_rows,
    comp_rfs,
    comp_nrf,
    comp_units,
    comp_nunits,
    row_hub,
    row_codes,
    row_pidx,
    unit_xs,
    unit_nx,
    unit_np,
    t_off,
    t_flat,
    mask,
    folds,
    fold_v,
    term_v,
    term_c,
    exp_start,
    exp_count,
):  # pragma: no cover - compiled
    """``quickscore`` in double-double, with the folded findings multiplied in here too.

    Every unit's factor is scaled by a power of two (exact); returns P(e) (hi, lo), the sum
    of |terms|, the log2 of the scale, unit-state joints, hub and row shares (hi + lo).
    """
    n_hub = hub_codes.shape[0]
    n_comp = comp_rows.shape[0] - 1
    n_units = unit_xs.shape[0]
    n_xs = mask.shape[0]
    n_rows = row_hub.shape[0]
    n_exp = exp_start.shape[0]
    d_hi = np.empty(n_xs)
    d_lo = np.zeros(n_xs)
    for x in range(n_xs):
        h, lo = mask[x], 0.0
        for i in range(folds.shape[0]):
            h, lo = _mul(h, lo, fold_v[folds[i], x], 0.0)
        d_hi[x], d_lo[x] = h, lo
    log2_scale = 0.0
    for u in range(n_units):
        top = 0.0
        for x in range(unit_xs[u], unit_xs[u] + unit_nx[u]):
            top = max(top, d_hi[x])
        if top > 0.0:
            e = np.floor(np.log2(top))
            f = 2.0 ** (-e)
            log2_scale += e
            for x in range(unit_xs[u], unit_xs[u] + unit_nx[u]):
                d_hi[x] *= f
                d_lo[x] *= f
    wh_hi = np.ones(n_hub)
    wh_lo = np.zeros(n_hub)
    for hh in range(n_hub):
        for j in range(hub_vars.shape[0]):
            wh_hi[hh], wh_lo[hh] = _mul(
                wh_hi[hh], wh_lo[hh], rfw[rf_off[hub_vars[j]] + hub_codes[hh, j]], 0.0
            )
    wr_hi = np.ones(n_rows)
    wr_lo = np.zeros(n_rows)
    for k in range(n_comp):
        for row in range(comp_rows[k], comp_rows[k + 1]):
            a, b = 1.0, 0.0
            for j in range(comp_nrf[k]):
                a, b = _mul(a, b, rfw[rf_off[comp_rfs[k, j]] + row_codes[row, j]], 0.0)
            if wh_hi[row_hub[row]] == 0.0:
                a, b = 0.0, 0.0
            wr_hi[row], wr_lo[row] = a, b
    n_combos = 1
    for i in range(n_exp):
        n_combos *= exp_count[i]
    z_off = np.zeros(n_units + 1, dtype=np.int64)
    for u in range(n_units):
        z_off[u + 1] = z_off[u] + unit_np[u]
    nz = z_off[n_units]
    z_hi = np.empty(nz)
    z_lo = np.empty(nz)
    c_hi = np.empty(nz)
    c_lo = np.empty(nz)
    v_hi = np.empty(n_xs)
    v_lo = np.empty(n_xs)
    g_hi = np.empty((n_comp, n_hub))
    g_lo = np.empty((n_comp, n_hub))
    j_hi = np.zeros(n_xs)
    j_lo = np.zeros(n_xs)
    hs_hi = np.zeros(n_hub)
    hs_lo = np.zeros(n_hub)
    rs_hi = np.zeros(n_rows)
    rs_lo = np.zeros(n_rows)
    tot_hi, tot_lo = 0.0, 0.0
    size = 0.0
    choice = np.zeros(max(n_exp, 1), dtype=np.int64)
    max_units = comp_units.shape[1]
    zr_hi = np.empty(max_units)
    zr_lo = np.empty(max_units)
    pre_hi = np.empty(max_units + 1)
    pre_lo = np.empty(max_units + 1)
    suf_hi = np.empty(max_units + 1)
    suf_lo = np.empty(max_units + 1)
    for combo in range(n_combos):
        rest = combo
        coef = 1.0
        cf_hi, cf_lo = 1.0, 0.0
        for i in range(n_exp):
            choice[i] = rest % exp_count[i]
            rest //= exp_count[i]
            cf_hi, cf_lo = _mul(cf_hi, cf_lo, term_c[exp_start[i] + choice[i]], 0.0)
        coef = cf_hi
        if coef == 0.0:
            continue
        for x in range(n_xs):
            a, b = d_hi[x], d_lo[x]
            for i in range(n_exp):
                a, b = _mul(a, b, term_v[exp_start[i] + choice[i], x], 0.0)
            v_hi[x], v_lo[x] = a, b
        for u in range(n_units):
            nx = unit_nx[u]
            base = t_off[u]
            xs = unit_xs[u]
            for p in range(unit_np[u]):
                a, b = 0.0, 0.0
                for x in range(nx):
                    m1, m2 = _mul(v_hi[xs + x], v_lo[xs + x], t_flat[base + p * nx + x], 0.0)
                    a, b = _add(a, b, m1, m2)
                z_hi[z_off[u] + p], z_lo[z_off[u] + p] = a, b
                c_hi[z_off[u] + p], c_lo[z_off[u] + p] = 0.0, 0.0
        for k in range(n_comp):
            for hh in range(n_hub):
                g_hi[k, hh], g_lo[k, hh] = 0.0, 0.0
            nu = comp_nunits[k]
            for row in range(comp_rows[k], comp_rows[k + 1]):
                a, b = wr_hi[row], wr_lo[row]
                if a == 0.0:
                    continue
                for j in range(nu):
                    zi = z_off[comp_units[k, j]] + row_pidx[row, j]
                    a, b = _mul(a, b, z_hi[zi], z_lo[zi])
                hh = row_hub[row]
                g_hi[k, hh], g_lo[k, hh] = _add(g_hi[k, hh], g_lo[k, hh], a, b)
        term_abs = 0.0
        for hh in range(n_hub):
            if wh_hi[hh] == 0.0:
                continue
            a, b = _mul(cf_hi, cf_lo, wh_hi[hh], wh_lo[hh])
            for k in range(n_comp):
                a, b = _mul(a, b, g_hi[k, hh], g_lo[k, hh])
            hs_hi[hh], hs_lo[hh] = _add(hs_hi[hh], hs_lo[hh], a, b)
            tot_hi, tot_lo = _add(tot_hi, tot_lo, a, b)
            term_abs += abs(a)
        size += term_abs
        if term_abs == 0.0:
            continue
        for k in range(n_comp):
            nu = comp_nunits[k]
            for row in range(comp_rows[k], comp_rows[k + 1]):
                hh = row_hub[row]
                if wr_hi[row] == 0.0:
                    continue
                a, b = _mul(cf_hi, cf_lo, wh_hi[hh], wh_lo[hh])
                a, b = _mul(a, b, wr_hi[row], wr_lo[row])
                for k2 in range(n_comp):
                    if k2 != k:
                        a, b = _mul(a, b, g_hi[k2, hh], g_lo[k2, hh])
                if a == 0.0:
                    continue
                for j in range(nu):
                    zi = z_off[comp_units[k, j]] + row_pidx[row, j]
                    zr_hi[j], zr_lo[j] = z_hi[zi], z_lo[zi]
                pre_hi[0], pre_lo[0] = 1.0, 0.0
                for j in range(nu):
                    pre_hi[j + 1], pre_lo[j + 1] = _mul(pre_hi[j], pre_lo[j], zr_hi[j], zr_lo[j])
                suf_hi[nu], suf_lo[nu] = 1.0, 0.0
                for j in range(nu - 1, -1, -1):
                    suf_hi[j], suf_lo[j] = _mul(suf_hi[j + 1], suf_lo[j + 1], zr_hi[j], zr_lo[j])
                for j in range(nu):
                    zi = z_off[comp_units[k, j]] + row_pidx[row, j]
                    m1, m2 = _mul(a, b, pre_hi[j], pre_lo[j])
                    m1, m2 = _mul(m1, m2, suf_hi[j + 1], suf_lo[j + 1])
                    c_hi[zi], c_lo[zi] = _add(c_hi[zi], c_lo[zi], m1, m2)
                m1, m2 = _mul(a, b, pre_hi[nu], pre_lo[nu])
                rs_hi[row], rs_lo[row] = _add(rs_hi[row], rs_lo[row], m1, m2)
        for u in range(n_units):
            nx = unit_nx[u]
            base = t_off[u]
            xs = unit_xs[u]
            for x in range(nx):
                a, b = 0.0, 0.0
                for p in range(unit_np[u]):
                    zi = z_off[u] + p
                    m1, m2 = _mul(c_hi[zi], c_lo[zi], t_flat[base + p * nx + x], 0.0)
                    a, b = _add(a, b, m1, m2)
                a, b = _mul(a, b, v_hi[xs + x], v_lo[xs + x])
                j_hi[xs + x], j_lo[xs + x] = _add(j_hi[xs + x], j_lo[xs + x], a, b)
    return tot_hi, tot_lo, size, log2_scale, j_hi + j_lo, hs_hi + hs_lo, rs_hi + rs_lo


@njit(cache=True, nogil=True)
def quickscore_split(
    rfw,
    rf_off,
    hub_codes,
    hub_vars,
    comp_rows,
    comp_rfs,
    comp_nrf,
    comp_units,
    comp_nunits,
    row_hub,
    row_codes,
    row_pidx,
    unit_xs,
    unit_nx,
    unit_np,
    t_off,
    t_flat,
    d,
    term_v,
    term_c,
    exp_start,
    exp_count,
    touch,
    max_kappa,
):  # pragma: no cover - compiled
    """``quickscore`` with each component's sums done once per choice of *its* findings.

    ``touch[k, i]``: whether expanded finding ``i`` has a parent in component ``k`` (its
    term vectors are one elsewhere). ``G_k`` then depends only on the terms chosen for
    the findings touching ``k``, so the row passes cost ``sum_k (local combinations) x
    rows_k x units_k`` and only the cheap outer sum runs over every combination.
    Same arithmetic per term as ``quickscore``, so the same guard applies.

    The posteriors (the cofactor passes, about two thirds of the work) are computed only
    when ``total > 0`` and ``size / total <= max_kappa``; the last value returned says
    whether they were (else the three arrays are zeros): a sum that trips the guard
    costs its ``G_k`` and one outer pass only.
    """
    n_hub = hub_codes.shape[0]
    n_comp = comp_rows.shape[0] - 1
    n_units = unit_xs.shape[0]
    n_xs = d.shape[0]
    n_rows = row_hub.shape[0]
    n_exp = exp_start.shape[0]
    w_hub = np.ones(n_hub)
    for h in range(n_hub):
        for j in range(hub_vars.shape[0]):
            w_hub[h] *= rfw[rf_off[hub_vars[j]] + hub_codes[h, j]]
    w_row = np.ones(n_rows)
    for k in range(n_comp):
        for row in range(comp_rows[k], comp_rows[k + 1]):
            w = 1.0
            for j in range(comp_nrf[k]):
                w *= rfw[rf_off[comp_rfs[k, j]] + row_codes[row, j]]
            if w_hub[row_hub[row]] == 0.0:
                w = 0.0
            w_row[row] = w
    # local combinations per component, and the stride of each finding in them
    stride = np.zeros((n_comp, max(n_exp, 1)), dtype=np.int64)
    n_local = np.ones(n_comp, dtype=np.int64)
    for k in range(n_comp):
        for i in range(n_exp):
            if touch[k, i]:
                stride[k, i] = n_local[k]
                n_local[k] *= exp_count[i]
    g_off = np.zeros(n_comp + 1, dtype=np.int64)
    for k in range(n_comp):
        g_off[k + 1] = g_off[k] + n_local[k]
    g = np.zeros((g_off[n_comp], n_hub))
    o = np.zeros((g_off[n_comp], n_hub))
    z_off = np.zeros(n_units + 1, dtype=np.int64)
    for u in range(n_units):
        z_off[u + 1] = z_off[u] + unit_np[u]
    z = np.empty(z_off[n_units])
    cof = np.empty(z_off[n_units])
    v_s = np.empty(n_xs)
    choice = np.zeros(max(n_exp, 1), dtype=np.int64)
    max_units = comp_units.shape[1]
    zr = np.empty(max_units)
    pre = np.empty(max_units + 1)
    suf = np.empty(max_units + 1)
    joint = np.zeros(n_xs)
    hub_share = np.zeros(n_hub)
    row_share = np.zeros(n_rows)

    def local_vectors(k, c):
        # choices of k's findings from its local index; v_s and Z on k's units
        for i in range(n_exp):
            if touch[k, i]:
                choice[i] = (c // stride[k, i]) % exp_count[i]
        for j in range(comp_nunits[k]):
            u = comp_units[k, j]
            xs = unit_xs[u]
            nx = unit_nx[u]
            for x in range(xs, xs + nx):
                val = d[x]
                for i in range(n_exp):
                    if touch[k, i]:
                        val *= term_v[exp_start[i] + choice[i], x]
                v_s[x] = val
            base = t_off[u]
            for p in range(unit_np[u]):
                acc = 0.0
                for x in range(nx):
                    acc += t_flat[base + p * nx + x] * v_s[xs + x]
                z[z_off[u] + p] = acc

    # phase A: G_k(h, c) for every component and local combination
    for k in range(n_comp):
        nu = comp_nunits[k]
        for c in range(n_local[k]):
            local_vectors(k, c)
            for row in range(comp_rows[k], comp_rows[k + 1]):
                w = w_row[row]
                if w == 0.0:
                    continue
                for j in range(nu):
                    w *= z[z_off[comp_units[k, j]] + row_pidx[row, j]]
                g[g_off[k] + c, row_hub[row]] += w
    # phase B: the signed outer sum over every combination; first P(e) and its size only
    n_combos = 1
    for i in range(n_exp):
        n_combos *= exp_count[i]
    idx = np.zeros(n_comp, dtype=np.int64)
    gp = np.empty(n_comp + 1)
    gs = np.empty(n_comp + 1)
    total = 0.0
    size = 0.0
    for combo in range(n_combos):
        coef = _decode_combo(combo, exp_count, exp_start, term_c, stride, g_off, choice, idx)
        if coef == 0.0:
            continue
        term_abs = 0.0
        for h in range(n_hub):
            if w_hub[h] == 0.0:
                continue
            t = coef * w_hub[h]
            for k in range(n_comp):
                t *= g[idx[k], h]
            total += t
            term_abs += abs(t)
        size += term_abs
    if not (total > 0.0 and size / total <= max_kappa):
        return total, size, joint, hub_share, row_share, False
    # the same pass again with the cofactors of every component (same order: same sums)
    total = 0.0
    size = 0.0
    for combo in range(n_combos):
        coef = _decode_combo(combo, exp_count, exp_start, term_c, stride, g_off, choice, idx)
        if coef == 0.0:
            continue
        term_abs = 0.0
        for h in range(n_hub):
            if w_hub[h] == 0.0:
                continue
            base = coef * w_hub[h]
            gp[0] = 1.0
            for k in range(n_comp):
                gp[k + 1] = gp[k] * g[idx[k], h]
            gs[n_comp] = 1.0
            for k in range(n_comp - 1, -1, -1):
                gs[k] = gs[k + 1] * g[idx[k], h]
            t = base * gp[n_comp]
            hub_share[h] += t
            total += t
            term_abs += abs(t)
            for k in range(n_comp):
                o[idx[k], h] += base * gp[k] * gs[k + 1]
        size += term_abs
    # phase C: cofactors per component and local combination
    for k in range(n_comp):
        nu = comp_nunits[k]
        for c in range(n_local[k]):
            local_vectors(k, c)
            for j in range(nu):
                u = comp_units[k, j]
                for p in range(unit_np[u]):
                    cof[z_off[u] + p] = 0.0
            for row in range(comp_rows[k], comp_rows[k + 1]):
                other = o[g_off[k] + c, row_hub[row]] * w_row[row]
                if other == 0.0:
                    continue
                for j in range(nu):
                    zr[j] = z[z_off[comp_units[k, j]] + row_pidx[row, j]]
                pre[0] = 1.0
                for j in range(nu):
                    pre[j + 1] = pre[j] * zr[j]
                suf[nu] = 1.0
                for j in range(nu - 1, -1, -1):
                    suf[j] = suf[j + 1] * zr[j]
                for j in range(nu):
                    cof[z_off[comp_units[k, j]] + row_pidx[row, j]] += other * pre[j] * suf[j + 1]
                row_share[row] += other * pre[nu]
            for j in range(nu):
                u = comp_units[k, j]
                xs = unit_xs[u]
                nx = unit_nx[u]
                base = t_off[u]
                for x in range(nx):
                    acc = 0.0
                    for p in range(unit_np[u]):
                        acc += cof[z_off[u] + p] * t_flat[base + p * nx + x]
                    joint[xs + x] += acc * v_s[xs + x]
    return total, size, joint, hub_share, row_share, True
