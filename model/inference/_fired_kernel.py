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
Each bit is open only from its first unit to its last in the visit order (clear before,
set after: the other states carry nothing to the answer), so a unit visits ``2^open``
states, not ``2^B``; ``sweep_order`` picks the order (see ``model.inference.fired``).
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
    corder,
    urank,
):  # pragma: no cover - compiled
    """P(e), unit-state joints, hub and row shares by a sweep over fired sets (no signs).

    ``stay``, ``fire``, ``keep``: ``(B, n_xs)`` per bit and unit state; ``init0``/``init1``:
    each bit's mass before any unit (the leak), with ``init1 == 0`` for every bit a unit
    touches (``fired._leak_at_first`` moves the leak into a unit; the windows assume a bit
    clear before its first unit); the answer keeps only the all-set state.
    ``unit_bits[u, :unit_nbits[u]]``: the bits that touch unit ``u``. The components are
    visited in the order ``corder``, the units of each by increasing ``urank`` (any order
    gives the same answer; ``sweep_order`` picks a cheap one).
    """
    n_hub = hub_codes.shape[0]
    n_comp = comp_rows.shape[0] - 1
    n_units = unit_xs.shape[0]
    n_xs = d.shape[0]
    n_rows = row_hub.shape[0]
    n_bits = init0.shape[0]
    n_s = 1 << n_bits
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
    # each bit's window in the visit order of the units bits touch (components, then
    # units): before its first unit it is clear in every state with mass (its leak enters
    # there), after its last only its set states reach the answer (the all-set state), so a
    # unit visits only the states whose other bits its window leaves free
    # ``ns_idx[k]``/``sc_idx[k]``: positions in component k of the units bits touch (by
    # rank) and of the others; a unit no bit touches has a one-number operator per parent
    # state: per row, those units are one product (operators commute) and only the others
    # pass the message
    max_units = comp_units.shape[1]
    n_ns = np.zeros(n_comp, dtype=np.int64)
    n_sc = np.zeros(n_comp, dtype=np.int64)
    ns_idx = np.zeros((n_comp, max_units), dtype=np.int64)
    sc_idx = np.zeros((n_comp, max_units), dtype=np.int64)
    for k in range(n_comp):
        for jj in range(comp_nunits[k]):
            u = comp_units[k, jj]
            if unit_nbits[u] == 0:
                sc_idx[k, n_sc[k]] = jj
                n_sc[k] += 1
                continue
            q = n_ns[k]
            while q > 0 and urank[comp_units[k, ns_idx[k, q - 1]]] > urank[u]:
                ns_idx[k, q] = ns_idx[k, q - 1]
                q -= 1
            ns_idx[k, q] = jj
            n_ns[k] += 1
    n_pos = 0
    pos_of = np.full(n_units, -1, dtype=np.int64)
    comp_pos = np.zeros(n_comp + 1, dtype=np.int64)  # by visit step
    for ki in range(n_comp):
        k = corder[ki]
        comp_pos[ki] = n_pos
        for q in range(n_ns[k]):
            pos_of[comp_units[k, ns_idx[k, q]]] = n_pos
            n_pos += 1
    comp_pos[n_comp] = n_pos
    first_b = np.full(max(1, n_bits), n_pos, dtype=np.int64)
    last_b = np.full(max(1, n_bits), -1, dtype=np.int64)  # a bit no unit touches: set
    for u in range(n_units):
        for i in range(unit_nbits[u]):
            b = unit_bits[u, i]
            first_b[b] = min(first_b[b], pos_of[u])
            last_b[b] = max(last_b[b], pos_of[u])
    # the states with mass that can still reach the answer at each component boundary
    l_off = np.zeros(n_comp + 2, dtype=np.int64)
    b_set = np.zeros(n_comp + 1, dtype=np.int64)
    b_free = np.zeros(n_comp + 1, dtype=np.int64)
    for k in range(n_comp + 1):
        b_set[k], b_free[k] = _window(comp_pos[k], first_b, last_b, n_bits, 0)
        l_off[k + 1] = l_off[k] + (1 << _popcount(b_free[k]))
    live = np.zeros(l_off[n_comp + 1], dtype=np.int64)
    for k in range(n_comp + 1):
        _fill_subsets(live, l_off[k], b_set[k], b_free[k])
    # per unit: its local pairs (a <= b) that the windows allow (3^t at most; a bit opening
    # here starts clear, one closing here ends set), grouped by a (each ``a`` with no bit
    # opening here has a pair), their global offsets and the other bits' states; a pair's
    # factor product V_u[x, r] at every unit state
    n2 = np.ones(n_units, dtype=np.int64)
    open_l = np.zeros(n_units, dtype=np.int64)
    close_l = np.zeros(n_units, dtype=np.int64)
    mask_u = np.zeros(n_units, dtype=np.int64)
    for u in range(n_units):
        for i in range(unit_nbits[u]):
            n2[u] *= 2
            b = unit_bits[u, i]
            mask_u[u] |= 1 << b
            if first_b[b] == pos_of[u]:
                open_l[u] |= 1 << i
            if last_b[b] == pos_of[u]:
                close_l[u] |= 1 << i
    n3 = np.zeros(n_units, dtype=np.int64)
    n_out = np.zeros(n_units, dtype=np.int64)
    n_oth = np.zeros(n_units, dtype=np.int64)
    for u in range(n_units):
        # pairs per local bit: 3 (a <= b), 2 if it opens here (starts clear) or closes here
        # (ends set), 1 if both
        n3[u] = 1
        for i in range(unit_nbits[u]):
            n3[u] *= 3 - ((open_l[u] >> i) & 1) - ((close_l[u] >> i) & 1)
        for c in range(n2[u]):
            if (c & close_l[u]) == close_l[u]:
                n_out[u] += 1
        if unit_nbits[u] > 0:
            _, free = _window(pos_of[u], first_b, last_b, n_bits, mask_u[u])
            n_oth[u] = 1 << _popcount(free)
    n3_all = 1
    for u in range(n_units):
        n3_all = max(n3_all, 3 ** unit_nbits[u])  # the Kronecker build's scratch
    p_off = np.zeros(n_units + 1, dtype=np.int64)  # into offb / V rows
    la_off = np.zeros(n_units + 1, dtype=np.int64)  # into lag / lgs / lge: the groups
    o_off = np.zeros(n_units + 1, dtype=np.int64)
    z_off = np.zeros(n_units + 1, dtype=np.int64)  # into zg: the states a unit writes
    for u in range(n_units):
        p_off[u + 1] = p_off[u] + n3[u]
        la_off[u + 1] = la_off[u] + (n2[u] >> _popcount(open_l[u]))
        o_off[u + 1] = o_off[u] + n_oth[u]
        z_off[u + 1] = z_off[u] + n_out[u]
    offb = np.zeros(p_off[n_units], dtype=np.int64)
    tern = np.zeros(p_off[n_units], dtype=np.int64)  # each pair's ternary index
    lag = np.zeros(la_off[n_units], dtype=np.int64)  # a group's state before, global
    lgs = np.zeros(la_off[n_units], dtype=np.int64)  # its pairs: offb[lgs:lge]
    lge = np.zeros(la_off[n_units], dtype=np.int64)
    others = np.zeros(o_off[n_units], dtype=np.int64)
    zg = np.zeros(z_off[n_units], dtype=np.int64)
    for u in range(n_units):
        t = unit_nbits[u]
        r = 0
        li = la_off[u]
        for la in range(n2[u]):
            if la & open_l[u]:
                continue
            lag[li] = _local_to_global(la, unit_bits, u, t)
            lgs[li] = p_off[u] + r
            free = (n2[u] - 1) & ~la
            sub = free
            while True:
                if ((la | sub) & close_l[u]) == close_l[u]:
                    j = 0
                    p3 = 1
                    for i in range(t):
                        if (la >> i) & 1:
                            j += 2 * p3
                        elif (sub >> i) & 1:
                            j += p3
                        p3 *= 3
                    tern[p_off[u] + r] = j
                    offb[p_off[u] + r] = _local_to_global(la | sub, unit_bits, u, t)
                    r += 1
                if sub == 0:
                    break
                sub = (sub - 1) & free
            lge[li] = p_off[u] + r
            li += 1
        c2 = 0
        for c in range(n2[u]):
            if (c & close_l[u]) == close_l[u]:
                zg[z_off[u] + c2] = _local_to_global(c, unit_bits, u, t)
                c2 += 1
        if t > 0:
            fixed1, free = _window(pos_of[u], first_b, last_b, n_bits, mask_u[u])
            _fill_subsets(others, o_off[u], fixed1, free)
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
    # scratch per row; rows grouped by a local ``a`` skip a zero source at once
    fw = np.zeros((max_units + 1, n_s))
    bw = np.zeros((max_units + 1, n_s))
    sv = np.zeros(max_units)
    sp = np.zeros(max_units + 1)
    ss = np.zeros(max_units + 1)
    # forward: alpha[h, l_off[ki] + i] is the message entering the component visited
    # ki-th at its boundary's i-th live state (messages hold the live states only)
    alpha = np.zeros((n_hub, l_off[n_comp + 1]))
    for h in range(n_hub):
        if w_hub[h] == 0.0:
            continue
        for i in range(l_off[0], l_off[1]):
            m = w_hub[h]
            for bi in range(n_bits):
                m *= init1[bi] if (live[i] >> bi) & 1 else init0[bi]
            alpha[h, i] = m
    for ki in range(n_comp):
        k = corder[ki]
        nq = n_ns[k]
        for row in range(comp_rows[k], comp_rows[k + 1]):
            w = w_row[row]
            for q in range(n_sc[k]):
                jj = sc_idx[k, q]
                w *= ktab[k_off[comp_units[k, jj]] + row_pidx[row, jj]]
            if w == 0.0:
                continue
            h = row_hub[row]
            # fw[0]: the message entering, at hub state h (written out in both passes: an
            # inlined helper, or this inside _forward_row, measured 50% slower)
            if l_off[ki + 1] - l_off[ki] == n_s:
                for s in range(n_s):
                    fw[0, s] = alpha[h, l_off[ki] + s]
            else:
                for i in range(l_off[ki], l_off[ki + 1]):
                    fw[0, live[i]] = alpha[h, i]
            _forward_row(
                fw, k, row, nq, ns_idx, comp_units, row_pidx, k_off, n3, o_off, others,
                la_off, lag, lgs, lge, offb, p_off, ktab, z_off, zg, n_s,
            )  # fmt: skip
            if l_off[ki + 2] - l_off[ki + 1] == n_s:
                for s in range(n_s):
                    alpha[h, l_off[ki + 1] + s] += w * fw[nq, s]
            else:
                for i in range(l_off[ki + 1], l_off[ki + 2]):
                    alpha[h, i] += w * fw[nq, live[i]]
    hub_share = np.zeros(n_hub)
    total = 0.0
    for h in range(n_hub):
        hub_share[h] = alpha[h, l_off[n_comp]]  # the last boundary's one live state: all set
        total += hub_share[h]
    # backward, components in reverse: prefix (from alpha) and suffix (from gamma) per row
    # gamma[h, i]: the message back at a boundary's i-th live state
    n_live = 1
    for k in range(n_comp + 1):
        n_live = max(n_live, l_off[k + 1] - l_off[k])
    gamma = np.zeros((n_hub, n_live))
    gamma_prev = np.zeros((n_hub, n_live))
    for h in range(n_hub):
        gamma[h, 0] = 1.0
    cof = np.zeros(k_off[n_units])
    row_share = np.zeros(n_rows)
    for ki in range(n_comp - 1, -1, -1):
        k = corder[ki]
        nq = n_ns[k]
        nc = n_sc[k]
        for h in range(n_hub):
            for i in range(l_off[ki + 1] - l_off[ki]):
                gamma_prev[h, i] = 0.0
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
            # fw[0]: the message entering, at hub state h (written out in both passes: an
            # inlined helper, or this inside _forward_row, measured 50% slower)
            if l_off[ki + 1] - l_off[ki] == n_s:
                for s in range(n_s):
                    fw[0, s] = alpha[h, l_off[ki] + s]
            else:
                for i in range(l_off[ki], l_off[ki + 1]):
                    fw[0, live[i]] = alpha[h, i]
            if l_off[ki + 2] - l_off[ki + 1] == n_s:
                for s in range(n_s):
                    bw[nq, s] = gamma[h, s]
            else:
                for i in range(l_off[ki + 1], l_off[ki + 2]):
                    bw[nq, live[i]] = gamma[h, i - l_off[ki + 1]]
            # the message back out of the first component is never needed
            last = 1 if ki == 0 else 0
            # the prefixes the cofactors need: fw[0] .. fw[nq - 1]; the row's total is
            # then fw[nq - 1] . bw[nq - 1] (the last unit's step, which the forward pass
            # took, is not taken again), unless that back message is never built
            n_fw = nq if nq == 0 or nq - 1 < last else nq - 1
            _forward_row(
                fw, k, row, n_fw, ns_idx, comp_units, row_pidx, k_off, n3, o_off, others,
                la_off, lag, lgs, lge, offb, p_off, ktab, z_off, zg, n_s,
            )  # fmt: skip
            # units last to first: each unit's cofactors (the prefix fw[q] times the back
            # message bw[q + 1]) and the back message before it, in one pass over its pairs
            for q in range(nq - 1, -1, -1):
                jj = ns_idx[k, q]
                u = comp_units[k, jj]
                kb = k_off[u] + row_pidx[row, jj] * n3[u]
                kb -= p_off[u]  # pair r of unit u: ktab[kb + r], offb[r] (r from p_off[u])
                back = q >= last
                for i in range(o_off[u], o_off[u + 1]):
                    o = others[i]
                    for li in range(la_off[u], la_off[u + 1]):
                        v = w * fw[q, o + lag[li]]
                        if v == 0.0:
                            if back:
                                acc = 0.0
                                for r in range(lgs[li], lge[li]):
                                    acc += ktab[kb + r] * bw[q + 1, o + offb[r]]
                                bw[q, o + lag[li]] = acc
                            continue
                        acc = 0.0
                        for r in range(lgs[li], lge[li]):
                            b = bw[q + 1, o + offb[r]]
                            acc += ktab[kb + r] * b
                            cof[kb + r] += v * b
                        if back:
                            bw[q, o + lag[li]] = acc
            acc = 0.0
            if n_fw < nq:
                u = comp_units[k, ns_idx[k, n_fw]]
                for i in range(o_off[u], o_off[u + 1]):
                    o = others[i]
                    for li in range(la_off[u], la_off[u + 1]):
                        acc += fw[n_fw, o + lag[li]] * bw[n_fw, o + lag[li]]
            elif l_off[ki + 2] - l_off[ki + 1] == n_s:
                for s in range(n_s):
                    acc += fw[nq, s] * gamma[h, s]
            else:
                for i in range(l_off[ki + 1], l_off[ki + 2]):
                    acc += fw[nq, live[i]] * gamma[h, i - l_off[ki + 1]]
            row_share[row] = w * acc
            ss[nc] = 1.0
            for q in range(nc - 1, -1, -1):
                ss[q] = ss[q + 1] * sv[q]
            for q in range(nc):
                jj = sc_idx[k, q]
                cof[k_off[comp_units[k, jj]] + row_pidx[row, jj]] += w0 * sp[q] * ss[q + 1] * acc
            if ki > 0:
                if l_off[ki + 1] - l_off[ki] == n_s:
                    for s in range(n_s):
                        gamma_prev[h, s] += w * bw[0, s]
                else:
                    for i in range(l_off[ki], l_off[ki + 1]):
                        gamma_prev[h, i - l_off[ki]] += w * bw[0, live[i]]
        for h in range(n_hub):
            for i in range(l_off[ki + 1] - l_off[ki]):
                gamma[h, i] = gamma_prev[h, i]
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


