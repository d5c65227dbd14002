package stats

import (
	"errors"
	"math"
	"slices"
)

// lpProblem is the polytope {y ≥ 0 : eq·y = eqB, le·y ≤ leB} in n unknowns.
type lpProblem struct {
	n        int
	eq, le   [][]float64
	eqB, leB []float64
}

var (
	errInconsistent = errors.New("stats: inconsistent equations")
	errInfeasible   = errors.New("stats: no feasible point")
)

// bounds returns the minimum and maximum of y[j] over the polytope; the maximum is
// +Inf when it is unbounded. An error means the solver could not tell (numerical
// trouble, or a polytope without the true point): callers treat it as "not wide".
//
// The solver is a dense two-phase tableau simplex with Bland's rule, which cannot
// cycle and costs O(rows·columns) a step. gonum's lp.Simplex solves the same problems
// in the tests (boundsGonum), as the independent check; it is not used here because
// it refactorises its basis at every step (O(rows³): 150 ms for a 40-unknown audit,
// of which a period's ESF table needs hundreds) and has no step limit (it cycled for
// ever on a degenerate 13-column audit).
func (p lpProblem) bounds(j int) (lo, hi float64, err error) {
	tb, target, err := p.standardForm(j)
	if err != nil || target < 0 {
		return 0, math.Inf(1), err
	}
	if err := tb.phaseOne(); err != nil {
		return 0, 0, err
	}
	second := tb.clone()
	if lo, err = tb.minimise(target, 1); err != nil {
		return 0, 0, err
	}
	neg, err := second.minimise(target, -1)
	if errors.Is(err, errUnbounded) {
		return lo, math.Inf(1), nil
	}
	return lo, -neg, err
}

// standardForm lays the problem out as a tableau [eq 0 A₁; le I A₂]·(y, s, a) = b,
// b ≥ 0 (rows with a negative right-hand side flipped), with a starting basis of
// slacks and artificial variables a. target is the column of y[j], -1 when y[j] is in
// no row (then it is free: [0, +Inf)).
func (p lpProblem) standardForm(j int) (tb *tableau, target int, err error) {
	eq, eqB, err := independentRows(p.eq, p.eqB, p.n)
	if err != nil {
		return nil, -1, err
	}
	// An inequality with no positive coefficient and a right-hand side ≥ 0 holds for
	// every y ≥ 0: leave it out.
	var le [][]float64
	var leB []float64
	for i, r := range p.le {
		if p.leB[i] >= 0 && !slices.ContainsFunc(r, func(v float64) bool { return v > 0 }) {
			continue
		}
		le, leB = append(le, r), append(leB, p.leB[i])
	}
	// Unknowns in no row are free ≥ 0 and touch nothing else: leave them out.
	used := make([]bool, p.n)
	for _, rows := range [][][]float64{eq, le} {
		for _, r := range rows {
			for k, v := range r {
				if v != 0 {
					used[k] = true
				}
			}
		}
	}
	if !used[j] {
		return nil, -1, nil
	}
	var keep []int
	for k := range p.n {
		if used[k] {
			if k == j {
				target = len(keep)
			}
			keep = append(keep, k)
		}
	}
	rows := append(append([][]float64{}, eq...), le...)
	b := append(append([]float64{}, eqB...), leB...)
	m, nv, ns := len(rows), len(keep), len(le)
	var artificial []int
	for i := range m {
		if i < len(eq) || b[i] < 0 {
			artificial = append(artificial, i)
		}
	}
	tb = newTableau(m, nv+ns+len(artificial))
	tb.artificial = nv + ns
	for i, r := range rows {
		sign := 1.0
		if b[i] < 0 {
			sign = -1
		}
		for ci, k := range keep {
			tb.set(i, ci, sign*r[k])
		}
		if i >= len(eq) {
			tb.set(i, nv+i-len(eq), sign)
			tb.basis[i] = nv + i - len(eq)
		}
		tb.set(i, tb.n, sign*b[i])
	}
	for k, i := range artificial {
		tb.set(i, nv+ns+k, 1)
		tb.basis[i] = nv + ns + k
	}
	return tb, target, nil
}

var (
	errUnbounded = errors.New("stats: unbounded")
	errStalled   = errors.New("stats: simplex stalled")
)

// eps is the tolerance of the simplex: the problems hold small whole numbers.
const eps = 1e-9

// tableau is a dense simplex tableau: m constraint rows and the objective row (its
// reduced costs), n columns and the right-hand side; columns from artificial on are
// the artificial variables.
type tableau struct {
	m, n       int
	t          []float64
	basis      []int
	artificial int
}

func newTableau(m, n int) *tableau {
	return &tableau{m: m, n: n, t: make([]float64, (m+1)*(n+1)), basis: make([]int, m)}
}

