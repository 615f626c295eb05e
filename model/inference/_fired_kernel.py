# mypy: ignore-errors
"""The compiled fired-set sweep of ``model.inference.fired`` (numba, imported on first need).

Kept apart from ``model.inference._noisyor_kernel`` (the signed Quickscore) so that each
compiles only when used; ``cache=True`` stores the machine code next to this file.

The state of the sweep is a bit vector ``s`` over the positive findings' *bits* (bit ``b``
set: "finding ``b`` has fired"), so one message is ``2^B`` non-negative numbers. A unit's
operator for parent state ``p`` is ``K_u(p) = sum_x T_u[p, x] d(x) (x)_b M_b(x)`` with the
per-bit upper-triangular ``M_b(x) = [[stay, fire], [0, keep]]``; only the ``t`` bits that
touch ``u`` change, so it is stored as ``3^t`` numbers (the pairs ``a <= b`` of local
bit states: stays clear, fires here, was already set), grouped by the state before.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def fired_sweep(
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
    stay,
    fire,
    keep,
    init0,
    init1,
    unit_bits,
    unit_nbits,
):  # pragma: no cover - compiled
    """P(e), unit-state joints, hub and row shares by a sweep over fired sets (no signs).

    ``stay``, ``fire``, ``keep``: ``(B, n_xs)`` per bit and unit state; ``init0``/``init1``:
    each bit's mass before any unit (the leak); the answer keeps only the all-set state.
    ``unit_bits[u, :unit_nbits[u]]``: the bits that touch unit ``u``.
    """
    n_hub = hub_codes.shape[0]
    n_comp = comp_rows.shape[0] - 1
    n_units = unit_xs.shape[0]
    n_xs = d.shape[0]
    n_rows = row_hub.shape[0]
    n_bits = init0.shape[0]
    n_s = 1 << n_bits
    full = n_s - 1
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
    # per unit: its 3^t local pairs (a <= b), grouped by a, their global offsets and the
    # other bits' states; a pair's factor product V_u[x, r] at every unit state
    n3 = np.ones(n_units, dtype=np.int64)
    n2 = np.ones(n_units, dtype=np.int64)
    for u in range(n_units):
        for _i in range(unit_nbits[u]):
            n3[u] *= 3
            n2[u] *= 2
    # the first unit of the sweep meets every bit it touches clear (leaks enter there):
    # only its pairs from the clear state exist (2^t, not 3^t numbers per parent state)
    n_la = n2.copy()
    n3_all = n3.max()  # the Kronecker build's scratch
    first = comp_units[0, 0]
    n_la[first] = 1
    n3[first] = n2[first]
    p_off = np.zeros(n_units + 1, dtype=np.int64)  # into offb / V rows
    g_off = np.zeros(n_units + 1, dtype=np.int64)  # into grp / la_glob
    o_off = np.zeros(n_units + 1, dtype=np.int64)
    for u in range(n_units):
        p_off[u + 1] = p_off[u] + n3[u]
        g_off[u + 1] = g_off[u] + n2[u] + 1
        o_off[u + 1] = o_off[u] + (n_s >> unit_nbits[u])
    offb = np.zeros(p_off[n_units], dtype=np.int64)
    tern = np.zeros(p_off[n_units], dtype=np.int64)  # each pair's ternary index
    grp = np.zeros(g_off[n_units], dtype=np.int64)
    la_glob = np.zeros(g_off[n_units], dtype=np.int64)
    others = np.zeros(o_off[n_units], dtype=np.int64)
    for u in range(n_units):
        t = unit_nbits[u]
        r = 0
        for la in range(n_la[u]):
            grp[g_off[u] + la] = r
            ga = 0
            for i in range(t):
                if (la >> i) & 1:
                    ga |= 1 << unit_bits[u, i]
            la_glob[g_off[u] + la] = ga
            free = (n2[u] - 1) & ~la
            sub = free
            while True:
                j = 0
                gb = ga
                p3 = 1
                for i in range(t):
                    if (la >> i) & 1:
                        j += 2 * p3
                    elif (sub >> i) & 1:
                        j += p3
                        gb |= 1 << unit_bits[u, i]
                    p3 *= 3
                tern[p_off[u] + r] = j
                offb[p_off[u] + r] = gb
                r += 1
                if sub == 0:
                    break
                sub = (sub - 1) & free
        for la in range(n_la[u], n2[u] + 1):
            grp[g_off[u] + la] = r
        mask = 0
        for i in range(t):
            mask |= 1 << unit_bits[u, i]
        c = 0
        for s in range(n_s):
            if s & mask == 0:
                others[o_off[u] + c] = s
                c += 1
    v_off = np.zeros(n_units + 1, dtype=np.int64)
    k_off = np.zeros(n_units + 1, dtype=np.int64)
    for u in range(n_units):
        v_off[u + 1] = v_off[u] + unit_nx[u] * n3[u]
        k_off[u + 1] = k_off[u] + unit_np[u] * n3[u]
    vtab = np.empty(v_off[n_units])
    scratch = np.empty(n3_all)
    for u in range(n_units):
        t = unit_nbits[u]
        for x in range(unit_nx[u]):
            gx = unit_xs[u] + x
            scratch[0] = 1.0
            size = 1
            for i in range(t):
                bi = unit_bits[u, i]
                m0, m1, m2 = stay[bi, gx], fire[bi, gx], keep[bi, gx]
                for j in range(size):
                    val = scratch[j]
                    scratch[j] = val * m0
                    scratch[size + j] = val * m1
                    scratch[2 * size + j] = val * m2
                size *= 3
            base = v_off[u] + x * n3[u]
            for r in range(n3[u]):
                vtab[base + r] = scratch[tern[p_off[u] + r]]
    # K_u(p)[j] = sum_x T_u[p, x] d(x) V_u[x, j]
    ktab = np.zeros(k_off[n_units])
    for u in range(n_units):
        nx = unit_nx[u]
        for p in range(unit_np[u]):
            kb = k_off[u] + p * n3[u]
            for x in range(nx):
                c = t_flat[t_off[u] + p * nx + x] * d[unit_xs[u] + x]
                if c == 0.0:
                    continue
                vb = v_off[u] + x * n3[u]
                for j in range(n3[u]):
                    ktab[kb + j] += c * vtab[vb + j]
    max_units = comp_units.shape[1]
    # scratch per row; rows grouped by a local ``a`` skip a zero source at once
    fw = np.zeros((max_units + 1, n_s))
    bw = np.zeros((max_units + 1, n_s))
    # a unit no bit touches has a one-number operator per parent state: per row, those
    # units are one product (operators commute) and only the others pass the message;
    # ``ns_idx[k]``/``sc_idx[k]``: positions in component k of each kind, in order
    n_ns = np.zeros(n_comp, dtype=np.int64)
    n_sc = np.zeros(n_comp, dtype=np.int64)
    ns_idx = np.zeros((n_comp, max_units), dtype=np.int64)
    sc_idx = np.zeros((n_comp, max_units), dtype=np.int64)
    for k in range(n_comp):
        for jj in range(comp_nunits[k]):
            if unit_nbits[comp_units[k, jj]] == 0:
                sc_idx[k, n_sc[k]] = jj
                n_sc[k] += 1
            else:
                ns_idx[k, n_ns[k]] = jj
                n_ns[k] += 1
    sv = np.zeros(max_units)
    sp = np.zeros(max_units + 1)
    ss = np.zeros(max_units + 1)
    # forward: alpha[k, h] is the message entering component k
    alpha = np.zeros((n_comp + 1, n_hub, n_s))
    for h in range(n_hub):
        if w_hub[h] == 0.0:
            continue
        for s in range(n_s):
            m = w_hub[h]
            for bi in range(n_bits):
                m *= init1[bi] if (s >> bi) & 1 else init0[bi]
            alpha[0, h, s] = m
    for k in range(n_comp):
        nq = n_ns[k]
        for row in range(comp_rows[k], comp_rows[k + 1]):
            w = w_row[row]
            for q in range(n_sc[k]):
                jj = sc_idx[k, q]
                w *= ktab[k_off[comp_units[k, jj]] + row_pidx[row, jj]]
            if w == 0.0:
                continue
            h = row_hub[row]
            for s in range(n_s):
                fw[0, s] = alpha[k, h, s]
            _forward_row(
                fw, k, row, nq, ns_idx, n_s, comp_units, row_pidx, k_off, n3, o_off, others,
                n_la, la_glob, g_off, grp, offb, p_off, ktab,
            )  # fmt: skip
            for s in range(n_s):
                alpha[k + 1, h, s] += w * fw[nq, s]
    hub_share = np.zeros(n_hub)
    total = 0.0
    for h in range(n_hub):
        hub_share[h] = alpha[n_comp, h, full]
        total += hub_share[h]
    # backward, components in reverse: prefix (from alpha) and suffix (from gamma) per row
    gamma = np.zeros((n_hub, n_s))
    gamma_prev = np.zeros((n_hub, n_s))
    for h in range(n_hub):
        gamma[h, full] = 1.0
    cof = np.zeros(k_off[n_units])
    row_share = np.zeros(n_rows)
    for k in range(n_comp - 1, -1, -1):
        nq = n_ns[k]
        nc = n_sc[k]
        for h in range(n_hub):
            for s in range(n_s):
                gamma_prev[h, s] = 0.0
        for row in range(comp_rows[k], comp_rows[k + 1]):
            w0 = w_row[row]
            if w0 == 0.0:
                continue
            # the one-number units: their product, and each one's cofactor (prefix x suffix)
            sp[0] = 1.0
            for q in range(nc):
                jj = sc_idx[k, q]
                sv[q] = ktab[k_off[comp_units[k, jj]] + row_pidx[row, jj]]
                sp[q + 1] = sp[q] * sv[q]
            w = w0 * sp[nc]
            if w == 0.0:  # a zero operator: every unit state it sums has zero mass
                continue
            h = row_hub[row]
            for s in range(n_s):
                fw[0, s] = alpha[k, h, s]
                bw[nq, s] = gamma[h, s]
            _forward_row(
                fw, k, row, nq, ns_idx, n_s, comp_units, row_pidx, k_off, n3, o_off, others,
                n_la, la_glob, g_off, grp, offb, p_off, ktab,
            )  # fmt: skip
            # the message back out of the first component is never needed
            last = 1 if k == 0 else 0
            for q in range(nq - 1, last - 1, -1):
                jj = ns_idx[k, q]
                u = comp_units[k, jj]
                kb = k_off[u] + row_pidx[row, jj] * n3[u]
                for i in range(o_off[u], o_off[u + 1]):
                    o = others[i]
                    for la in range(n_la[u]):
                        acc = 0.0
                        for r in range(grp[g_off[u] + la], grp[g_off[u] + la + 1]):
                            acc += ktab[kb + r] * bw[q + 1, o + offb[p_off[u] + r]]
                        bw[q, o + la_glob[g_off[u] + la]] = acc
            for q in range(nq):
                jj = ns_idx[k, q]
                u = comp_units[k, jj]
                kb = k_off[u] + row_pidx[row, jj] * n3[u]
                for i in range(o_off[u], o_off[u + 1]):
                    o = others[i]
                    for la in range(n_la[u]):
                        v = w * fw[q, o + la_glob[g_off[u] + la]]
                        if v == 0.0:
                            continue
                        for r in range(grp[g_off[u] + la], grp[g_off[u] + la + 1]):
                            cof[kb + r] += v * bw[q + 1, o + offb[p_off[u] + r]]
            acc = 0.0
            for s in range(n_s):
                acc += fw[nq, s] * gamma[h, s]
            row_share[row] = w * acc
            ss[nc] = 1.0
            for q in range(nc - 1, -1, -1):
                ss[q] = ss[q + 1] * sv[q]
            for q in range(nc):
                jj = sc_idx[k, q]
                cof[k_off[comp_units[k, jj]] + row_pidx[row, jj]] += w0 * sp[q] * ss[q + 1] * acc
            if k > 0:
                for s in range(n_s):
                    gamma_prev[h, s] += w * bw[0, s]
        for h in range(n_hub):
            for s in range(n_s):
                gamma[h, s] = gamma_prev[h, s]
    # unit-state joints: sum_p T_u[p, x] d(x) sum_j cof_u(p)[j] V_u[x, j]
    joint = np.zeros(n_xs)
    for u in range(n_units):
        nx = unit_nx[u]
        for x in range(nx):
            vb = v_off[u] + x * n3[u]
            acc = 0.0
            for p in range(unit_np[u]):
                kb = k_off[u] + p * n3[u]
                inner = 0.0
                for j in range(n3[u]):
                    inner += cof[kb + j] * vtab[vb + j]
                acc += t_flat[t_off[u] + p * nx + x] * inner
            joint[unit_xs[u] + x] = acc * d[unit_xs[u] + x]
    return total, joint, hub_share, row_share


@njit(cache=True, nogil=True)
def _forward_row(
    fw,
    k,
    row,
    nq,
    idx,
    n_s,
    comp_units,
    row_pidx,
    k_off,
    n3,
    o_off,
    others,
    n_la,
    la_glob,
    g_off,
    grp,
    offb,
    p_off,
    ktab,
):  # pragma: no cover - compiled
    """The messages after each unit of component ``k`` for one row (``fw[0]`` set before).

    ``fw[q + 1]`` is ``fw[q]`` through the operator of unit ``idx[k, q]`` (its position in
    the component; ``nq`` of them); the forward pass and the backward pass (which rebuilds
    the prefixes) share it.
    """
    for q in range(nq):
        jj = idx[k, q]
        u = comp_units[k, jj]
        kb = k_off[u] + row_pidx[row, jj] * n3[u]
        for s in range(n_s):
            fw[q + 1, s] = 0.0
        for i in range(o_off[u], o_off[u + 1]):
            o = others[i]
            for la in range(n_la[u]):
                v = fw[q, o + la_glob[g_off[u] + la]]
                if v == 0.0:
                    continue
                for r in range(grp[g_off[u] + la], grp[g_off[u] + la + 1]):
                    fw[q + 1, o + offb[p_off[u] + r]] += ktab[kb + r] * v