@njit(cache=True, nogil=True, inline="always")  # a call per row costs ~10 us
def _forward_row(
    fw,
    k,
    row,
    nq,
    idx,
    comp_units,
    row_pidx,
    k_off,
    n3,
    o_off,
    others,
    la_off,
    lag,
    lgs,
    lge,
    offb,
    p_off,
    ktab,
    z_off,
    zg,
    n_s,
):  # pragma: no cover - compiled
    """The messages after each unit of component ``k`` for one row (``fw[0]`` set before).

    ``fw[q + 1]`` is ``fw[q]`` through the operator of unit ``idx[k, q]`` (its position in
    the component; ``nq`` of them); the forward pass and the backward pass (which rebuilds
    the prefixes) share it.
    """
    for q in range(nq):
        jj = idx[k, q]
        u = comp_units[k, jj]
        kb = k_off[u] + row_pidx[row, jj] * n3[u] - p_off[u]
        if (o_off[u + 1] - o_off[u]) * (z_off[u + 1] - z_off[u]) == n_s:
            for s in range(n_s):
                fw[q + 1, s] = 0.0
        else:
            for i in range(o_off[u], o_off[u + 1]):
                o = others[i]
                for z in range(z_off[u], z_off[u + 1]):
                    fw[q + 1, o + zg[z]] = 0.0
        for i in range(o_off[u], o_off[u + 1]):
            o = others[i]
            for li in range(la_off[u], la_off[u + 1]):
                v = fw[q, o + lag[li]]
                if v == 0.0:
                    continue
                for r in range(lgs[li], lge[li]):
                    fw[q + 1, o + offb[r]] += ktab[kb + r] * v