func (tb *tableau) set(i, j int, v float64) { tb.t[i*(tb.n+1)+j] = v }
func (tb *tableau) row(i int) []float64     { return tb.t[i*(tb.n+1) : (i+1)*(tb.n+1)] }

func (tb *tableau) clone() *tableau {
	c := *tb
	c.t, c.basis = slices.Clone(tb.t), slices.Clone(tb.basis)
	return &c
}

func (tb *tableau) pivot(r, c int) {
	pr := tb.row(r)
	inv := 1 / pr[c]
	for k := range pr {
		pr[k] *= inv
	}
	pr[c] = 1
	for i := 0; i <= tb.m; i++ {
		if i == r {
			continue
		}
		row := tb.row(i)
		f := row[c]
		if f == 0 {
			continue
		}
		for k, v := range pr {
			row[k] -= f * v
		}
		row[c] = 0
	}
	tb.basis[r] = c
}

// price sets the objective row to the reduced costs of cost (over columns) under
// the current basis.
func (tb *tableau) price(cost func(j int) float64) {
	obj := tb.row(tb.m)
	for j := range obj {
		obj[j] = 0
	}
	for j := 0; j < tb.n; j++ {
		obj[j] = cost(j)
	}
	for i, bj := range tb.basis {
		if f := cost(bj); f != 0 {
			for k, v := range tb.row(i) {
				obj[k] -= f * v
			}
		}
	}
}

// optimise pivots until no allowed column has a negative reduced cost, entering the
// lowest such column and leaving the lowest basic index among the tightest rows
// (Bland's rule).
func (tb *tableau) optimise(allowed func(j int) bool) error {
	obj := tb.row(tb.m)
	for steps := 0; ; steps++ {
		if steps > 50*(tb.m+tb.n) {
			return errStalled
		}
		enter := -1
		for j := 0; j < tb.n; j++ {
			if obj[j] < -eps && allowed(j) {
				enter = j
				break
			}
		}
		if enter < 0 {
			return nil
		}
		leave, best := -1, 0.0
		for i := 0; i < tb.m; i++ {
			r := tb.row(i)
			if r[enter] > eps {
				ratio := r[tb.n] / r[enter]
				if leave < 0 || ratio < best-eps || ratio <= best+eps && tb.basis[i] < tb.basis[leave] {
					leave, best = i, ratio
				}
			}
		}
		if leave < 0 {
			return errUnbounded
		}
		tb.pivot(leave, enter)
	}
}

// phaseOne finds a feasible basis without artificial variables (but for those left
// at 0 in rows that depend on others) by minimising their sum.
func (tb *tableau) phaseOne() error {
	tb.price(func(j int) float64 {
		if j >= tb.artificial {
			return 1
		}
		return 0
	})
	if err := tb.optimise(func(int) bool { return true }); err != nil {
		return err
	}
	if -tb.row(tb.m)[tb.n] > 1e-6 {
		return errInfeasible
	}
	for i, bj := range tb.basis {
		if bj < tb.artificial {
			continue
		}
		r := tb.row(i)
		for j := 0; j < tb.artificial; j++ {
			if math.Abs(r[j]) > eps {
				tb.pivot(i, j)
				break
			}
		}
	}
	return nil
}

// minimise returns the minimum of sign·y[target] from a feasible basis.
func (tb *tableau) minimise(target int, sign float64) (float64, error) {
	tb.price(func(j int) float64 {
		if j == target {
			return sign
		}
		return 0
	})
	if err := tb.optimise(func(j int) bool { return j < tb.artificial }); err != nil {
		return 0, err
	}
	return -tb.row(tb.m)[tb.n], nil
}

// independentRows drops the equations that are combinations of others (gonum's
// simplex needs full row rank), by Gaussian elimination with partial pivoting.
func independentRows(rows [][]float64, rhs []float64, n int) ([][]float64, []float64, error) {
	const tol = 1e-9
	work := make([][]float64, len(rows))
	for i, r := range rows {
		work[i] = append(append(make([]float64, 0, n+1), r...), rhs[i])
	}
	var keepRows [][]float64
	var keepRHS []float64
	done := make([]bool, len(rows))
	for col := 0; col < n; col++ {
		piv, best := -1, tol
		for i, r := range work {
			if !done[i] && math.Abs(r[col]) > best {
				piv, best = i, math.Abs(r[col])
			}
		}
		if piv < 0 {
			continue
		}
		done[piv] = true
		keepRows = append(keepRows, rows[piv])
		keepRHS = append(keepRHS, rhs[piv])
		p := work[piv]
		for i, r := range work {
			if done[i] || r[col] == 0 {
				continue
			}
			f := r[col] / p[col]
			for k := col; k <= n; k++ {
				r[k] -= f * p[k]
			}
		}
	}
	for i, r := range work {
		if !done[i] && math.Abs(r[n]) > 1e-6*(1+math.Abs(rhs[i])) {
			return nil, nil, errInconsistent
		}
	}
	return keepRows, keepRHS, nil
}