@njit(cache=True, nogil=True)
def _window(p, first_b, last_b, n_bits, exclude):  # pragma: no cover - compiled
    """The bits set and the bits free at position ``p`` (those in ``exclude`` aside)."""
    fixed1 = 0
    free = 0
    for b in range(n_bits):
        m = 1 << b
        if exclude & m:
            continue
        if last_b[b] < p:
            fixed1 |= m
        elif first_b[b] < p:
            free |= m
    return fixed1, free


@njit(cache=True, nogil=True)
def _popcount(x):  # pragma: no cover - compiled
    n = 0
    while x:
        x &= x - 1
        n += 1
    return n


@njit(cache=True, nogil=True)
def _fill_subsets(out, start, fixed1, free):  # pragma: no cover - compiled
    """``out[start:]`` = ``fixed1`` with every subset of ``free``, in increasing order."""
    sub = 0
    i = start
    while True:
        out[i] = fixed1 | sub
        i += 1
        sub = (sub - free) & free
        if sub == 0:
            break


@njit(cache=True, nogil=True)
def _local_to_global(local, unit_bits, u, t):  # pragma: no cover - compiled
    g = 0
    for i in range(t):
        if (local >> i) & 1:
            g |= 1 << unit_bits[u, i]
    return g


SEARCH_WORK = 2e6  # multiply-adds of a run past which every first component is tried


@njit(cache=True, nogil=True)
def plan_visit(touch, comp_units, comp_nunits, comp_nrows, unit_cells):  # pragma: no cover
    """``(corder, urank, first, work, unit_bits, unit_nbits, n_live, max_live)`` for a run.

    ``touch[b, u]``: bit ``b`` touches unit ``u``; ``first[b]``: the first unit it touches
    in the visit order (-1: none); the order is ``sweep_order``'s; ``n_live``/``max_live``:
    the live states summed over the component boundaries, and the most at one.
    """
    n_bits, n_units = touch.shape
    unit_nbits = np.zeros(n_units, dtype=np.int64)
    unit_bits = np.zeros((n_units, max(1, n_bits)), dtype=np.int64)
    for u in range(n_units):
        for b in range(n_bits):
            if touch[b, u]:
                unit_bits[u, unit_nbits[u]] = b
                unit_nbits[u] += 1
    corder, urank, work = sweep_order(
        unit_bits, unit_nbits, comp_units, comp_nunits, comp_nrows, unit_cells, n_bits
    )
    first = np.full(n_bits, -1, dtype=np.int64)
    best = np.full(n_bits, 1 << 62, dtype=np.int64)
    pos = np.zeros(n_units, dtype=np.int64)
    for ki in range(corder.shape[0]):
        k = corder[ki]
        for jj in range(comp_nunits[k]):
            pos[comp_units[k, jj]] = ki * n_units + urank[comp_units[k, jj]]
    first_k = np.full(max(1, n_bits), n_units, dtype=np.int64)
    last_k = np.full(max(1, n_bits), -1, dtype=np.int64)
    for u in range(n_units):
        for i in range(unit_nbits[u]):
            b = unit_bits[u, i]
            if pos[u] < best[b]:
                best[b] = pos[u]
                first[b] = u
            first_k[b] = min(first_k[b], pos[u] // n_units)
            last_k[b] = max(last_k[b], pos[u] // n_units)
    # a bit is free at the boundary before the ki-th component if met before it and not done
    n_live = 0
    max_live = 1
    for ki in range(corder.shape[0] + 1):
        free = 0
        for b in range(n_bits):
            if first_k[b] < ki <= last_k[b]:
                free += 1
        n_live += 1 << free
        max_live = max(max_live, 1 << free)
    return corder, urank, first, work, unit_bits, unit_nbits, n_live, max_live


@njit(cache=True, nogil=True)
def sweep_order(
    unit_bits, unit_nbits, comp_units, comp_nunits, comp_nrows, unit_cells, n_bits
):  # pragma: no cover - compiled
    """A cheap visit order for ``fired_sweep``: ``(corder, urank, work)``.

    The cost of a unit grows with the bits open across it (met before, not yet done), so
    the order matters by ``2^open``. Two greedy orders (the component leaving fewest bits
    open next, then the cheaper; the cheaper, weighed by the bits it leaves open) and the
    engine's own order are costed by ``order_work`` and the cheapest is kept.
    """
    n_comp = comp_nunits.shape[0]
    n_units = unit_nbits.shape[0]
    best_c = np.arange(n_comp)
    best_r = np.arange(n_units)
    best_w = order_work(
        best_c, best_r, unit_bits, unit_nbits, comp_units, comp_nunits, comp_nrows, unit_cells,
        n_bits,
    )  # fmt: skip
    if n_bits == 0:
        return best_c, best_r, best_w
    # a dear run is worth a wider search: the greedy orders from every first component
    starts = n_comp if best_w > SEARCH_WORK else 0
    for start in range(-1, starts):
        if start >= 0 and not _touched(start, unit_nbits, comp_units, comp_nunits):
            continue  # a component no bit touches costs nothing first: the greedy's own start
        for variant in range(2):
            corder, urank = _greedy_order(
                variant, start, unit_bits, unit_nbits, comp_units, comp_nunits, comp_nrows,
                n_bits,
            )  # fmt: skip
            w = order_work(
                corder, urank, unit_bits, unit_nbits, comp_units, comp_nunits, comp_nrows,
                unit_cells, n_bits,
            )  # fmt: skip
            if w < best_w:
                best_c, best_r, best_w = corder, urank, w
    if best_w > SEARCH_WORK:
        best_c, best_w = _improve(
            best_c, best_r, best_w, unit_bits, unit_nbits, comp_units, comp_nunits, comp_nrows,
            unit_cells, n_bits,
        )  # fmt: skip
    return best_c, best_r, best_w


@njit(cache=True, nogil=True)
def _touched(k, unit_nbits, comp_units, comp_nunits):  # pragma: no cover - compiled
    """Whether a bit touches a unit of component ``k``."""
    for jj in range(comp_nunits[k]):
        if unit_nbits[comp_units[k, jj]] > 0:
            return True
    return False


@njit(cache=True, nogil=True)
def _improve(
    corder,
    urank,
    work,
    unit_bits,
    unit_nbits,
    comp_units,
    comp_nunits,
    comp_nrows,
    unit_cells,
    n_bits,
):  # pragma: no cover - compiled
    """Move one component at a time to a place that lowers ``order_work`` (3 passes).

    A move from place ``i`` to ``j`` reorders only the places between them: the masks and
    ``rem`` entering a place depend on the set of units visited before it, not on their
    order, so the places before ``min(i, j)`` and after ``max(i, j)`` cost what they cost in
    ``best``. Each trial costs that segment alone, from the state kept at its start.
    """
    n = corder.shape[0]
    seq, n_seq = _by_rank(urank, unit_nbits, comp_units, comp_nunits)
    best = corder.copy()
    nb = max(1, n_bits)
    st_open = np.zeros(n + 1, dtype=np.int64)
    st_live = np.zeros(n + 1, dtype=np.int64)
    st_rem = np.zeros((n + 1, nb), dtype=np.int64)
    before = np.zeros(n + 1)  # the cost of best's places before each place
    rem = np.zeros(nb, dtype=np.int64)
    _prefix_states(
        best, seq, n_seq, unit_bits, unit_nbits, comp_nrows, unit_cells, n_bits, st_open,
        st_live, st_rem, before,
    )  # fmt: skip
    for _pass in range(3):
        better = False
        for i in range(n):
            for j in range(n):
                if i == j:
                    continue
                lo = min(i, j)
                hi = max(i, j)
                opened = st_open[lo]
                live = st_live[lo]
                rem[:] = st_rem[lo]
                w = before[lo] + (before[n] - before[hi + 1])
                # ``best`` with its i-th component moved to place j, places lo..hi
                for m in range(lo, hi + 1):
                    if i < j:
                        c = best[m + 1] if m < hi else best[i]
                    else:
                        c = best[i] if m == lo else best[m - 1]
                    cw, opened, live = _comp_work(
                        c, opened, live, rem, seq, n_seq, unit_bits, unit_nbits, comp_nrows,
                        unit_cells,
                    )  # fmt: skip
                    w += cw
                if w < work * (1.0 - 1e-9):
                    work = w
                    c = best[i]
                    if i < j:
                        best[i:j] = best[i + 1 : j + 1].copy()
                    else:
                        best[j + 1 : i + 1] = best[j:i].copy()
                    best[j] = c
                    _prefix_states(
                        best, seq, n_seq, unit_bits, unit_nbits, comp_nrows, unit_cells,
                        n_bits, st_open, st_live, st_rem, before,
                    )  # fmt: skip
                    better = True
                    break
        if not better:
            break
    return best, work


@njit(cache=True, nogil=True)
def _prefix_states(
    corder,
    seq,
    n_seq,
    unit_bits,
    unit_nbits,
    comp_nrows,
    unit_cells,
    n_bits,
    st_open,
    st_live,
    st_rem,
    before,
):  # pragma: no cover - compiled
    """The masks, ``rem`` and summed cost entering each place of ``corder`` (in place)."""
    rem = _remaining(unit_bits, unit_nbits, n_bits)
    opened = 0
    live = 0
    work = 0.0
    for ki in range(corder.shape[0]):
        st_open[ki] = opened
        st_live[ki] = live
        st_rem[ki, :] = rem
        before[ki] = work
        cw, opened, live = _comp_work(
            corder[ki], opened, live, rem, seq, n_seq, unit_bits, unit_nbits, comp_nrows,
            unit_cells,
        )  # fmt: skip
        work += cw
    n = corder.shape[0]
    st_open[n] = opened
    st_live[n] = live
    st_rem[n, :] = rem
    before[n] = work


@njit(cache=True, nogil=True)
def _unit_cost(u, opened, live, rem, unit_bits, unit_nbits):  # pragma: no cover - compiled
    """Multiply-adds per row of unit ``u``, and its pairs.

    ``opened``/``live``: bit masks of the bits met so far and of those met and not yet
    done; ``rem``: the units left per bit.
    """
    t = unit_nbits[u]
    pairs = 1.0
    n_close = 0
    mask = 0
    for i in range(t):
        b = unit_bits[u, i]
        mask |= 1 << b
        closing = rem[b] == 1
        n_close += closing
        if (opened >> b) & 1:
            pairs *= 2.0 if closing else 3.0
        elif not closing:
            pairs *= 2.0
    n_oth = float(1 << _popcount(live & ~mask))
    # forward twice (zeroing the states written, then the pairs), back and cofactors
    return n_oth * (4.0 * pairs + 2.0 * float(1 << (t - n_close))), pairs


@njit(cache=True, nogil=True)
def _visit(u, opened, live, rem, unit_bits, unit_nbits):  # pragma: no cover - compiled
    """The masks after unit ``u`` (``rem`` updated in place)."""
    for i in range(unit_nbits[u]):
        b = unit_bits[u, i]
        opened |= 1 << b
        rem[b] -= 1
        if rem[b] == 0:
            live &= ~(1 << b)
        else:
            live |= 1 << b
    return opened, live


@njit(cache=True, nogil=True)
def _remaining(unit_bits, unit_nbits, n_bits):  # pragma: no cover - compiled
    rem = np.zeros(max(1, n_bits), dtype=np.int64)
    for u in range(unit_nbits.shape[0]):
        for i in range(unit_nbits[u]):
            rem[unit_bits[u, i]] += 1
    return rem


@njit(cache=True, nogil=True)
def order_work(
    corder, urank, unit_bits, unit_nbits, comp_units, comp_nunits, comp_nrows, unit_cells, n_bits
):  # pragma: no cover - compiled
    """``fired_sweep``'s multiply-adds in the visit order ``corder``/``urank``."""
    seq, n_seq = _by_rank(urank, unit_nbits, comp_units, comp_nunits)
    return _seq_work(corder, seq, n_seq, unit_bits, unit_nbits, comp_nrows, unit_cells, n_bits)


@njit(cache=True, nogil=True)
def _by_rank(urank, unit_nbits, comp_units, comp_nunits):  # pragma: no cover - compiled
    """Each component's units that bits touch, by rank: ``seq[k, :n_seq[k]]``."""
    n_comp = comp_nunits.shape[0]
    seq = np.zeros((n_comp, max(1, comp_units.shape[1])), dtype=np.int64)
    n_seq = np.zeros(n_comp, dtype=np.int64)
    for k in range(n_comp):
        m = 0
        for jj in range(comp_nunits[k]):
            u = comp_units[k, jj]
            if unit_nbits[u] > 0:
                q = m
                while q > 0 and urank[seq[k, q - 1]] > urank[u]:
                    seq[k, q] = seq[k, q - 1]
                    q -= 1
                seq[k, q] = u
                m += 1
        n_seq[k] = m
    return seq, n_seq


@njit(cache=True, nogil=True)
def _seq_work(
    corder, seq, n_seq, unit_bits, unit_nbits, comp_nrows, unit_cells, n_bits
):  # pragma: no cover - compiled
    n = corder.shape[0]
    st_open = np.zeros(n + 1, dtype=np.int64)
    st_live = np.zeros(n + 1, dtype=np.int64)
    st_rem = np.zeros((n + 1, max(1, n_bits)), dtype=np.int64)
    before = np.zeros(n + 1)
    _prefix_states(
        corder, seq, n_seq, unit_bits, unit_nbits, comp_nrows, unit_cells, n_bits, st_open,
        st_live, st_rem, before,
    )  # fmt: skip
    return before[n]


@njit(cache=True, nogil=True)
def _comp_work(
    k, opened, live, rem, seq, n_seq, unit_bits, unit_nbits, comp_nrows, unit_cells
):  # pragma: no cover - compiled
    """Component ``k``'s multiply-adds entered with these masks: ``(work, opened, live)``.

    ``rem`` is updated in place.
    """
    row = 3.0 * float(1 << _popcount(live))
    work = 0.0
    for q in range(n_seq[k]):
        u = seq[k, q]
        cost, pairs = _unit_cost(u, opened, live, rem, unit_bits, unit_nbits)
        row += cost
        work += 2.0 * unit_cells[u] * pairs
        opened, live = _visit(u, opened, live, rem, unit_bits, unit_nbits)
    row += 3.0 * float(1 << _popcount(live))
    return work + comp_nrows[k] * row, opened, live


@njit(cache=True, nogil=True)
def _greedy_order(
    variant, start, unit_bits, unit_nbits, comp_units, comp_nunits, comp_nrows, n_bits
):  # pragma: no cover - compiled
    """Components one at a time, each with its units one at a time (see ``sweep_order``).

    ``start >= 0``: that component first. A candidate's cost is its cost with only its
    own bits' state (which a step changes only when the component taken shares a bit with
    it) times ``2^open`` of the other bits: that part is kept between steps, and scaling by
    a power of two is exact, so the costs are the same as computed afresh.
    """
    n_comp = comp_nunits.shape[0]
    n_units = unit_nbits.shape[0]
    rem = _remaining(unit_bits, unit_nbits, n_bits)
    opened = 0
    live = 0
    done = np.zeros(n_comp, dtype=np.bool_)
    corder = np.zeros(n_comp, dtype=np.int64)
    urank = np.zeros(n_units, dtype=np.int64)
    used = np.zeros(max(1, comp_units.shape[1]), dtype=np.bool_)
    rank = 0
    r2 = rem.copy()
    # each component's bits and how many of its units each bit touches
    comp_bits = np.zeros(n_comp, dtype=np.int64)
    comp_cnt = np.zeros((n_comp, max(1, n_bits)), dtype=np.int64)
    for k in range(n_comp):
        for jj in range(comp_nunits[k]):
            u = comp_units[k, jj]
            for i in range(unit_nbits[u]):
                comp_bits[k] |= 1 << unit_bits[u, i]
                comp_cnt[k, unit_bits[u, i]] += 1
    left_k = np.zeros(n_comp, dtype=np.int64)
    own_cost = np.zeros(n_comp)  # the cost with the other bits closed, and the bits
    own_left = np.zeros(n_comp, dtype=np.int64)  # of its own left open after it
    fresh = np.zeros(n_comp, dtype=np.bool_)
    for step in range(n_comp):
        best_k = -1
        best_key0 = np.inf
        best_key1 = np.inf
        # variant 0 ranks by the bits left open, which needs no cost (their units' order in
        # the component does not change it): only the candidates that leave fewest are
        # costed, which picks the same component
        fewest = n_bits + 1
        if variant == 0:
            for k in range(n_comp):
                if not (done[k] or (step == 0 and start >= 0 and k != start)):
                    left_k[k] = _left_after(k, live, rem, comp_bits, comp_cnt, n_bits)
                    fewest = min(fewest, left_k[k])
        for k in range(n_comp):
            if done[k] or (step == 0 and start >= 0 and k != start):
                continue
            if variant == 0 and left_k[k] > fewest:
                continue
            if not fresh[k]:
                r2[:] = rem
                c, _, lo = _greedy_units(
                    k, opened, live & comp_bits[k], r2, unit_bits, unit_nbits, comp_units,
                    comp_nunits, urank, -1, used,
                )  # fmt: skip
                own_cost[k] = c
                own_left[k] = lo
                fresh[k] = True
            outside = live & ~comp_bits[k]
            cost = own_cost[k] * float(1 << _popcount(outside)) * comp_nrows[k]
            n_left = _popcount(outside | own_left[k])
            if variant == 0:
                key0, key1 = float(n_left), cost
            else:
                key0, key1 = cost * float(1 << n_left), float(n_left)
            if key0 < best_key0 or (key0 == best_key0 and key1 < best_key1):
                best_k, best_key0, best_key1 = k, key0, key1
        done[best_k] = True
        corder[step] = best_k
        _, opened, live = _greedy_units(
            best_k, opened, live, rem, unit_bits, unit_nbits, comp_units, comp_nunits, urank,
            rank, used,
        )  # fmt: skip
        rank += comp_nunits[best_k]
        for k in range(n_comp):
            if comp_bits[k] & comp_bits[best_k]:
                fresh[k] = False
    return corder, urank


@njit(cache=True, nogil=True)
def _left_after(k, live, rem, comp_bits, comp_cnt, n_bits):  # pragma: no cover - compiled
    """How many bits are open after component ``k``: met, and not done by its units."""
    left = live | comp_bits[k]
    for b in range(n_bits):
        if comp_cnt[k, b] > 0 and comp_cnt[k, b] == rem[b]:
            left &= ~(1 << b)
    return _popcount(left)


@njit(cache=True, nogil=True)
def _greedy_units(
    k, opened, live, rem, unit_bits, unit_nbits, comp_units, comp_nunits, urank, rank, used
):  # pragma: no cover - compiled
    """Visit component ``k``'s units greedily: ``(row cost, opened, live)`` after them.

    Each time the unit closing most and opening fewest bits (``rem`` updated in place);
    ``rank >= 0``: record the ranks.
    """
    n = comp_nunits[k]
    used[:n] = False
    total = 0.0
    for step in range(n):
        best = -1
        best_score = -(1 << 30)
        best_cost = np.inf
        for jj in range(n):
            if used[jj]:
                continue
            u = comp_units[k, jj]
            score = 0
            for i in range(unit_nbits[u]):
                b = unit_bits[u, i]
                if rem[b] == 1:
                    score += 1
                if not (opened >> b) & 1:
                    score -= 1
            cost, _ = _unit_cost(u, opened, live, rem, unit_bits, unit_nbits)
            if score > best_score or (score == best_score and cost < best_cost):
                best, best_score, best_cost = jj, score, cost
        used[best] = True
        u = comp_units[k, best]
        if unit_nbits[u] > 0:
            total += best_cost
        if rank >= 0:
            urank[u] = rank + step
        opened, live = _visit(u, opened, live, rem, unit_bits, unit_nbits)
    return total, opened, live
